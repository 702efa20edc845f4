//go:build unix

package wasm

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestConfiguredFilesNeverBlock checks that the files a wasm store reads by
// a configured path — the module, its CA file — are refused at once when
// the path names a FIFO (a plain read would block until a writer came) or
// a directory, with an error naming the path.
func TestConfiguredFilesNeverBlock(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "store.wasm")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	readers := map[string]func(string) error{
		"module":  func(p string) error { _, err := readModule(p); return err },
		"ca_file": func(p string) error { _, err := caPool(p); return err },
	}
	for name, read := range readers {
		for _, path := range []string{fifo, dir} {
			done := make(chan error, 1)
			go func() { done <- read(path) }()
			select {
			case err := <-done:
				if err == nil || !strings.Contains(err.Error(), path) {
					t.Errorf("%s %s: err = %v, want a refusal naming the path", name, path, err)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("%s %s: the read blocked", name, path)
			}
		}
	}
}
