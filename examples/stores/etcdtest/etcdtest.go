// Package etcdtest gives tests a real etcd v3 to read through the example
// module examples/stores/etcd: it starts /usr/bin/etcd (Debian's
// etcd-server package) on loopback with its own data directory and free
// ports, waits until it is healthy, and stops it when the test ends; or it
// uses the etcd named by the environment variable [EndpointEnv]. Without
// either, the test is skipped with the reason.
package etcdtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/wasmtest"
)

// EndpointEnv names an already running etcd ("http://127.0.0.1:2379") to
// use instead of starting one. Tests that would enable authentication on it
// are skipped: it may be shared.
const EndpointEnv = "ETCDTEST_ENDPOINT"

// BinaryEnv overrides the etcd binary's path (default: "etcd" on PATH, then
// /usr/bin/etcd).
const BinaryEnv = "ETCDTEST_BINARY"

// Etcd is a running etcd reached through its JSON gateway.
type Etcd struct {
	// Endpoint is the client URL: http://127.0.0.1:PORT.
	Endpoint string
	// Own reports whether the test started this etcd (and may reconfigure
	// it, e.g. enable authentication).
	Own bool

	client *http.Client
	mu     sync.Mutex
	token  string // Authorization for admin calls once auth is enabled
}

// Start returns a running etcd for tb: the one named by [EndpointEnv], or
// one it starts and stops at the end of the test. It skips tb when there
// is neither an endpoint nor an etcd binary.
func Start(tb testing.TB) *Etcd {
	tb.Helper()
	e := &Etcd{client: &http.Client{Timeout: 10 * time.Second}}
	if ep := os.Getenv(EndpointEnv); ep != "" {
		e.Endpoint = strings.TrimSuffix(ep, "/")
		if err := e.waitHealthy(10 * time.Second); err != nil {
			tb.Fatalf("etcdtest: %s=%s: %v", EndpointEnv, ep, err)
		}
		return e
	}
	bin := os.Getenv(BinaryEnv)
	if bin == "" {
		var err error
		if bin, err = exec.LookPath("etcd"); err != nil {
			if _, serr := os.Stat("/usr/bin/etcd"); serr != nil {
				tb.Skipf("etcdtest: no etcd binary (install Debian's etcd-server package: apt-get install -y etcd-server) and %s is not set", EndpointEnv)
			}
			bin = "/usr/bin/etcd"
		}
	}
	dir := tb.TempDir()
	var lastErr error
	for range 3 { // a port taken between freePort and etcd's bind: retry
		client, peer := freePort(tb), freePort(tb)
		e.Endpoint = "http://" + client
		var out bytes.Buffer
		cmd := exec.Command(bin,
			"--name", "latchkey-test",
			"--data-dir", dir+"/data-"+strconv.Itoa(time.Now().Nanosecond()),
			"--listen-client-urls", e.Endpoint,
			"--advertise-client-urls", e.Endpoint,
			"--listen-peer-urls", "http://"+peer,
			"--initial-advertise-peer-urls", "http://"+peer,
			"--initial-cluster", "latchkey-test=http://"+peer,
			"--bcrypt-cost", "4", // logins in tests need not be slow
			"--log-level", "error",
		)
		cmd.Stdout, cmd.Stderr = &out, &out
		cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
		if err := cmd.Start(); err != nil {
			tb.Fatalf("etcdtest: starting %s: %v", bin, err)
		}
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		stop := func() {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-exited:
			case <-time.After(5 * time.Second):
				_ = cmd.Process.Kill()
				<-exited
			}
		}
		if lastErr = e.waitHealthy(20 * time.Second); lastErr == nil {
			e.Own = true
			tb.Cleanup(stop)
			return e
		}
		stop()
		lastErr = fmt.Errorf("%w\netcd's output:\n%s", lastErr, out.String())
	}
	tb.Fatalf("etcdtest: etcd did not become healthy: %v", lastErr)
	return nil
}

