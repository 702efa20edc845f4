package gcp

import (
	"context"
	"errors"

	"cloud.google.com/go/auth"

	"github.com/latchkey/latchkey/secret"
)

// FromSpec builds a [*Store] from an agent-config store block, as the
// registered factory does, for embedders that need the store's identity
// rather than its secrets (providers/wasm mints bearer tokens for a
// module's requests with it). It does no network I/O.
func FromSpec(ctx context.Context, spec secret.Spec) (*Store, error) {
	cfg, err := specConfig(spec)
	if err != nil {
		_, verr := cfg.normalize(spec.Name)
		return nil, errors.Join(err, verr)
	}
	return New(ctx, spec.Name, cfg)
}

// TokenCredentials returns the store's credentials (Application Default
// Credentials, a service-account key, or an impersonated account, with
// the cloud-platform scope), which cache their tokens; nil for
// auth_method none. They are safe for concurrent use.
func (s *Store) TokenCredentials() *auth.Credentials { return s.id.creds }

// Who names the identity the store authenticates as, without a secret.
func (s *Store) Who() string { return s.id.principal }
