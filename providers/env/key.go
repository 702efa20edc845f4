package env

import "github.com/latchkey/latchkey/secret"

// SecretKey returns the variable's name: names are case sensitive and
// variables have no versions (a request with one keys apart, and Get
// refuses it).
func (s *Store) SecretKey(req secret.Request) string {
	if req.Version != "" {
		return "invalid\x00" + req.Name + "\x00" + req.Version
	}
	return req.Name
}

var _ secret.Keyer = (*Store)(nil)
