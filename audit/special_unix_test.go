//go:build unix

package audit_test

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/latchkey/latchkey/audit"
	"github.com/latchkey/latchkey/internal/safefile"
)

// bounded fails the test when f blocks: a special file at the audit path
// used to hang Open (and so the agent's start) and Reopen (and so its
// SIGHUP reload).
func bounded(t *testing.T, what string, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		t.Fatalf("%s blocked on a special file", what)
		return nil
	}
}

// TestSpecialFiles: a FIFO (with or without a reader), a socket or a device
// at the audit path is refused at once by Open, and by Reopen after a
// rotation, which keeps writing to the old file.
func TestSpecialFiles(t *testing.T) {
	dir, err := os.MkdirTemp("", "au") // short, for the socket
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	withReader := filepath.Join(dir, "fifo-read")
	if err := syscall.Mkfifo(withReader, 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := os.OpenFile(withReader, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	sock := filepath.Join(dir, "sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for _, tc := range []struct{ name, path, want string }{
		{"fifo without reader", fifo, "named pipe (FIFO)"},
		{"fifo with a reader", withReader, "is a named pipe (FIFO)"},
		{"socket", sock, "socket"},
		{"device", "/dev/null", "is a character device"},
	} {
		t.Run("Open/"+tc.name, func(t *testing.T) {
			err := bounded(t, "Open", func() error { _, err := audit.Open(tc.path, audit.Options{}); return err })
			if !errors.Is(err, safefile.ErrNotRegular) || !strings.Contains(err.Error(), tc.path) ||
				!strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "audit.file") {
				t.Fatalf("Open(%s) = %v, want an error naming audit.file, the path and %q", tc.path, err, tc.want)
			}
		})
		t.Run("Reopen/"+tc.name, func(t *testing.T) {
			path := filepath.Join(dir, "audit.jsonl")
			l, err := audit.Open(path, audit.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			defer os.Remove(path)
			if err := os.Rename(path, path+".1"); err != nil {
				t.Fatal(err)
			}
			defer os.Remove(path + ".1")
			// The attacker plants the special file where the new log
			// would be created.
			if err := os.Symlink(tc.path, path); err != nil {
				t.Fatal(err)
			}
			if err := bounded(t, "Reopen", l.Reopen); err == nil {
				t.Fatal("Reopen accepted a link to a special file")
			}
			os.Remove(path)
			if tc.path != "/dev/null" {
				if err := os.Rename(tc.path, path); err != nil {
					t.Fatal(err)
				}
				defer os.Rename(path, tc.path)
				if err := bounded(t, "Reopen", l.Reopen); !errors.Is(err, safefile.ErrNotRegular) {
					t.Fatalf("Reopen = %v, want ErrNotRegular", err)
				}
			}
			if err := l.Write(audit.Record{Event: audit.EventResolution, Workflow: "after", Outcome: audit.OutcomeOK}); err != nil {
				t.Fatalf("write after a refused Reopen: %v", err)
			}
			if b, _ := os.ReadFile(path + ".1"); !strings.Contains(string(b), `"after"`) {
				t.Errorf("the old file did not get the record after a refused Reopen: %q", b)
			}
		})
	}
}
