package azure

import (
	"strings"

	"github.com/latchkey/latchkey/secret"
)

// secretKey is the store's [secret.Description.Key]: one key per secret and
// version: the vault's base URL, the secret's name in lower case (Key Vault
// names are case-insensitive) and the version ("" for the current one). A
// bare name and the secret's full URL in the store's vault, with or without
// a trailing slash or an upper-case host, are one key; the version may be
// given in the URL or in the request. It does no I/O.
func (s *Store) secretKey(req secret.Request) string {
	t, err := s.resolve(req)
	if err != nil {
		// Get will refuse it; a key unlike any valid one.
		return "invalid\x00" + req.Name + "\x00" + req.Version
	}
	return t.vault + "/secrets/" + strings.ToLower(t.name) + "\x00" + strings.ToLower(t.version)
}
