//go:build unix

package config

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestLoadSpecialFile: a FIFO or device given as the agent config is
// refused at once (a FIFO used to block Load, and so start-up and every
// SIGHUP reload), naming the path and what it is.
func TestLoadSpecialFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "agent.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	dev := filepath.Join(dir, "dev.yaml")
	if err := os.Symlink("/dev/zero", dev); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, want string }{
		{fifo, "is a named pipe (FIFO)"},
		{dev, "is a character device"}, // through a link, which is followed
	} {
		t.Run(tc.path, func(t *testing.T) {
			done := make(chan error, 1)
			go func() { _, err := Load(Options{Path: tc.path, Environ: []string{}}); done <- err }()
			select {
			case err := <-done:
				if err == nil || !strings.Contains(err.Error(), tc.path) || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("Load = %v, want an error naming %s and %q", err, tc.path, tc.want)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("Load blocked")
			}
		})
	}
}
