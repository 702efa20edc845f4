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
func (s *Store) CurrentVersion(ctx context.Context, req secret.Request) (secret.FetchInfo, error) {
	var info secret.FetchInfo
	if err := ctx.Err(); err != nil {
		return info, fmt.Errorf("azure store %q: secret %q: %w", s.name, req.Name, err)
	}
	t, err := s.resolve(req)
	if err != nil {
		return info, err
	}
	if t.version != "" {
		info.SetVersion(t.version)
		return info, nil
	}
	c, err := s.client(t.vault)
	if err != nil {
		return info, fmt.Errorf("azure store %q: vault %s: %w", s.name, t.vault, errors.Join(secret.ErrInvalidConfig, err))
	}
	cctx, tokenErrs := withTokenErrors(ctx)
	cctx, tries := countAttempts(cctx)
	resp, err := c.GetSecret(cctx, t.name, "", nil)
	resp.Value = nil
	info.Upstream = tries.n
	if err != nil {
		return info, s.classify(ctx, t, tokenErrs.or(err))
	}
	if resp.ID == nil || resp.ID.Version() == "" {
		return info, fmt.Errorf("azure store %q: vault %s: secret %q: the vault's answer names no version: %w", s.name, t.vault, t.name, secret.ErrUnavailable)
	}
	info.SetVersion(resp.ID.Version())
	return info, nil
}

// attempts counts the attempts the SDK sends to the vault for one call,
// its retries included, for the call's [secret.FetchInfo.Upstream].
type attempts struct{ n int }

type attemptsKey struct{}

// countAttempts returns a copy of ctx under which notePolicy counts the
// SDK's attempts into the returned counter: a pipeline policy is handed
// nothing but the request and its context. The SDK's retry policy makes
// the attempts one after the other on the caller's goroutine, so the
// counter needs no lock.
func countAttempts(ctx context.Context) (context.Context, *attempts) {
	a := &attempts{}
	return context.WithValue(ctx, attemptsKey{}, a), a
}

// notePolicy counts each attempt the SDK sends to the vault (its retries
// included) into the call's counter (countAttempts), when the request's
// context carries one. It is a per-retry policy, so it runs once per try.
type notePolicy struct{}

func (notePolicy) Do(req *policy.Request) (*http.Response, error) {
	if a, ok := req.Raw().Context().Value(attemptsKey{}).(*attempts); ok {
		a.n++
	}
	return req.Next()
}

var _ secret.Versioner = (*Store)(nil)
