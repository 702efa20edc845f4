//go:build unix

package server

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/safefile"
	"github.com/latchkey/latchkey/server/api"
	"github.com/latchkey/latchkey/server/serveconf"
)

// TestRevocationDoesNotWaitForReload: a reload that cannot finish (its
// config load hangs, as a store build or a file on a dead mount might)
// still revokes at once the token whose file was removed, replaced by a
// FIFO, or rewritten with another value; the reload is also bounded by its
// context, and the old generation keeps serving the other token.
func TestRevocationDoesNotWaitForReload(t *testing.T) {
	const otherToken = "other-token-0123456789abcdef"
	var stuck atomic.Bool
	release := make(chan struct{})
	h := startWith(t, func(dir string) string {
		write(t, filepath.Join(dir, "other"), otherToken)
		return baseConfig(dir, "  tokens:\n    other: {file: "+filepath.Join(dir, "other")+"}\n")
	}, func(c *Config) {
		load := c.Load
		c.Load = func(ctx context.Context) (*Spec, error) {
			if stuck.Load() {
				<-release
			}
			return load(ctx)
		}
	})
	defer close(release)
	tokenFile := filepath.Join(h.dir, "token")
	ready := func(tok string) int { return h.overTCP("GET", "/readyz", "", api.TokenHeader, tok).status }
	if got := ready(testToken); got != 200 {
		t.Fatalf("the token before any reload: %d", got)
	}
	if got := ready(otherToken); got != 200 {
		t.Fatalf("the other token: %d", got)
	}

	for _, tc := range []struct {
		name    string
		replace func(t *testing.T)
	}{
		{"file removed", func(t *testing.T) { os.Remove(tokenFile) }},
		{"file replaced by a FIFO", func(t *testing.T) {
			os.Remove(tokenFile)
			if err := syscall.Mkfifo(tokenFile, 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{"file rewritten with a new token", func(t *testing.T) { write(t, tokenFile, "a-new-token-0123456789abcdef\n") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Each case starts from a generation that accepts testToken.
			stuck.Store(false)
			os.Remove(tokenFile)
			write(t, tokenFile, testToken+"\n")
			if _, err := h.srv.Reload(context.Background()); err != nil {
				t.Fatal(err)
			}
			stuck.Store(true)
			if got := ready(testToken); got != 200 {
				t.Fatalf("before: %d", got)
			}
			tc.replace(t)
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			done := make(chan error, 1)
			go func() { _, err := h.srv.Reload(ctx); done <- err }()
			deadline := time.Now().Add(5 * time.Second)
			for ready(testToken) != 401 {
				if time.Now().After(deadline) {
					release <- struct{}{}
					<-done
					t.Fatal("the revoked token still works while the reload hangs")
				}
				time.Sleep(10 * time.Millisecond)
			}
			if got := ready(otherToken); got != 200 {
				t.Errorf("the other token during the stuck reload: %d", got)
			}
			select {
			case err := <-done:
				t.Fatalf("the stuck reload returned: %v", err)
			case <-time.After(50 * time.Millisecond):
			}
			release <- struct{}{} // let this reload's Load go on
			<-done
		})
	}
}

// TestTokenFileSpecial: a token file that is a FIFO, a device, a
// directory or a socket is refused at once, naming the token and what the
// path is; a symbolic link is followed (Kubernetes secret mounts are links).
func TestTokenFileSpecial(t *testing.T) {
	dir := shortTempDir(t)
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	good := filepath.Join(dir, "good")
	write(t, good, testToken+"\n")
	group := filepath.Join(dir, "group")
	write(t, group, testToken+"\n")
	if err := os.Chmod(group, 0o640); err != nil { // shared with the agent's group, as docs/serve.md suggests
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(good, link); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, path, want string }{
		{"fifo", fifo, "is a named pipe (FIFO)"},
		{"device", "/dev/null", "is a character device"},
		{"directory", dir, "is a directory"},
		{"socket", sock, "socket"},
		{"symlink", link, ""},
		{"group-readable", group, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			done := make(chan struct{})
			var tk tokens
			var err error
			go func() {
				defer close(done)
				tk, _, err = readTokens(map[string]serveconf.TokenSource{"ci": {File: tc.path}}, nil, false)
			}()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("reading the token blocked")
			}
			if tc.want == "" {
				if err != nil || len(tk.names) != 1 || len(tk.warnings) != 0 {
					t.Fatalf("%s: %v, warnings %v", tc.name, err, tk.warnings)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), `serve token "ci"`) || !strings.Contains(err.Error(), tc.path) ||
				!strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one naming the token, %s and %q", err, tc.path, tc.want)
			}
			var se *safefile.Error
			if !strings.Contains(err.Error(), "regular file") || !errors.As(err, &se) {
				t.Errorf("err = %v, want a safefile.Error saying what to do", err)
			}
		})
	}
}
