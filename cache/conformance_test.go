package cache_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/latchkey/latchkey/cache"
	"github.com/latchkey/latchkey/providers/env"
	"github.com/latchkey/latchkey/secret"
	"github.com/latchkey/latchkey/storetest"
)

// slowStore blocks on the name "slow" until its context ends, so that the
// kit can check that the cache honours a caller's deadline.
type slowStore struct{ secret.Store }

func (s slowStore) Get(ctx context.Context, req secret.Request) (secret.Result, error) {
	if req.Name == "APP_SLOW" {
		<-ctx.Done()
		return secret.Result{}, fmt.Errorf("slow: %w", ctx.Err())
	}
	return s.Store.Get(ctx, req)
}

// TestConformance runs the store kit against a cache in front of the env
// store: a cache must behave as a store.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) *storetest.Fixture {
		vars := map[string]string{
			"APP_PLAIN": "plain-planted-value",
			"APP_DOC":   `{"username":"admin","password":"json-planted-pw"}`,
		}
		st, err := env.New("env", env.Options{Allow: []string{"APP_*"}, LookupEnv: func(k string) (string, bool) {
			v, ok := vars[k]
			return v, ok
		}})
		if err != nil {
			t.Fatal(err)
		}
		return &storetest.Fixture{
			Store: cache.New(slowStore{st}, cache.Options{Name: "env", TTL: time.Minute}),
			Plain: secret.Request{Name: "APP_PLAIN"}, PlainValue: []byte(vars["APP_PLAIN"]),
			JSON: secret.Request{Name: "APP_DOC"}, JSONValue: []byte(vars["APP_DOC"]),
			JSONKey: "password", JSONKeyValue: "json-planted-pw",
			Missing: secret.Request{Name: "APP_MISSING"},
			Slow:    secret.Request{Name: "APP_SLOW"},
		}
	})
}

func ExampleNew() {
	store, _ := env.New("app", env.Options{Allow: []string{"APP_*"}, LookupEnv: func(string) (string, bool) { return "s3cr3t", true }})
	cached := cache.New(store, cache.Options{Name: "app", TTL: 5 * time.Minute})
	defer cached.Close()
	for range 3 {
		if _, err := cached.Get(context.Background(), secret.Request{Name: "APP_DB"}); err != nil {
			fmt.Println(err)
		}
	}
	st := cached.Stats()
	fmt.Println("misses", st.Misses, "hits", st.Hits, "upstream calls", st.UpstreamCalls)
	// Output: misses 1 hits 2 upstream calls 1
}
