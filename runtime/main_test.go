package runtime_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/wasmtest"
	lkruntime "github.com/latchkey/latchkey/runtime"
)

// sharedCache keeps compiled code for the whole test binary, backed by the
// tests' on-disk cache, so that each guest is compiled once per run.
var sharedCache *lkruntime.Cache

func TestMain(m *testing.M) {
	os.Exit(func() int {
		var err error
		if sharedCache, err = lkruntime.NewCache(wasmtest.CacheDir(nil)); err != nil {
			panic(err)
		}
		defer sharedCache.Close(context.Background())
		return m.Run()
	}())
}

func behave(t testing.TB) string { return wasmtest.Build(t, "runtime/testdata/guests/behave") }

// load loads the guest at path, unpinned, with the shared cache.
func load(t testing.TB, path string, opts lkruntime.Options) *lkruntime.Module {
	t.Helper()
	if opts.Name == "" {
		opts.Name = "test-module"
	}
	opts.AllowUnpinned = opts.SHA256 == ""
	opts.Cache = sharedCache
	m, err := lkruntime.Load(context.Background(), path, opts)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	t.Cleanup(func() { m.Close(context.Background()) })
	return m
}

func mustContain(t testing.TB, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("%s does not contain %q: %s", what, sub, s)
		}
	}
}
