package storetest

import (
	"errors"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/policy"
	"github.com/latchkey/latchkey/resolver"
	"github.com/latchkey/latchkey/secret"
)

// PolicyCase is one reference a [PolicyFixture]'s rule decides on.
type PolicyCase struct {
	Name string
	// Ref is the reference, e.g. "secret://s/prod%2Fdb?version=AWSPREVIOUS";
	// its store must be "s".
	Ref string
	// Refused is "" when the rule lets the reference through (and the
	// secret must then resolve), else a text the refusal must contain
	// ("deny \"prod/admin*\"", "no allow pattern").
	Refused string
}

// PolicyFixture is a store, configured as the resolver builds it, with a
// secrets rule, the references to try against it and a way to count the
// calls its backend received.
type PolicyFixture struct {
	// Store is the store's config under the name "s", Secrets included.
	Store resolver.StoreConfig
	// Upstream returns how many requests the backend has received so far.
	Upstream func() int
	Cases    []PolicyCase
}

// RunPolicy resolves each case's reference through a resolver built from
// fx. A refused reference must fail while planning (as `latchkey check
// --offline` does) with an error that names the field, the store and the
// rule, wraps [secret.ErrNotAllowed], and costs the backend no request; an
// allowed one must resolve.
func RunPolicy(t *testing.T, fx PolicyFixture) {
	t.Helper()
	r, err := resolver.New(ctx(t), resolver.Config{Stores: map[string]resolver.StoreConfig{"s": fx.Store}})
	if err != nil {
		t.Fatalf("building the store: %v", err)
	}
	t.Cleanup(func() { _ = r.Close() })
	origin := fx.Store.Secrets.Origin
	for _, tc := range fx.Cases {
		t.Run(tc.Name, func(t *testing.T) {
			src, err := secret.ParseSource(tc.Ref)
			if err != nil || src.Ref == nil {
				t.Fatalf("bad reference %q in the fixture: %v", tc.Ref, err)
			}
			wf := resolver.Workflow{Name: "policy", Fields: []resolver.Field{{Name: "f", Source: src}}}
			before := fx.Upstream()
			_, planErr := r.Plan(wf)
			_, err = r.Resolve(ctx(t), wf)
			calls := fx.Upstream() - before
			if tc.Refused == "" {
				if planErr != nil || err != nil {
					t.Fatalf("%s: want it resolved, got plan error %v, resolve error %v", tc.Ref, planErr, err)
				}
				if calls == 0 {
					t.Errorf("%s resolved without a call to the backend: the counter is not counting", tc.Ref)
				}
				return
			}
			for _, e := range []error{planErr, err} {
				var ref *policy.Refusal
				if e == nil || !errors.As(e, &ref) || !errors.Is(e, secret.ErrNotAllowed) {
					t.Fatalf("%s: want a policy refusal before any fetch, got %v", tc.Ref, e)
				}
				for _, w := range []string{`field "f"`, `store "s"`, "rule " + origin, tc.Refused} {
					if !strings.Contains(e.Error(), w) {
						t.Errorf("refusal %q does not contain %q", e, w)
					}
				}
			}
			if calls != 0 {
				t.Errorf("%s was refused but the backend received %d request(s)", tc.Ref, calls)
			}
		})
	}
}
