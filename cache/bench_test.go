package cache_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/cache"
	"github.com/latchkey/latchkey/internal/memstore"
	"github.com/latchkey/latchkey/resolver"
	"github.com/latchkey/latchkey/secret"
)

// benchResolver builds a resolver over an in-memory store, with or
// without a cache, and a 3-secret workflow. The same benchmark over the
// real aws store and its loopback server, where a miss is three signed
// HTTP calls, is providers/aws's BenchmarkResolve.
func benchResolver(b *testing.B, withCache bool) (*resolver.Resolver, resolver.Workflow) {
	b.Helper()
	st := memstore.New()
	w := resolver.Workflow{Name: "bench"}
	for i, n := range []string{"db", "api", "queue"} {
		st.Put("bench/"+n, fmt.Sprintf(`{"user":"u%d","password":"planted-%s-password"}`, i, n))
		src, err := secret.ParseSource("secret://sm/bench%2F" + n + "#password")
		if err != nil {
			b.Fatal(err)
		}
		w.Fields = append(w.Fields, resolver.Field{Name: n, Source: src})
	}
	sc := resolver.StoreConfig{Type: "memstore", Store: st}
	if withCache {
		sc.Cache = &cache.Options{TTL: time.Hour}
	}
	r, err := resolver.New(context.Background(), resolver.Config{Stores: map[string]resolver.StoreConfig{"sm": sc}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = r.Close(); _ = st.Close() })
	if _, err := r.Resolve(context.Background(), w); err != nil { // warm the cache
		b.Fatal(err)
	}
	return r, w
}

// BenchmarkResolve compares one resolution of a 3-secret workflow through
// an in-memory store, uncached (three fetches) and cached (three hits),
// serially and from parallel goroutines: the resolver's and the cache's
// own cost. Compare the ns/op of the cases of one run.
func BenchmarkResolve(b *testing.B) {
	for _, tc := range []struct {
		name     string
		cached   bool
		parallel bool
	}{
		{"uncached", false, false},
		{"cached", true, false},
		{"uncached-parallel", false, true},
		{"cached-parallel", true, true},
	} {
		b.Run(tc.name, func(b *testing.B) {
			r, w := benchResolver(b, tc.cached)
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			if !tc.parallel {
				for b.Loop() {
					if _, err := r.Resolve(ctx, w); err != nil {
						b.Fatal(err)
					}
				}
				return
			}
			b.SetParallelism(8)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := r.Resolve(ctx, w); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkGetHit is one cache hit, the cache's own cost per field.
func BenchmarkGetHit(b *testing.B) {
	c := cache.New(&genStore{size: 64}, cache.Options{TTL: time.Hour})
	defer c.Close()
	ctx := context.Background()
	req := secret.Request{Name: "s-0"}
	if _, err := c.Get(ctx, req); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Get(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

// genStore makes up a value of size bytes for any name, holding nothing,
// so that a memory measurement sees only the cache.
type genStore struct{ size int }

func (g *genStore) Get(_ context.Context, req secret.Request) (secret.Result, error) {
	return secret.Result{Value: secret.StringValue(strings.Repeat("x", g.size-min(g.size, len(req.Name))) + req.Name[:min(g.size, len(req.Name))])}, nil
}

func (g *genStore) Close() error { return nil }

// BenchmarkMemory10k fills a cache with 10,000 secrets of 256 bytes and
// reports the heap it holds per entry beyond the value itself
// (overhead-B/entry; the goal is at most 2 KiB), from runtime.ReadMemStats
// after a GC.
func BenchmarkMemory10k(b *testing.B) {
	const n, size = 10_000, 256
	ctx := context.Background()
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("team/app-%05d/db", i)
	}
	var total float64
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		c := cache.New(&genStore{size: size}, cache.Options{TTL: time.Hour, MaxEntries: n})
		for _, name := range names {
			if _, err := c.Get(ctx, secret.Request{Name: name}); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		if st := c.Stats(); st.Entries != n {
			b.Fatalf("%d entries", st.Entries)
		}
		total += float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / n
		runtime.KeepAlive(c)
		_ = c.Close()
	}
	b.ReportMetric(total/float64(b.N)-size, "overhead-B/entry")
	b.ReportMetric(0, "ns/op")
}
