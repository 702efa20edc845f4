package env

import "github.com/latchkey/latchkey/secret"

// secretKey is the store's [secret.Description.Key]: the variable's name:
// names are case sensitive and variables have no versions (a request with
// one keys apart, and Get refuses it).
func (s *Store) secretKey(req secret.Request) string {
	if req.Version != "" {
		return "invalid\x00" + req.Name + "\x00" + req.Version
	}
	return req.Name
}
