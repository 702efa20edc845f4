package azure

import (
	"context"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/latchkey/latchkey/secret"
)

// FromSpec builds a [*Store] from an agent-config store block, as the
// registered factory does, for embedders that need the store's identity
// rather than its secrets (providers/wasm mints bearer tokens for a
// module's requests with it). It does no network I/O.
func FromSpec(_ context.Context, spec secret.Spec) (*Store, error) {
	o, err := specOptions(spec)
	if err != nil {
		return nil, err
	}
	return New(spec.Name, o)
}

// TokenCredential returns the store's credential: the azidentity chain its
// auth_method selects (managed identity, service principal, the default
// chain), which caches tokens. It is safe for concurrent use.
func (s *Store) TokenCredential() azcore.TokenCredential { return s.cred }

// Who describes the identity the store authenticates as, without a secret.
func (s *Store) Who() string { return s.who }
