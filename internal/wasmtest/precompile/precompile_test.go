package precompile

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	lkruntime "github.com/latchkey/latchkey/runtime"
)

func TestPrecompile(t *testing.T) {
	dir, files := os.Getenv("LATCHKEY_PRECOMPILE_CACHE"), os.Getenv("LATCHKEY_PRECOMPILE_FILES")
	if dir == "" || files == "" {
		t.Skip("run by wasmtest.Build with LATCHKEY_PRECOMPILE_CACHE and LATCHKEY_PRECOMPILE_FILES set")
	}
	ctx := context.Background()
	for _, path := range filepath.SplitList(files) {
		m, err := lkruntime.Load(ctx, path, lkruntime.Options{Name: path, AllowUnpinned: true, CacheDir: dir})
		if err != nil {
			t.Logf("%s: %v", path, err) // what compiled is cached anyway
			continue
		}
		m.Close(ctx)
	}
}
