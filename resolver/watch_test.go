package resolver

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/latchkey/latchkey/policy"
	"github.com/latchkey/latchkey/secret"
)

// mutableStore holds values a test changes, optionally with versions, and
// counts the calls it receives.
type mutableStore struct {
	mu           sync.Mutex
	values       map[string]string
	versions     map[string]string // nil: probes fail, as a role without metadata access
	probes, gets map[string]int
}

func newMutable(values map[string]string, versions map[string]string) *mutableStore {
	return &mutableStore{values: values, versions: versions, probes: map[string]int{}, gets: map[string]int{}}
}

// Describe's Key makes "alias-NAME" another spelling of NAME, as an ARN
// is of an AWS secret's name.
func (m *mutableStore) Describe() secret.Description {
	return secret.Description{Key: func(req secret.Request) string {
		return strings.TrimPrefix(req.Name, "alias-") + "\x00" + req.Version
	}}
}

func (m *mutableStore) Get(_ context.Context, req secret.Request) (secret.Result, error) {
	req.Name = strings.TrimPrefix(req.Name, "alias-")
	m.mu.Lock()
	defer m.mu.Unlock()
	m.gets[req.Name]++
	v, ok := m.values[req.Name]
	if !ok {
		return secret.Result{}, secret.ErrNotFound
	}
	return secret.Result{Value: secret.StringValue(v)}, nil
}

func (m *mutableStore) CurrentVersion(_ context.Context, req secret.Request) (secret.FetchInfo, error) {
	var info secret.FetchInfo
	req.Name = strings.TrimPrefix(req.Name, "alias-")
	m.mu.Lock()
	defer m.mu.Unlock()
	m.probes[req.Name]++
	if m.versions == nil {
		return info, secret.ErrPermissionDenied
	}
	if v := m.versions[req.Name]; v != "" {
		info.SetVersion(v)
	}
	return info, nil
}

func (m *mutableStore) Close() error { return nil }

func (m *mutableStore) set(name, value, version string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.values[name] = value
	if m.versions != nil {
		m.versions[name] = version
	}
}

func (m *mutableStore) counts(name string) (probes, gets int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.probes[name], m.gets[name]
}

// TestWatchCostsAndChanges: one check probes each secret once (a secret
// spelled two ways too), fetches only the secret whose version it could
// not learn (never the whole workflow), and reports a change of either
// kind of secret.
func TestWatchCostsAndChanges(t *testing.T) {
	probed := newMutable(map[string]string{"a": "a1", "b": "b1"}, map[string]string{"a": "1", "b": "1"})
	blind := newMutable(map[string]string{"u": "u1"}, nil)
	r, err := New(context.Background(), Config{Stores: map[string]StoreConfig{"v": {Store: probed}, "blind": {Store: blind}}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	wf := Workflow{Name: "wf"}
	for _, f := range []struct{ name, ref string }{{"a", "secret://v/a"}, {"b", "secret://v/b"}, {"u", "secret://blind/u"}, {"opt", "secret://v/gone?optional=true"}, {"lit", "literal:x"}, {"a2", "secret://v/alias-a"}} {
		fld, err := ParseField(f.name, f.ref)
		if err != nil {
			t.Fatal(err)
		}
		wf.Fields = append(wf.Fields, fld)
	}
	ctx := context.Background()
	res, snap, err := r.Watch(ctx, wf, nil)
	if err != nil || res == nil {
		t.Fatalf("first watch: %v", err)
	}
	check := func(step string, wantChange bool, wantGets map[string]int) {
		t.Helper()
		before := map[string]int{}
		for n := range wantGets {
			_, before[n] = probed.counts(n)
			if n == "u" {
				_, before[n] = blind.counts(n)
			}
		}
		pa, _ := probed.counts("a")
		res, next, err := r.Watch(ctx, wf, snap)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if (res != nil) != wantChange {
			t.Errorf("%s: changed = %v; want %v", step, res != nil, wantChange)
		}
		if pa2, _ := probed.counts("a"); pa2 != pa+1 {
			t.Errorf("%s: %d probes of a in one check; want 1", step, pa2-pa)
		}
		for n, want := range wantGets {
			_, g := probed.counts(n)
			if n == "u" {
				_, g = blind.counts(n)
			}
			if g-before[n] != want {
				t.Errorf("%s: %d fetches of %s; want %d", step, g-before[n], n, want)
			}
		}
		snap = next
	}
	check("unchanged", false, map[string]int{"a": 0, "b": 0, "u": 1})
	check("unchanged again", false, map[string]int{"a": 0, "b": 0, "u": 1})
	blind.set("u", "u2", "")
	check("the unversioned secret changed", true, map[string]int{"u": 2}) // once to see it, once in the whole resolution
	check("settled", false, map[string]int{"a": 0, "u": 1})
	probed.set("a", "a2", "2")
	check("a versioned secret changed", true, map[string]int{"a": 2, "b": 1})
	probed.set("b", "b1", "3") // a new version with the same value
	check("a new version, same value", false, map[string]int{"b": 1, "a": 0})
	probed.set("gone", "now here", "1")
	check("an omitted secret appeared", true, map[string]int{"gone": 2})
}

// TestWatchRefused: a reference a rule refuses is refused on every call,
// whatever the previous snapshot, and nothing is probed or fetched.
func TestWatchRefused(t *testing.T) {
	st := newMutable(map[string]string{"ok": "v", "secret": "s"}, map[string]string{"ok": "1", "secret": "1"})
	r, err := New(context.Background(), Config{Stores: map[string]StoreConfig{"v": {Store: st, Secrets: &policy.Spec{Origin: "stores.v.secrets", Deny: []policy.Entry{{Name: "secret"}}}}}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ok, _ := ParseField("f", "secret://v/ok")
	_, snap, err := r.Watch(context.Background(), Workflow{Name: "wf", Fields: []Field{ok}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	bad, _ := ParseField("f", "secret://v/secret")
	for _, prev := range []*Snapshot{nil, snap} {
		if _, _, err := r.Watch(context.Background(), Workflow{Name: "wf", Fields: []Field{bad}}, prev); !errors.Is(err, secret.ErrNotAllowed) {
			t.Errorf("err = %v; want ErrNotAllowed", err)
		}
	}
	if p, g := st.counts("secret"); p+g != 0 {
		t.Errorf("a refused secret was probed %d and fetched %d times", p, g)
	}
}
