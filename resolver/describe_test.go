package resolver

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/cache"
	"github.com/latchkey/latchkey/policy"
	"github.com/latchkey/latchkey/protect"
	"github.com/latchkey/latchkey/secret"
)

// fullStore is a memStore that fills in every field of its Description:
// case-insensitive keys, a Check refusing versions, a principal, a naming
// that folds case, an env variable, pool counters.
type fullStore struct{ *memStore }

func (f fullStore) Get(ctx context.Context, req secret.Request) (secret.Result, error) {
	req.Name = strings.ToLower(req.Name)
	return f.memStore.Get(ctx, req)
}

func (fullStore) Describe() secret.Description {
	return secret.Description{
		Summary:  "memory, as tests",
		Warnings: []string{"not a real store"},
		UsedEnv:  func() []string { return []string{"FULL_STORE_TOKEN"} },
		Key:      func(req secret.Request) string { return strings.ToLower(req.Name) + "\x00" + req.Version },
		Check: func(req secret.Request) error {
			if req.Version == "v9" {
				return fmt.Errorf("version v9 was never written: %w", secret.ErrInvalidConfig)
			}
			return nil
		},
		Principal: func(context.Context) (string, error) { return "tester", nil },
		Naming: secret.Naming{
			Subject: func(req secret.Request) (secret.Subject, error) {
				return secret.Subject{Name: strings.ToLower(req.Name), Own: true, Version: secret.Current}, nil
			},
			Pattern: func(p secret.Pattern) (secret.Pattern, error) {
				p.Name = strings.ToLower(p.Name)
				return p, nil
			},
		},
		Pool: func() secret.PoolStats { return secret.PoolStats{Calls: 7} },
	}
}

