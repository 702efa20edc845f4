package gcp

import (
	"context"

	"github.com/latchkey/latchkey/secret"
)

// Principal reports the identity the store's calls carry: the service
// account of a key file or of Application Default Credentials found in
// one, an impersonated account and whose credentials impersonate it, or
// the kind of credentials found. It makes no call.
func (s *Store) Principal(context.Context) (string, error) {
	return s.id.who(), nil
}

var _ secret.Principaler = (*Store)(nil)
