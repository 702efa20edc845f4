//go:build unix

package runtime_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	lkruntime "github.com/latchkey/latchkey/runtime"
	"github.com/latchkey/latchkey/secret"
)

// TestLoadSpecialFile: a FIFO, a device or a directory at a store's module
// path is refused at once (it used to block Load, and so the agent's start
// or reload, on the FIFO), as invalid config naming the module and path.
func TestLoadSpecialFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "store.wasm")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, path, want string }{
		{"fifo", fifo, "is a named pipe (FIFO)"},
		{"device", "/dev/zero", "is a character device"},
		{"directory", dir, "is a directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() {
				_, err := lkruntime.Load(context.Background(), tc.path, lkruntime.Options{Name: "vault"})
				done <- err
			}()
			var err error
			select {
			case err = <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("Load blocked on a special file")
			}
			if !errors.Is(err, secret.ErrInvalidConfig) || !strings.Contains(err.Error(), "vault") ||
				!strings.Contains(err.Error(), tc.path) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Load(%s) = %v, want invalid config naming the module, the path and %q", tc.path, err, tc.want)
			}
		})
	}
}
