package resolver

import (
	"context"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/latchkey/latchkey/secret"
)

// builds counts the stores of type "rebuild-test" built and closed, by name.
var builds = struct {
	sync.Mutex
	built, closed map[string]int
}{built: map[string]int{}, closed: map[string]int{}}

type rebuildStore struct {
	name  string
	value string
}

func (s *rebuildStore) Get(context.Context, secret.Request) (secret.Result, error) {
	return secret.Result{Value: secret.StringValue(s.value)}, nil
}

func (s *rebuildStore) Close() error {
	builds.Lock()
	builds.closed[s.name]++
	builds.Unlock()
	return nil
}

func init() {
	secret.Register(secret.Type{Name: "rebuild-test", New: func(_ context.Context, spec secret.Spec) (secret.Store, error) {
		v, _ := spec.Settings["value"].(string)
		if v == "bad" {
			return nil, &secret.ConfigError{Store: spec.Name, Key: "value", Msg: "planted bad setting"}
		}
		builds.Lock()
		builds.built[spec.Name]++
		builds.Unlock()
		return &rebuildStore{name: spec.Name, value: v}, nil
	}})
}

func storeCfg(pairs ...string) Config {
	cfg := Config{Stores: map[string]StoreConfig{}, DefaultStore: "a"}
	for i := 0; i < len(pairs); i += 2 {
		cfg.Stores[pairs[i]] = StoreConfig{Type: "rebuild-test", Settings: map[string]any{"value": pairs[i+1]}}
	}
	return cfg
}

func TestRebuild(t *testing.T) {
	ctx := context.Background()
	old, err := New(ctx, storeCfg("a", "1", "b", "1", "c", "1"))
	if err != nil {
		t.Fatal(err)
	}
	builds.Lock()
	before := map[string]int{"a": builds.built["a"], "b": builds.built["b"], "c": builds.built["c"], "d": builds.built["d"]}
	builds.Unlock()

	// A bad config leaves the old resolver as it was: the store the
	// failed rebuild had taken over (a) is not closed.
	closedBefore := closed("a")
	if _, _, err := old.Rebuild(ctx, storeCfg("a", "1", "b", "bad")); err == nil || !strings.Contains(err.Error(), "planted bad setting") {
		t.Fatalf("bad config: %v", err)
	}
	if closed("a") != closedBefore {
		t.Fatal("a failed rebuild closed a store the old resolver still serves")
	}
	if _, err := old.Resolve(ctx, wf("x", "secret://a/s")); err != nil {
		t.Fatalf("old resolver after a failed rebuild: %v", err)
	}
	nr, ch, err := old.Rebuild(ctx, storeCfg("a", "1", "b", "2", "d", "1"))
	if err != nil {
		t.Fatal(err)
	}
	want := Changes{Kept: []string{"a"}, Built: []string{"b", "d"}, Removed: []string{"c"}}
	if !reflect.DeepEqual(ch, want) {
		t.Fatalf("changes = %+v, want %+v", ch, want)
	}
	builds.Lock()
	if builds.built["a"] != before["a"] || builds.built["b"] != before["b"]+1 || builds.built["d"] != before["d"]+1 {
		t.Errorf("builds: %v (before %v)", builds.built, before)
	}
	builds.Unlock()
	// The old resolver still answers in-flight work.
	res, err := old.Resolve(ctx, wf("x", "secret://b/s"))
	if err != nil || res.Fields[0].Value.RevealString() != "1" {
		t.Fatalf("old resolver after rebuild: %v", err)
	}
	res, err = nr.Resolve(ctx, wf("x", "secret://b/s"))
	if err != nil || res.Fields[0].Value.RevealString() != "2" {
		t.Fatalf("new resolver: %v", err)
	}
	builds.Lock()
	closedA := builds.closed["a"]
	builds.Unlock()
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	builds.Lock()
	if builds.closed["a"] != closedA {
		t.Errorf("closing the old resolver closed store a, which the new one took over")
	}
	builds.Unlock()
	if _, err := nr.Resolve(ctx, wf("x", "secret://a/s")); err != nil {
		t.Fatalf("kept store after the old resolver closed: %v", err)
	}
	if err := nr.Close(); err != nil {
		t.Fatal(err)
	}
	builds.Lock()
	defer builds.Unlock()
	if builds.closed["a"] != closedA+1 {
		t.Errorf("closing the new resolver must close store a once: %d", builds.closed["a"]-closedA)
	}
}

func closed(name string) int {
	builds.Lock()
	defer builds.Unlock()
	return builds.closed[name]
}

// TestRebuildDiscard: a rebuilt Resolver given up with Discard closes what
// it built and leaves what it took over to the old one.
func TestRebuildDiscard(t *testing.T) {
	ctx := context.Background()
	old, err := New(ctx, storeCfg("a", "1", "b", "1"))
	if err != nil {
		t.Fatal(err)
	}
	nr, _, err := old.Rebuild(ctx, storeCfg("a", "1", "b", "2", "d", "1"))
	if err != nil {
		t.Fatal(err)
	}
	a, b, d := closed("a"), closed("b"), closed("d")
	if err := nr.Discard(); err != nil {
		t.Fatal(err)
	}
	if closed("a") != a || closed("b") != b+1 || closed("d") != d+1 {
		t.Fatalf("Discard closed a %d, b %d, d %d times; want 0, 1, 1", closed("a")-a, closed("b")-b, closed("d")-d)
	}
	if _, err := old.Resolve(ctx, wf("x", "secret://a/s")); err != nil {
		t.Fatalf("old resolver after Discard: %v", err)
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	if closed("a") != a+1 || closed("b") != b+2 {
		t.Fatalf("closing the old resolver after Discard: a %d, b %d; want 1, 2", closed("a")-a, closed("b")-b)
	}
}
