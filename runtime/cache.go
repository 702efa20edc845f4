package runtime

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/tetratelabs/wazero"

	"github.com/latchkey/latchkey/internal/fileperm"
)

// Cache holds compiled modules, in memory and optionally on disk. Share one
// Cache among the modules of a process so that a module used by several
// stores is compiled once; with a directory, a later process loads the
// native code from disk instead of compiling again.
//
// A Cache is safe for concurrent use, and processes may share its
// directory: entries are written to a temporary file and renamed.
type Cache struct {
	c   wazero.CompilationCache
	dir string
}

// NewCache returns a Cache writing to dir, which is created with mode 0700
// if needed. An empty dir keeps compiled code in memory only. NewCache
// refuses a directory that other users may write to or read, since native
// code loaded from it runs in the agent's process.
func NewCache(dir string) (*Cache, error) {
	if dir == "" {
		return &Cache{c: wazero.NewCompilationCache()}, nil
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("compilation cache %s: %w", dir, err)
	}
	if err := fileperm.MkdirPrivate(dir); err != nil {
		return nil, fmt.Errorf("compilation cache %s: %w (set the wasm store's cache_dir to a directory the agent may create and write, e.g. under systemd CacheDirectory=latchkey with XDG_CACHE_HOME=/var/cache/latchkey, or no_cache: true)", dir, err)
	}
	st, err := fileperm.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("compilation cache: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("compilation cache %s is not a directory", dir)
	}
	if fileperm.Loose(st, 0o077) {
		if who := fileperm.Who(st, 0o077); who != "" { // Windows: the ACL
			return nil, fmt.Errorf("compilation cache %s has %s: other users could plant native code in it; remove their access (docs/windows.md) or choose another directory", dir, who)
		}
		return nil, fmt.Errorf("compilation cache %s has mode %o: other users could plant native code in it; run chmod 700 on it or choose another directory", dir, st.Mode().Perm())
	}
	if err := fileperm.CheckOwner(st); err != nil {
		return nil, fmt.Errorf("compilation cache %s: %w", dir, err)
	}
	c, err := wazero.NewCompilationCacheWithDir(dir)
	if err != nil {
		return nil, fmt.Errorf("compilation cache %s: %w", dir, err)
	}
	return &Cache{c: c, dir: dir}, nil
}

// Dir returns the cache's directory, or "" for an in-memory cache.
func (c *Cache) Dir() string { return c.dir }

// Close releases the compiled code held in memory. Modules using the cache
// must be closed first.
func (c *Cache) Close(ctx context.Context) error { return c.c.Close(ctx) }

// DefaultCacheDir returns the per-user cache directory:
// $XDG_CACHE_HOME/latchkey/wasm on Linux (~/.cache/latchkey/wasm),
// ~/Library/Caches/latchkey/wasm on macOS, %LocalAppData%\latchkey\wasm on
// Windows.
func DefaultCacheDir() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no per-user cache directory (set cache_dir): %w", err)
	}
	return filepath.Join(base, "latchkey", "wasm"), nil
}
