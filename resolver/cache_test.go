package resolver

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/cache"
	"github.com/latchkey/latchkey/secret"
)

// foldedStore is a memStore whose names are case-insensitive, with a
// Description.Key that says so.
type foldedStore struct{ *memStore }

func (f foldedStore) Get(ctx context.Context, req secret.Request) (secret.Result, error) {
	req.Name = strings.ToLower(req.Name)
	return f.memStore.Get(ctx, req)
}

func (foldedStore) Describe() secret.Description {
	return secret.Description{Key: func(req secret.Request) string {
		return strings.ToLower(req.Name) + "|" + req.Version
	}}
}

// describedStore adds a Describer, to check the cache does not hide it.
type describedStore struct{ *memStore }

func (describedStore) Describe() secret.Description {
	return secret.Description{Summary: "mem for tests"}
}

type closeCounter struct {
	*memStore
	closed int
}

func (c *closeCounter) Close() error { c.closed++; return nil }

func cached(opts cache.Options) func(*Config) {
	return func(c *Config) {
		sc := c.Stores["mem"]
		sc.Cache = &opts
		c.Stores["mem"] = sc
	}
}

// TestCachedWorkflow is the check: 1,000 resolutions of a
// 3-secret workflow inside the TTL make 3 upstream calls.
func TestCachedWorkflow(t *testing.T) {
	mem := newMem()
	r := newResolver(t, mem, cached(cache.Options{TTL: time.Minute}))
	w := wf("user", "secret://mem/db#username", "pw", "secret://mem/db#password", "token", "secret://mem/token", "host", "secret:///#host")
	for i := range 1000 {
		res, err := r.Resolve(context.Background(), w)
		if err != nil {
			t.Fatal(err)
		}
		if v, _ := res.Get("pw"); v.RevealString() != planted {
			t.Fatalf("resolution %d: wrong value", i)
		}
	}
	if n := mem.calls.Load(); n != 3 {
		t.Fatalf("1,000 resolutions of a 3-secret workflow made %d upstream calls, want 3", n)
	}
	st := r.CacheStats()["mem"]
	if st.Misses != 3 || st.Hits != 2997 || st.Entries != 3 {
		t.Fatalf("cache stats %+v", st)
	}

	// Without a cache (the CLI), every resolution fetches.
	plain := newMem()
	r2 := newResolver(t, plain, nil)
	for range 10 {
		if _, err := r2.Resolve(context.Background(), w); err != nil {
			t.Fatal(err)
		}
	}
	if n := plain.calls.Load(); n != 30 {
		t.Fatalf("uncached: %d calls, want 30", n)
	}
	if len(r2.CacheStats()) != 0 || r2.Cached("mem") {
		t.Fatal("an uncached resolver reports a cache")
	}
}

// TestDedupeByIdentity: two spellings of one secret in one resolution are
// one fetch when the store has a Keyer, cached or not.
func TestDedupeByIdentity(t *testing.T) {
	for _, withCache := range []bool{false, true} {
		mem := newMem()
		var mod func(*Config)
		if withCache {
			mod = cached(cache.Options{})
		}
		r := newResolver(t, foldedStore{mem}, mod)
		obs := &recordingObserver{}
		r.obs = obs
		res, err := r.Resolve(context.Background(), wf("a", "secret://mem/db#username", "b", "secret://mem/DB#password", "c", "secret://mem/Db"))
		if err != nil {
			t.Fatal(err)
		}
		if v, _ := res.Get("b"); v.RevealString() != planted {
			t.Fatal("wrong value")
		}
		if n := mem.calls.Load(); n != 1 {
			t.Fatalf("cache %v: three spellings of one secret made %d fetches, want 1", withCache, n)
		}
		obs.mu.Lock()
		if len(obs.fetches) != 1 || len(obs.fetches[0].Fields) != 3 {
			t.Fatalf("observer saw %d fetches (%+v), want one feeding 3 fields", len(obs.fetches), obs.fetches)
		}
		obs.mu.Unlock()
	}
}

type recordingObserver struct {
	mu      sync.Mutex
	fetches []FetchEvent
}

func (o *recordingObserver) Fetched(_ context.Context, ev FetchEvent) {
	o.mu.Lock()
	o.fetches = append(o.fetches, ev)
	o.mu.Unlock()
}

func (o *recordingObserver) Resolved(context.Context, ResolutionEvent) error { return nil }

func TestInvalidate(t *testing.T) {
	mem := newMem()
	cfg := func(c *Config) {
		c.Stores["mem"] = StoreConfig{Store: foldedStore{mem}, Cache: &cache.Options{}}
		c.Stores["other"] = StoreConfig{Store: newMem(), Cache: &cache.Options{}}
		c.Stores["plain"] = StoreConfig{Store: newMem()}
		c.DefaultStore = "mem"
	}
	r := newResolver(t, nil, cfg)
	w := wf("a", "secret://mem/db", "b", "secret://mem/token", "c", "secret://other/token", "d", "secret://plain/token")
	warm := func() {
		t.Helper()
		if _, err := r.Resolve(context.Background(), w); err != nil {
			t.Fatal(err)
		}
	}
	warm()
	tests := []struct {
		name    string
		store   string
		req     *secret.Request
		want    int
		wantErr string
	}{
		{"one secret by another spelling", "mem", &secret.Request{Name: "DB"}, 1, ""},
		{"one store", "mem", nil, 2, ""},
		{"every store", "", nil, 3, ""},
		{"a store without a cache", "plain", nil, 0, ""},
		{"an undeclared store", "nope", nil, 0, `store "nope" is not declared`},
		{"a secret without a store", "", &secret.Request{Name: "db"}, 0, "name its store"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			warm()
			n, err := r.Invalidate(tc.store, tc.req)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.Is(err, secret.ErrInvalidConfig) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || n != tc.want {
				t.Fatalf("Invalidate = %d, %v; want %d", n, err, tc.want)
			}
		})
	}
	before := mem.calls.Load()
	if _, err := r.Invalidate("mem", &secret.Request{Name: "db"}); err != nil {
		t.Fatal(err)
	}
	warm()
	if mem.calls.Load() != before+1 {
		t.Fatal("an invalidated secret was not fetched again")
	}
}

func TestRefreshBypassThroughResolver(t *testing.T) {
	mem := newMem()
	r := newResolver(t, mem, cached(cache.Options{}))
	w := wf("t", "secret://mem/token")
	for range 3 {
		if _, err := r.Resolve(cache.WithRefresh(context.Background()), w); err != nil {
			t.Fatal(err)
		}
	}
	if n := mem.calls.Load(); n != 3 {
		t.Fatalf("three refreshing resolutions made %d calls, want 3", n)
	}
}

func TestCacheOwnership(t *testing.T) {
	// A store the embedder passed in is not closed by the cache in front of it.
	cc := &closeCounter{memStore: newMem()}
	r, err := New(context.Background(), Config{Stores: map[string]StoreConfig{"mem": {Store: cc, Cache: &cache.Options{}}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil || cc.closed != 0 {
		t.Fatalf("Close: %v; the embedder's store was closed %d times", err, cc.closed)
	}
	// Describe still reaches the store behind the cache.
	r2 := newResolver(t, describedStore{newMem()}, cached(cache.Options{}))
	if id, ok := r2.Description("mem"); !ok || id.Summary != "mem for tests" {
		t.Fatalf("Description through a cache: %+v %v", id, ok)
	}
}
