// Package ocitest runs a real OCI registry for tests: Debian's
// docker-registry (CNCF distribution 2.8) on a free loopback port, with
// its storage in a test's temporary directory. Tests skip, naming the
// package, when it is not installed.
package ocitest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Binary is where Debian's docker-registry package installs the registry.
const Binary = "/usr/bin/docker-registry"

// Registry is a running (or stopped) registry. Its address and storage
// survive Stop and Start, as a real registry's do across a restart.
type Registry struct {
	// Host is host:port, as a reference names the registry.
	Host string
	t    testing.TB
	conf string
	cmd  *exec.Cmd
	done chan struct{}
}

// Start starts a registry for t, stopped when t ends; it skips t when
// the docker-registry package is not installed.
func Start(t testing.TB) *Registry {
	t.Helper()
	return StartAuth(t, "", "")
}

// StartAuth starts a registry that requires HTTP basic authentication
// as user with password (htpasswd, bcrypt), or none when user is empty.
func StartAuth(t testing.TB, user, password string) *Registry {
	t.Helper()
	bin, err := exec.LookPath(Binary)
	if err != nil {
		t.Skipf("registry tests need Debian's docker-registry package (%s): apt-get install docker-registry", Binary)
	}
	_ = bin
	dir := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	host := l.Addr().String()
	l.Close()
	conf := filepath.Join(dir, "config.yml")
	auth := ""
	if user != "" {
		hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		htpasswd := filepath.Join(dir, "htpasswd")
		if err := os.WriteFile(htpasswd, []byte(user+":"+string(hash)+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		auth = fmt.Sprintf("auth:\n  htpasswd:\n    realm: latchkey-test\n    path: %s\n", htpasswd)
	}
	cfg := auth + fmt.Sprintf(`version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
http:
  addr: %s
`, filepath.Join(dir, "storage"), host)
	if err := os.WriteFile(conf, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	r := &Registry{Host: host, t: t, conf: conf}
	r.Restart()
	t.Cleanup(r.Stop)
	return r
}

// Restart starts the registry again after [Registry.Stop].
func (r *Registry) Restart() {
	r.t.Helper()
	if r.cmd != nil {
		r.t.Fatal("ocitest: registry already running")
	}
	var out strings.Builder
	cmd := exec.Command(Binary, "serve", r.conf)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		r.t.Fatalf("start %s: %v", Binary, err)
	}
	r.cmd, r.done = cmd, make(chan struct{})
	go func() { cmd.Wait(); close(r.done) }()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+r.Host+"/v2/", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusUnauthorized {
				return
			}
		}
		select {
		case <-r.done:
			r.cmd = nil
			r.t.Fatalf("docker-registry exited at start: %s", out.String())
		case <-ctx.Done():
			r.Stop()
			r.t.Fatalf("docker-registry did not answer on %s within 20s: %s", r.Host, out.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Stop stops the registry; its storage stays for [Registry.Restart].
func (r *Registry) Stop() {
	if r.cmd == nil {
		return
	}
	r.cmd.Process.Kill()
	<-r.done
	r.cmd = nil
}
