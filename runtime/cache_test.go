package runtime_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	lkruntime "github.com/latchkey/latchkey/runtime"
)

func TestCacheDir(t *testing.T) {
	base := t.TempDir()
	tests := []struct {
		name  string
		setup func(dir string) error
		want  string // "" for success
	}{
		{"created 0700", func(string) error { return nil }, ""},
		{"existing private", func(dir string) error { return os.Mkdir(dir, 0o700) }, ""},
		{"group writable", func(dir string) error {
			if err := os.Mkdir(dir, 0o700); err != nil {
				return err
			}
			return os.Chmod(dir, 0o770)
		}, "chmod 700"},
		{"a file", func(dir string) error { return os.WriteFile(dir, nil, 0o600) }, "not a directory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(base, strings.ReplaceAll(tc.name, " ", "-"), "cache")
			if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := tc.setup(dir); err != nil {
				t.Fatal(err)
			}
			c, err := lkruntime.NewCache(dir)
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("NewCache = %v, want an error mentioning %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close(context.Background())
			st, err := os.Stat(dir)
			if err != nil || st.Mode().Perm() != 0o700 || c.Dir() != dir {
				t.Fatalf("cache dir %s: %v %v", dir, st.Mode(), err)
			}
		})
	}
	if d, err := lkruntime.DefaultCacheDir(); err == nil && !strings.HasSuffix(d, filepath.Join("latchkey", "wasm")) {
		t.Errorf("DefaultCacheDir = %s", d)
	}
}
