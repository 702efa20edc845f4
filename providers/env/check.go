package env

import (
	"fmt"
	"strings"

	"github.com/latchkey/latchkey/secret"
)

// checkRequest is the store's [secret.Description.Check]: environment
// variables have no versions, and a variable name holds no '=' or NUL. The
// resolver calls it while planning, so `latchkey check --offline` reports
// such a reference.
func (s *Store) checkRequest(req secret.Request) error {
	if req.Version != "" {
		return fmt.Errorf("env store %q: variable %q: environment variables have no versions (drop version=): %w",
			s.name, req.Name, secret.ErrInvalidConfig)
	}
	if req.Name == "" || strings.ContainsAny(req.Name, "=\x00") {
		return fmt.Errorf("env store %q: %q is not a valid variable name: %w", s.name, req.Name, secret.ErrInvalidConfig)
	}
	return nil
}
