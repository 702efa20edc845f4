package observer_test

import (
	"context"
	"io"
	"path/filepath"
	"testing"

	"github.com/latchkey/latchkey/audit"
	"github.com/latchkey/latchkey/audit/observer"
	"github.com/latchkey/latchkey/resolver"
	"github.com/latchkey/latchkey/secret"
)

type mapStore map[string]string

func (m mapStore) Get(_ context.Context, req secret.Request) (secret.Result, error) {
	return secret.Result{Value: secret.StringValue(m[req.Name])}, nil
}

func (mapStore) Close() error { return nil }

// BenchmarkResolveAudited resolves a workflow of five secrets with no
// observer, with the audit log to a discarding writer, and to a file
// (each record one write): the audit log's cost as a ratio to resolving.
func BenchmarkResolveAudited(b *testing.B) {
	st := mapStore{"a": `{"k":"1"}`, "b": "2", "c": "3", "d": "4", "e": "5"}
	var fields []resolver.Field
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		src, _ := secret.ParseSource("secret://s/" + n)
		fields = append(fields, resolver.Field{Name: n, Source: src})
	}
	wf := resolver.Workflow{Name: "bench", Fields: fields}
	file, err := audit.Open(filepath.Join(b.TempDir(), "audit.jsonl"), audit.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer file.Close()
	for _, bc := range []struct {
		name string
		obs  resolver.Observer
	}{
		{"no audit", nil},
		{"audit to a discarding writer", observer.New(audit.New(io.Discard, audit.Options{}))},
		{"audit to a file", observer.New(file)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			r, err := resolver.New(context.Background(), resolver.Config{Stores: map[string]resolver.StoreConfig{"s": {Store: st}}, Observer: bc.obs})
			if err != nil {
				b.Fatal(err)
			}
			defer r.Close()
			ctx := secret.WithCaller(context.Background(), secret.Caller{Kind: secret.CallerToken, Token: "ci"})
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.Resolve(ctx, wf); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
