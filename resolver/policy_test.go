package resolver_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/latchkey/latchkey/cache"
	"github.com/latchkey/latchkey/policy"
	"github.com/latchkey/latchkey/resolver"
	"github.com/latchkey/latchkey/secret"
)

type countingStore struct{ n atomic.Int64 }

func (s *countingStore) Get(context.Context, secret.Request) (secret.Result, error) {
	s.n.Add(1)
	return secret.Result{Value: secret.StringValue("v")}, nil
}

func (s *countingStore) Close() error { return nil }

// TestRuleBeforeCache: a refused reference is refused while planning, so
// neither the cache in front of the store nor the store sees it, and the
// caller's rule applies on top of the store's own.
func TestRuleBeforeCache(t *testing.T) {
	st := &countingStore{}
	r, err := resolver.New(context.Background(), resolver.Config{
		Stores: map[string]resolver.StoreConfig{"s": {Store: st, Cache: &cache.Options{},
			Secrets: &policy.Spec{Origin: "stores.s.secrets", Allow: []policy.Entry{{Name: "app/*"}}},
			Caller:  &policy.Spec{Origin: "callers.etl.stores.s", Allow: []policy.Entry{{Name: "app/etl*"}}}}},
		Withheld: map[string]string{"other": "callers.etl.stores"},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	resolve := func(ref string) error {
		src, err := secret.ParseSource(ref)
		if err != nil {
			t.Fatal(err)
		}
		_, err = r.Resolve(context.Background(), resolver.Workflow{Name: "w", Fields: []resolver.Field{{Name: "f", Source: src}}})
		return err
	}
	tests := []struct {
		name, ref, want string
	}{
		{"store rule refuses", "secret://s/other/x", "rule stores.s.secrets"},
		{"caller rule refuses", "secret://s/app/bi", "rule callers.etl.stores.s"},
		{"withheld store", "secret://other/x", `store "other": secret "x" is refused by rule callers.etl.stores: it does not list this store`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := resolve(tc.ref)
			if err == nil || !errors.Is(err, secret.ErrNotAllowed) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Resolve(%s) = %v, want a refusal containing %q", tc.ref, err, tc.want)
			}
		})
	}
	stats := r.CacheStats()["s"]
	if st.n.Load() != 0 || stats.Hits+stats.Misses+stats.Shared+stats.Negative != 0 {
		t.Fatalf("refused references reached the store (%d) or the cache (%+v)", st.n.Load(), stats)
	}
	if err := resolve("secret://s/app/etl-db"); err != nil || st.n.Load() != 1 || r.CacheStats()["s"].Misses != 1 {
		t.Fatalf("an allowed reference: %v, store calls %d, cache %+v", err, st.n.Load(), r.CacheStats()["s"])
	}
}

// BenchmarkPlanRule plans a ten-field workflow without a secrets rule and
// with one of 20 allow and 10 deny patterns: the rule's cost per
// resolution, as a ratio to planning alone.
func BenchmarkPlanRule(b *testing.B) {
	var allow, deny []policy.Entry
	for i := range 20 {
		allow = append(allow, policy.Entry{Name: "team" + string(rune('a'+i)) + "/*"})
	}
	for i := range 10 {
		deny = append(deny, policy.Entry{Name: "team" + string(rune('a'+i)) + "/admin*"})
	}
	var fields []resolver.Field
	for i := range 10 {
		src, _ := secret.ParseSource("secret://s/teamt/db" + string(rune('0'+i)) + "#password")
		fields = append(fields, resolver.Field{Name: "f" + string(rune('0'+i)), Source: src})
	}
	wf := resolver.Workflow{Name: "w", Fields: fields}
	for _, bc := range []struct {
		name string
		rule *policy.Spec
	}{
		{"no rule", nil},
		{"rule of 30 patterns", &policy.Spec{Origin: "o", Allow: allow, Deny: deny}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			r, err := resolver.New(context.Background(), resolver.Config{Stores: map[string]resolver.StoreConfig{"s": {Store: &countingStore{}, Secrets: bc.rule}}})
			if err != nil {
				b.Fatal(err)
			}
			defer r.Close()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.Plan(wf); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
