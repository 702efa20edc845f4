//go:build unix

package modsig_test

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/latchkey/latchkey/runtime/modsig"
)

// TestKeyFileSpecial checks that a signature key path naming a FIFO (which
// a plain read would block on until a writer came), a directory or a
// device is refused at once, naming the path.
func TestKeyFileSpecial(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "key.pub")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{fifo, dir, "/dev/zero"} {
		done := make(chan error, 1)
		go func() {
			_, err := modsig.New(modsig.Policy{Keys: []string{path}})
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), path) {
				t.Errorf("key %s: err = %v, want a refusal naming the path", path, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("key %s: New blocked", path)
		}
	}
	done := make(chan error, 1)
	go func() {
		_, err := modsig.New(modsig.Policy{TrustedRoot: fifo, Identity: "a@example.com", Issuer: "https://issuer.example"})
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), fifo) {
			t.Errorf("trusted_root FIFO: err = %v, want a refusal naming the path", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("trusted_root FIFO: New blocked")
	}
}
