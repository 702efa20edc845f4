package aws

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/latchkey/latchkey/secret"
)

// FromSpec builds a [*Store] from an agent-config store block, as the
// registered factory does, for embedders that need the store's identity
// rather than its secrets (providers/wasm signs a module's requests with
// it). It does no network I/O.
func FromSpec(ctx context.Context, spec secret.Spec) (*Store, error) {
	opts, err := specOptions(spec)
	if err != nil {
		return nil, err
	}
	return New(ctx, spec.Name, opts)
}

// Credentials returns the store's credentials provider: the chain its
// auth_method selects (the default chain, an assumed role, or keys),
// cached by the SDK. It is safe for concurrent use.
func (s *Store) Credentials() aws.CredentialsProvider { return s.creds }

// Identity describes how the store authenticates, without a secret.
func (s *Store) Identity() string { return s.identity }