// TestDescriptionThroughDecorators: protection and a cache, stacked either
// way, hide nothing of the store's Description, and declare none of their
// own; the resolver uses every part of it.
func TestDescriptionThroughDecorators(t *testing.T) {
	set := protect.For(secret.Protection{})
	chains := []struct {
		name  string
		build func(st secret.Store) secret.Store
	}{
		{"protect over cache over the store", func(st secret.Store) secret.Store {
			return protect.Wrap("mem", cache.New(st, cache.Options{Name: "mem", TTL: time.Minute}), set, nil)
		}},
		{"cache over protect over the store", func(st secret.Store) secret.Store {
			return cache.New(protect.Wrap("mem", st, set, nil), cache.Options{Name: "mem", TTL: time.Minute})
		}},
	}
	for _, tc := range chains {
		t.Run(tc.name, func(t *testing.T) {
			chain := tc.build(fullStore{newMem()})
			defer chain.Close()
			if _, ok := chain.(secret.Describer); ok {
				t.Fatalf("the outer decorator %T declares a Describer of its own", chain)
			}
			d, ok := secret.As[secret.Describer](chain)
			if !ok {
				t.Fatal("secret.As does not reach the store's Describer through the decorators")
			}
			got := d.Describe()
			if got.Summary != "memory, as tests" || !slices.Equal(got.Warnings, []string{"not a real store"}) {
				t.Errorf("Summary %q, Warnings %q: not the store's", got.Summary, got.Warnings)
			}
			if got.SecretKey(secret.Request{Name: "DB"}) != got.SecretKey(secret.Request{Name: "db"}) {
				t.Error("Key is not the store's")
			}
			if who, err := got.Principal(context.Background()); who != "tester" || err != nil {
				t.Errorf("Principal = %q, %v", who, err)
			}
			if got.Pool == nil || got.Pool().Calls != 7 {
				t.Error("Pool is not the store's")
			}
		})
	}

	// The resolver builds cache → protection → store itself.
	mem := newMem()
	r, err := New(context.Background(), Config{Stores: map[string]StoreConfig{"mem": {
		Store: fullStore{mem}, Protection: &set, Cache: &cache.Options{TTL: time.Minute},
		Secrets: &policy.Spec{Origin: "stores.mem.secrets", Allow: []policy.Entry{{Name: "DB"}, {Name: "TOKEN"}}},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	d, ok := r.Description("mem")
	if !ok || d.Summary != "memory, as tests" || d.Principal == nil || d.Pool == nil {
		t.Fatalf("Description(mem) = %+v, %v", d, ok)
	}
	if _, ok := r.Description("nope"); ok {
		t.Error("Description of an undeclared store")
	}
	if env := r.UsedEnv(); !slices.Equal(env, []string{"FULL_STORE_TOKEN"}) {
		t.Errorf("UsedEnv = %q", env)
	}
	// Key: two spellings are one fetch. Naming: the rule's "DB" covers "db".
	w := wf("a", "secret://mem/db#username", "b", "secret://mem/DB#password")
	if _, err := r.Resolve(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	if n := mem.calls.Load(); n != 1 {
		t.Errorf("two spellings of one secret made %d fetches, want 1", n)
	}
	// Check: refused while planning, naming the field, before any fetch.
	if _, err := r.Plan(wf("old", "secret://mem/db?version=v9")); !errors.Is(err, secret.ErrInvalidConfig) || !strings.Contains(err.Error(), `field "old"`) {
		t.Errorf("Plan of a request Check refuses: %v", err)
	}
	// Naming: a name the rule does not cover is still refused.
	if _, err := r.Plan(wf("x", "secret://mem/other")); !errors.Is(err, secret.ErrNotAllowed) {
		t.Errorf("Plan of a name outside the rule: %v", err)
	}
}

// TestDescriptionDefaults: a store with Get and Close only gets the
// documented defaults: no summary, no env, requests keyed as written, every
// request planned, no principal, names matched exactly as written (dot
// segments refused), no rule required, no pool.
func TestDescriptionDefaults(t *testing.T) {
	mem := newMem()
	set := protect.For(secret.Protection{})
	r, err := New(context.Background(), Config{Stores: map[string]StoreConfig{"mem": {
		Store: mem, Protection: &set, Cache: &cache.Options{TTL: time.Minute},
		Secrets: &policy.Spec{Origin: "stores.mem.secrets", Allow: []policy.Entry{{Name: "db/*"}, {Name: "token"}}},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	d, ok := r.Description("mem")
	if !ok {
		t.Fatal("no Description for a declared store")
	}
	if d.Summary != "" || d.Warnings != nil || d.UsedEnv != nil || d.Key != nil || d.Check != nil || d.Principal != nil ||
		d.Naming.Subject != nil || d.Naming.Pattern != nil || d.RequiresAllow || d.Pool != nil {
		t.Errorf("Description of a store without Describe = %+v; want the zero value", d)
	}
	if env := r.UsedEnv(); len(env) != 0 {
		t.Errorf("UsedEnv = %q; want none", env)
	}
	// Keyed as written: one fetch for one spelling, apart for another.
	if _, err := r.Resolve(context.Background(), wf("a", "secret://mem/token", "b", "secret://mem/token")); err != nil {
		t.Fatal(err)
	}
	if n := mem.calls.Load(); n != 1 {
		t.Errorf("one secret named twice the same way made %d fetches, want 1", n)
	}
	b := r.stores["mem"]
	if b.secretID(secret.Request{Name: "token"}) == b.secretID(secret.Request{Name: "TOKEN"}) ||
		b.secretID(secret.Request{Name: "token"}) == b.secretID(secret.Request{Name: "token", Version: "v1"}) {
		t.Error("requests written differently share a key without a Key that says so")
	}
	// Any version is planned (no Check); the store answers for itself.
	if _, err := r.Plan(wf("v", "secret://mem/token?version=v9")); err != nil {
		t.Errorf("Plan without a Check refused a version: %v", err)
	}
	// Exact naming: case matters, and a dot segment is refused.
	for _, ref := range []string{"secret://mem/TOKEN", "secret://mem/db%2F..%2Ftoken"} {
		if _, err := r.Plan(wf("f", ref)); !errors.Is(err, secret.ErrNotAllowed) {
			t.Errorf("Plan(%s) = %v; want a refusal", ref, err)
		}
	}
}
