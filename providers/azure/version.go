package azure

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/latchkey/latchkey/secret"
)

// CurrentVersion reports the version ID of the secret req names. A
// request pinned to a version is its own version and costs no call.
// Otherwise it costs one GET /secrets/NAME, the same single Key Vault
// transaction as a fetch: Key Vault has no cheaper way to learn the
// current version. Its one metadata call, Get Secret Versions, lists
// versions without values but 25 to a page, in no documented order and
// without marking the current one, so finding it costs at least as many
// transactions and needs the list permission besides. The value the GET
// returns is dropped at once and never reaches the caller.
//
// So on Azure a version probe saves no transaction; `--watch` and caches
// gain only that an unchanged secret is recognised by its version rather
// than by comparing values.
func (s *Store) CurrentVersion(ctx context.Context, req secret.Request) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("azure store %q: secret %q: %w", s.name, req.Name, err)
	}
	t, err := s.resolve(req)
	if err != nil {
		return "", err
	}
	if t.version != "" {
		return t.version, nil
	}
	c, err := s.client(t.vault)
	if err != nil {
		return "", fmt.Errorf("azure store %q: vault %s: %w", s.name, t.vault, errors.Join(secret.ErrInvalidConfig, err))
	}
	cctx, tokenErrs := withTokenErrors(ctx)
	resp, err := c.GetSecret(cctx, t.name, "", nil)
	resp.Value = nil
	if err != nil {
		return "", s.classify(ctx, t, tokenErrs.or(err))
	}
	if resp.ID == nil || resp.ID.Version() == "" {
		return "", fmt.Errorf("azure store %q: vault %s: secret %q: the vault's answer names no version: %w", s.name, t.vault, t.name, secret.ErrUnavailable)
	}
	v := resp.ID.Version()
	if n := secret.NoteFrom(ctx); n != nil {
		n.SetVersion(v)
	}
	return v, nil
}

// notePolicy counts each attempt the SDK sends to the vault (its retries
// included) into the fetch's [secret.FetchNote], when the request's
// context carries one. It is a per-retry policy, so it runs once per try.
type notePolicy struct{}

func (notePolicy) Do(req *policy.Request) (*http.Response, error) {
	if n := secret.NoteFrom(req.Raw().Context()); n != nil {
		n.AddUpstream()
	}
	return req.Next()
}

var _ secret.Versioner = (*Store)(nil)
