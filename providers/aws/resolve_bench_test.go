package aws_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/latchkey/latchkey/cache"
	_ "github.com/latchkey/latchkey/providers/aws" // type "aws"
	"github.com/latchkey/latchkey/providers/aws/awstest"
	"github.com/latchkey/latchkey/resolver"
	"github.com/latchkey/latchkey/secret"
)

// benchResolver builds a resolver over the real aws store and its loopback
// server, with or without a cache, and a 3-secret workflow.
func benchResolver(b *testing.B, withCache bool) (*resolver.Resolver, resolver.Workflow) {
	b.Helper()
	srv := awstest.Start(b)
	srv.Isolate(b)
	srv.Setenv(b, srv.AddUser("bench"))
	w := resolver.Workflow{Name: "bench"}
	for i, n := range []string{"db", "api", "queue"} {
		srv.PutString("bench/"+n, fmt.Sprintf(`{"user":"u%d","password":"planted-%s-password"}`, i, n))
		src, err := secret.ParseSource("secret://sm/bench%2F" + n + "#password")
		if err != nil {
			b.Fatal(err)
		}
		w.Fields = append(w.Fields, resolver.Field{Name: n, Source: src})
	}
	sc := resolver.StoreConfig{Type: "aws", Settings: map[string]any{"region": awstest.DefaultRegion, "endpoint": srv.URL}}
	if withCache {
		sc.Cache = &cache.Options{TTL: time.Hour}
	}
	r, err := resolver.New(context.Background(), resolver.Config{Stores: map[string]resolver.StoreConfig{"sm": sc}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = r.Close() })
	if _, err := r.Resolve(context.Background(), w); err != nil { // warm: connections, credentials, cache
		b.Fatal(err)
	}
	return r, w
}

// BenchmarkResolve compares one resolution of a 3-secret workflow through
// the aws store against its loopback server, uncached (three signed
// GetSecretValue calls over HTTP) and cached (three hits), serially and
// from parallel goroutines. Compare the ns/op of the cases of one run.
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