func freePort(tb testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func (e *Etcd) waitHealthy(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		resp, err := e.client.Get(e.Endpoint + "/health")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 && bytes.Contains(b, []byte(`"health":"true"`)) {
				return nil
			}
			err = fmt.Errorf("health: HTTP %d %s", resp.StatusCode, b)
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("not healthy after %v: %v", timeout, last)
}

// HostPort returns the endpoint's "host:port".
func (e *Etcd) HostPort() string {
	u, _ := url.Parse(e.Endpoint)
	return u.Host
}

// call POSTs body (JSON) to the gateway path and decodes the answer into
// out, failing tb on any error.
func (e *Etcd) call(tb testing.TB, path string, body, out any) {
	tb.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequestWithContext(context.Background(), "POST", e.Endpoint+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	e.mu.Lock()
	if e.token != "" {
		req.Header.Set("Authorization", e.token)
	}
	e.mu.Unlock()
	resp, err := e.client.Do(req)
	if err != nil {
		tb.Fatalf("etcdtest: %s: %v", path, err)
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		tb.Fatalf("etcdtest: %s: HTTP %d: %s", path, resp.StatusCode, rb)
	}
	if out != nil {
		if err := json.Unmarshal(rb, out); err != nil {
			tb.Fatalf("etcdtest: %s: %v", path, err)
		}
	}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// Put writes key=value through the gateway and returns the revision it
// created.
func (e *Etcd) Put(tb testing.TB, key, value string) int64 {
	tb.Helper()
	var out struct {
		Header struct {
			Revision string `json:"revision"`
		} `json:"header"`
	}
	e.call(tb, "/v3/kv/put", map[string]string{"key": b64(key), "value": b64(value)}, &out)
	rev, _ := strconv.ParseInt(out.Header.Revision, 10, 64)
	return rev
}

// Compact discards the history before revision rev.
func (e *Etcd) Compact(tb testing.TB, rev int64) {
	tb.Helper()
	e.call(tb, "/v3/kv/compaction", map[string]string{"revision": strconv.FormatInt(rev, 10)}, nil)
}

// EnableAuth creates user root (password rootPassword) and user (password
// password) with a role that may read keys starting with readPrefix, then
// enables authentication. It skips tb on an etcd the test did not start.
func (e *Etcd) EnableAuth(tb testing.TB, rootPassword, user, password, readPrefix string) {
	tb.Helper()
	if !e.Own {
		tb.Skipf("etcdtest: not enabling authentication on the shared etcd at %s", e.Endpoint)
	}
	e.call(tb, "/v3/auth/user/add", map[string]string{"name": "root", "password": rootPassword}, nil)
	e.call(tb, "/v3/auth/user/grant", map[string]string{"user": "root", "role": "root"}, nil)
	e.call(tb, "/v3/auth/user/add", map[string]string{"name": user, "password": password}, nil)
	e.call(tb, "/v3/auth/role/add", map[string]string{"name": "reader"}, nil)
	end := []byte(readPrefix)
	end[len(end)-1]++ // the range [prefix, prefix+1): every key with the prefix
	e.call(tb, "/v3/auth/role/grant", map[string]any{"name": "reader",
		"perm": map[string]string{"permType": "READ", "key": b64(readPrefix), "range_end": base64.StdEncoding.EncodeToString(end)}}, nil)
	e.call(tb, "/v3/auth/user/grant", map[string]string{"user": user, "role": "reader"}, nil)
	e.call(tb, "/v3/auth/enable", map[string]string{}, nil)
	var out struct {
		Token string `json:"token"`
	}
	e.call(tb, "/v3/auth/authenticate", map[string]string{"name": "root", "password": rootPassword}, &out)
	e.mu.Lock()
	e.token = out.Token
	e.mu.Unlock()
}

// Token logs user in and returns the token etcd issued, for tests that
// configure a token credential.
func (e *Etcd) Token(tb testing.TB, user, password string) string {
	tb.Helper()
	var out struct {
		Token string `json:"token"`
	}
	e.call(tb, "/v3/auth/authenticate", map[string]string{"name": user, "password": password}, &out)
	return out.Token
}

// BuildModule builds examples/stores/etcd (once per source version) and
// returns the .wasm file's path.
func BuildModule(tb testing.TB) string {
	tb.Helper()
	return wasmtest.Build(tb, "examples/stores/etcd")
}

// Settings returns the settings of a "wasm" store (an agent config's store
// block without type) that reads this etcd through the module at
// modulePath, pinned by its digest; config is the module's config besides
// endpoint, and credentials the store's "credentials" setting.
func (e *Etcd) Settings(tb testing.TB, modulePath string, config, credentials map[string]any) map[string]any {
	tb.Helper()
	b, err := os.ReadFile(modulePath)
	if err != nil {
		tb.Fatal(err)
	}
	sum := sha256.Sum256(b)
	cfg := map[string]any{"endpoint": e.Endpoint}
	for k, v := range config {
		cfg[k] = v
	}
	s := map[string]any{
		"module":         modulePath,
		"sha256":         hex.EncodeToString(sum[:]),
		"config":         cfg,
		"allowed_hosts":  []any{e.HostPort()},
		"allow_http":     []any{e.HostPort()},
		"allow_networks": []any{"127.0.0.0/8"},
		"cache_dir":      wasmtest.CacheDir(tb),
	}
	if credentials != nil {
		s["credentials"] = credentials
	}
	return s
}
