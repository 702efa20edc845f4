package server

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchkey/latchkey/config"
	"github.com/latchkey/latchkey/internal/logbuf"
	"github.com/latchkey/latchkey/secret"
	"github.com/latchkey/latchkey/server/api"
	"github.com/latchkey/latchkey/server/serveconf"
)

// memStore is the store of type "servertest-mem": the values of its
// "values" setting, counting its calls. It stands in for a store so that
// these tests exercise the server; the end-to-end tests in cmd/latchkey run
// the real stores against their loopback servers.
type memStore struct {
	values map[string]string
	delay  time.Duration
	calls  *atomic.Int64
	closed atomic.Bool
}

var memCalls sync.Map // store name → *atomic.Int64

func (m *memStore) Get(ctx context.Context, req secret.Request) (secret.Result, error) {
	m.calls.Add(1)
	if m.delay > 0 {
		select {
		case <-time.After(m.delay):
		case <-ctx.Done():
			return secret.Result{}, ctx.Err()
		}
	}
	if m.closed.Load() {
		return secret.Result{}, fmt.Errorf("mem: closed while fetching: %w", secret.ErrUnavailable)
	}
	if req.Name == "denied" {
		return secret.Result{}, fmt.Errorf("mem: %q: %w", req.Name, secret.ErrPermissionDenied)
	}
	v, ok := m.values[req.Name]
	if !ok {
		return secret.Result{}, fmt.Errorf("mem: %q: %w", req.Name, secret.ErrNotFound)
	}
	return secret.Result{Value: secret.StringValue(v)}, nil
}

func (m *memStore) Close() error {
	m.closed.Store(true)
	return nil
}

func init() {
	secret.Register(secret.Type{Name: "servertest-mem", New: func(_ context.Context, spec secret.Spec) (secret.Store, error) {
		st := &memStore{values: map[string]string{}}
		if vals, ok := spec.Settings["values"].(map[string]any); ok {
			for k, v := range vals {
				st.values[k] = fmt.Sprint(v)
			}
		}
		if d, ok := spec.Settings["delay"].(string); ok {
			st.delay, _ = time.ParseDuration(d)
		}
		if d, ok := spec.Settings["build_delay"].(string); ok {
			bd, _ := time.ParseDuration(d)
			time.Sleep(bd)
		}
		if _, bad := spec.Settings["fail"]; bad {
			return nil, &secret.ConfigError{Store: spec.Name, Key: "fail", Msg: "planted build failure"}
		}
		c, _ := memCalls.LoadOrStore(spec.Name, &atomic.Int64{})
		st.calls = c.(*atomic.Int64)
		return st, nil
	}})
}

const (
	plantedValue = "pl4nted-server-value"
	plantedName  = "planted-secret-name"
	testToken    = "test-token-0123456789abcdef"
)

// harness is a server started in-process on a temp socket and loopback TCP.
type harness struct {
	t      testing.TB
	dir    string
	cfg    string // the agent config file
	srv    *Server
	sock   string
	tcp    string
	unix   *http.Client
	plain  *http.Client
	cancel context.CancelFunc
	done   chan error
}

// baseConfig returns an agent config whose store "mem" (the default)
// holds the planted values; serve settings are added to it.
func baseConfig(dir string, serve string) string {
	return fmt.Sprintf(`default_store: mem
timeout: 5s
stores:
  mem:
    type: servertest-mem
    values:
      db: '{"username":"etl","password":"%s"}'
      %s: '%s'
      token: tok-%s
  other:
    type: servertest-mem
    values:
      x: other-x
serve:
  socket: %s
  tcp: 127.0.0.1:0
  token_file: %s
%s`, plantedValue, plantedName, plantedValue, plantedValue, filepath.Join(dir, "s.sock"), filepath.Join(dir, "token"), serve)
}

// loadConfig is the Load `latchkey serve` gives the server: the agent
// config file at path, read by package config (internal/cli wires it the
// same way), with no environment overrides.
func loadConfig(path string) func(context.Context) (*Spec, error) {
	return func(context.Context) (*Spec, error) {
		a, err := config.Load(config.Options{Path: path, Environ: []string{}})
		if err != nil {
			return nil, err
		}
		return &Spec{Path: a.Path, Resolver: a.CachedResolverConfig(nil), Timeout: a.Timeout, Serve: a.Serve, Callers: a.Callers}, nil
	}
}

func start(t testing.TB, extra string, mod func(*Config)) *harness {
	t.Helper()
	return startWith(t, func(dir string) string { return baseConfig(dir, extra) }, mod)
}

// startWith starts a server on the agent config doc(dir) returns.
func startWith(t testing.TB, doc func(dir string) string, mod func(*Config)) *harness {
	t.Helper()
	dir := shortTempDir(t)
	h := &harness{t: t, dir: dir, cfg: filepath.Join(dir, "agent.yaml")}
	write(t, filepath.Join(dir, "token"), testToken+"\n")
	write(t, h.cfg, doc(dir))
	cfg := Config{Load: loadConfig(h.cfg)}
	if mod != nil {
		mod(&cfg)
	}
	srv, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	h.srv = srv
	addrs := srv.Addrs()
	h.sock = addrs[0].String()
	if len(addrs) > 1 {
		h.tcp = addrs[1].String()
	}
	h.unix = unixClient(h.sock)
	h.plain = &http.Client{Timeout: 10 * time.Second}
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel, h.done = cancel, make(chan error, 1)
	go func() { h.done <- srv.Serve(ctx) }()
	select {
	case <-srv.Ready():
	case err := <-h.done:
		t.Fatalf("serve: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("server not ready after 10s")
	}
	t.Cleanup(h.stop)
	return h
}

func (h *harness) stop() {
	h.cancel()
	select {
	case err := <-h.done:
		if err != nil {
			h.t.Errorf("serve returned %v", err)
		}
		h.done <- nil
	case <-time.After(15 * time.Second):
		h.t.Error("serve did not return after its context ended")
	}
}

// shortTempDir is a temp dir short enough for a unix socket path (108 bytes).
func shortTempDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "lks")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func write(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func unixClient(path string) *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DialContext: api.UnixDialer(path)}}
}

type reply struct {
	status int
	body   string
	header http.Header
}

func (h *harness) do(c *http.Client, base, method, path string, body string, hdr ...string) reply {
	h.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, string(b), resp.Header}
}

func (h *harness) overUnix(method, path, body string, hdr ...string) reply {
	h.t.Helper()
	return h.do(h.unix, "http://latchkey", method, path, body, hdr...)
}

func (h *harness) overTCP(method, path, body string, hdr ...string) reply {
	h.t.Helper()
	return h.do(h.plain, "http://"+h.tcp, method, path, body, hdr...)
}

func errorCode(t *testing.T, r reply) string {
	t.Helper()
	var eb api.ErrorBody
	if err := json.Unmarshal([]byte(r.body), &eb); err != nil {
		t.Fatalf("error body is not JSON: %v: %q", err, r.body)
	}
	return eb.Error.Code
}

func TestEndpoints(t *testing.T) {
	h := start(t, "", nil)
	tests := []struct {
		name   string
		method string
		path   string
		body   string
		status int
		code   string   // error code, for errors
		wants  []string // substrings of the body
	}{
		{"resolve", "POST", "/v1/resolve?name=wf.yaml", "fields:\n  user: secret:///db#username\n  pw: secret://mem/db#password\n  lit: plain\n", 200, "",
			[]string{`"name":"pw","value":"` + plantedValue + `","secret":true`, `"name":"lit","value":"plain"`}},
		{"resolve json by content type", "POST", "/v1/resolve", `{"fields":{"x":"secret://other/x"}}`, 200, "", []string{`"value":"other-x"`}},
		{"resolve every failed field", "POST", "/v1/resolve?name=wf.yaml", "fields:\n  a: secret://mem/nope\n  b: secret://mem/denied\n  c: secret://mem/db#nokey\n", 422, api.CodeResolutionFailed,
			[]string{"3 field(s) failed to resolve", `"field":"a"`, `"kind":"not_found"`, `"field":"b"`, `"kind":"permission_denied"`, `"field":"c"`}},
		{"resolve undeclared store", "POST", "/v1/resolve?name=wf.yaml", "fields:\n  a: secret://nostore/x\n", 400, api.CodeWorkflowInvalid, []string{`which the agent config does not declare`}},
		{"resolve malformed yaml", "POST", "/v1/resolve?name=wf.yaml", "fields: [unclosed\n", 400, api.CodeWorkflowInvalid, []string{"workflow wf.yaml"}},
		{"resolve malformed json", "POST", "/v1/resolve?name=wf.json", `{"fields": {"a": }`, 400, api.CodeWorkflowInvalid, []string{"workflow wf.json"}},
		{"resolve bad reference", "POST", "/v1/resolve?name=wf.yaml", "fields:\n  a: secret:/mem/db\n", 400, api.CodeWorkflowInvalid, []string{"wf.yaml"}},
		{"resolve empty body", "POST", "/v1/resolve", "", 400, api.CodeWorkflowInvalid, nil},
		{"resolve bad format", "POST", "/v1/resolve?format=xml", "fields: {}", 400, api.CodeBadRequest, []string{"xml"}},
		{"resolve by GET", "GET", "/v1/resolve", "", 405, api.CodeMethod, []string{"wants POST"}},
		{"check", "POST", "/v1/check?name=wf.yaml", "fields:\n  a: secret://mem/db#password\n  b: secret://mem/nope\n  c: secret://mem/nope?default=d\n", 200, "",
			[]string{`"status":"ok"`, `"status":"failed"`, `"status":"default"`, `"name":"mem"`}},
		{"check offline", "POST", "/v1/check?offline=true", "fields:\n  a: secret://mem/db#password\n", 200, "", []string{`"status":"planned"`, `"name":"other"`}},
		{"secret", "GET", "/v1/secret?ref=" + escape("secret://mem/db#password"), "", 200, "", []string{`"value":"` + plantedValue + `"`, `"store":"mem"`}},
		{"secret default store", "GET", "/v1/secret?ref=" + escape("secret:///token"), "", 200, "", []string{`"value":"tok-` + plantedValue + `"`}},
		{"secret optional absent", "GET", "/v1/secret?ref=" + escape("secret://mem/nope?optional"), "", 200, "", []string{`"omitted":true`}},
		{"secret not found", "GET", "/v1/secret?ref=" + escape("secret://mem/nope"), "", 404, api.CodeResolutionFailed, []string{`"kind":"not_found"`}},
		{"secret denied", "GET", "/v1/secret?ref=" + escape("secret://mem/denied"), "", 403, api.CodeResolutionFailed, []string{`"kind":"permission_denied"`}},
		{"secret missing ref", "GET", "/v1/secret", "", 400, api.CodeBadRequest, []string{"?ref="}},
		{"secret bad ref", "GET", "/v1/secret?ref=" + escape("secret:/x"), "", 400, api.CodeBadRequest, []string{"at byte"}},
		{"secret undeclared store", "GET", "/v1/secret?ref=" + escape("secret://nope/x"), "", 400, api.CodeBadRequest, []string{"does not declare"}},
		{"invalidate one", "POST", "/v1/invalidate", `{"store":"mem","secret":"db"}`, 200, "", []string{`"dropped":`}},
		{"invalidate store", "POST", "/v1/invalidate", `{"store":"mem"}`, 200, "", []string{`"dropped":`}},
		{"invalidate all", "POST", "/v1/invalidate", `{"all":true}`, 200, "", []string{`"dropped":`}},
		{"invalidate nothing said", "POST", "/v1/invalidate", `{}`, 400, api.CodeBadRequest, []string{"say what to invalidate"}},
		{"invalidate unknown store", "POST", "/v1/invalidate", `{"store":"nope"}`, 400, api.CodeBadRequest, []string{"not declared"}},
		{"invalidate unknown key", "POST", "/v1/invalidate", `{"stor":"mem"}`, 400, api.CodeBadRequest, []string{"unknown field"}},
		{"invalidate malformed", "POST", "/v1/invalidate", `{"store":`, 400, api.CodeBadRequest, nil},
		{"invalidate all and store", "POST", "/v1/invalidate", `{"all":true,"store":"mem"}`, 400, api.CodeBadRequest, nil},
		{"healthz", "GET", "/healthz", "", 200, "", []string{`"ok"`}},
		{"readyz", "GET", "/readyz", "", 200, "", []string{`"ready"`, `"mem"`}},
		{"ping", "GET", "/ping", "", 200, "", []string{"healthy"}},
		{"metrics", "GET", "/metrics", "", 200, "", []string{"latchkey_http_requests_total"}},
		{"unknown endpoint", "GET", "/v2/nothing", "", 404, api.CodeNoEndpoint, []string{"/v1/resolve"}},
		{"root", "GET", "/", "", 404, api.CodeNoEndpoint, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := h.overUnix(tc.method, tc.path, tc.body)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if tc.code != "" {
				if got := errorCode(t, r); got != tc.code {
					t.Errorf("code %q, want %q: %s", got, tc.code, r.body)
				}
			}
			for _, w := range tc.wants {
				if !strings.Contains(r.body, w) {
					t.Errorf("body lacks %s:\n%s", w, r.body)
				}
			}
			if tc.status != 200 && strings.Contains(r.body, plantedValue) {
				t.Errorf("an error answer holds the planted value: %s", r.body)
			}
			if r.header.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control = %q", r.header.Get("Cache-Control"))
			}
		})
	}
}

func escape(s string) string {
	r := strings.NewReplacer("#", "%23", "?", "%3F", "&", "%26", "%", "%25")
	return r.Replace(s)
}

func TestTCPNeedsToken(t *testing.T) {
	h := start(t, "", nil)
	tests := []struct {
		name   string
		path   string
		hdr    []string
		status int
	}{
		{"no token", "/readyz", nil, 401},
		{"wrong token", "/readyz", []string{api.TokenHeader, "wrong-token-0123456789"}, 401},
		{"token prefix", "/readyz", []string{api.TokenHeader, testToken[:len(testToken)-1]}, 401},
		{"token plus a byte", "/readyz", []string{api.TokenHeader, testToken + "x"}, 401},
		{"latchkey header", "/readyz", []string{api.TokenHeader, testToken}, 200},
		{"aws agent header", "/readyz", []string{api.AWSTokenHeader, testToken}, 200},
		{"vault header", "/readyz", []string{api.VaultTokenHeader, testToken}, 200},
		{"unknown endpoint without token", "/nothing", nil, 401},
		{"metrics without token", "/metrics", nil, 401},
		{"sm agent without token", "/secretsmanager/get?secretId=db", nil, 401},
		{"sm agent with its token", "/secretsmanager/get?secretId=db", []string{api.AWSTokenHeader, testToken}, 200},
		{"ping without token", "/ping", nil, 200},
		{"forwarded with token", "/readyz", []string{api.TokenHeader, testToken, "X-Forwarded-For", "10.0.0.1"}, 400},
		{"forwarded ping", "/ping", []string{"X-Forwarded-For", "10.0.0.1"}, 400},
		{"forwarded header", "/readyz", []string{api.TokenHeader, testToken, "Forwarded", "for=10.0.0.1"}, 400},
		{"x-real-ip", "/readyz", []string{api.TokenHeader, testToken, "x-real-ip", "10.0.0.1"}, 400},
		{"empty x-forwarded-for", "/readyz", []string{api.TokenHeader, testToken, "X-Forwarded-For", ""}, 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := h.overTCP("GET", tc.path, "", tc.hdr...)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if strings.Contains(r.body, testToken) {
				t.Errorf("the answer holds the token: %s", r.body)
			}
		})
	}
	// The unix socket refuses a forwarded request too, by any of the headers.
	for _, hdr := range []string{"X-Forwarded-For", "Forwarded", "X-Real-IP"} {
		if r := h.overUnix("GET", "/readyz", "", hdr, "10.0.0.1"); r.status != 400 {
			t.Errorf("%s over unix: %d %s", hdr, r.status, r.body)
		}
	}
}

func TestCallers(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]secret.Caller{}
	var fromCtx secret.Caller
	h := start(t, "", func(c *Config) {
		c.Authorizer = func(*Spec) (Authorizer, error) {
			return func(ctx context.Context, caller secret.Caller, endpoint string) error {
				mu.Lock()
				defer mu.Unlock()
				seen[endpoint] = caller
				fromCtx, _ = secret.CallerFrom(ctx)
				if endpoint == "invalidate" && caller.Kind == secret.CallerToken {
					return fmt.Errorf("token %q may not invalidate: %w", caller.Token, secret.ErrNotAllowed)
				}
				return nil
			}, nil
		}
	})
	if r := h.overUnix("GET", "/readyz", ""); r.status != 200 {
		t.Fatal(r.body)
	}
	exe, _ := os.Executable()
	mu.Lock()
	c := seen["readyz"]
	want := secret.Caller{Kind: secret.CallerUnix, UID: os.Getuid(), GID: os.Getgid(), PID: os.Getpid(), Exe: exe}
	if !reflect.DeepEqual(c, want) || !reflect.DeepEqual(fromCtx, want) {
		t.Errorf("unix caller = %+v (in ctx %+v), want %+v", c, fromCtx, want)
	}
	mu.Unlock()
	if r := h.overTCP("GET", "/readyz", "", api.TokenHeader, testToken); r.status != 200 {
		t.Fatal(r.body)
	}
	mu.Lock()
	if c := seen["readyz"]; c.Kind != secret.CallerToken || c.Token != serveconf.DefaultTokenName {
		t.Errorf("token caller = %+v", c)
	}
	mu.Unlock()
	r := h.overTCP("POST", "/v1/invalidate", `{"all":true}`, api.TokenHeader, testToken)
	if r.status != 403 || errorCode(t, r) != api.CodeForbidden || !strings.Contains(r.body, "may not invalidate") {
		t.Fatalf("authorizer refusal: %d %s", r.status, r.body)
	}
	if r := h.overUnix("POST", "/v1/invalidate", `{"all":true}`); r.status != 200 {
		t.Fatalf("unix invalidate: %d %s", r.status, r.body)
	}
}

func TestBodyCap(t *testing.T) {
	h := start(t, "  max_body_bytes: 2KiB\n", nil)
	big := "fields:\n  a: " + strings.Repeat("x", 4096) + "\n"
	r := h.overUnix("POST", "/v1/resolve", big)
	if r.status != 413 || errorCode(t, r) != api.CodeTooLarge {
		t.Fatalf("declared length over the cap: %d %s", r.status, r.body)
	}
	// Without a Content-Length (chunked), the cap holds while reading.
	req, _ := http.NewRequest("POST", "http://latchkey/v1/resolve", io.MultiReader(strings.NewReader(big)))
	req.ContentLength = -1
	resp, err := h.unix.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 413 {
		t.Fatalf("chunked body over the cap: %d %s", resp.StatusCode, b)
	}
	// Under the cap is fine.
	if r := h.overUnix("POST", "/v1/resolve", "fields:\n  a: b\n"); r.status != 200 {
		t.Fatalf("small body: %d %s", r.status, r.body)
	}
}

func TestHeaderCap(t *testing.T) {
	h := start(t, "  max_header_bytes: 4KiB\n", nil)
	req, _ := http.NewRequest("GET", "http://latchkey/healthz", nil)
	req.Header.Set("X-Big", strings.Repeat("y", 64<<10))
	resp, err := h.unix.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("oversized headers: %d", resp.StatusCode)
	}
}

// TestSlowClient: a client that sends half a request and stalls is cut off
// at the read time-out, and others are served meanwhile.
func TestSlowClient(t *testing.T) {
	h := start(t, "  read_header_timeout: 300ms\n  read_timeout: 600ms\n", nil)
	tests := []struct {
		name string
		send string
	}{
		{"stalls in the headers", "POST /v1/resolve HTTP/1.1\r\nHost: x\r\n"},
		{"stalls in the body", "POST /v1/resolve HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nfields:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := net.Dial("unix", h.sock)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, err := io.WriteString(c, tc.send); err != nil {
				t.Fatal(err)
			}
			if r := h.overUnix("GET", "/healthz", ""); r.status != 200 {
				t.Fatalf("another client while one stalls: %d", r.status)
			}
			start := time.Now()
			_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
			_, err = io.ReadAll(c)
			if took := time.Since(start); err != nil || took > 3*time.Second {
				t.Fatalf("stalled connection: closed after %v (err %v)", took, err)
			}
		})
	}
}

func TestMetricsHoldNoSecretNames(t *testing.T) {
	h := start(t, "", nil)
	for _, ref := range []string{"secret://mem/" + plantedName, "secret://mem/db#password", "secret://mem/nope-" + plantedName} {
		h.overUnix("GET", "/v1/secret?ref="+escape(ref), "")
	}
	h.overUnix("POST", "/v1/resolve", "fields:\n  "+plantedName+": secret://mem/"+plantedName+"\n")
	h.overUnix("GET", "/secretsmanager/get?secretId="+plantedName, "")
	h.overUnix("GET", "/"+plantedName, "")
	r := h.overUnix("GET", "/metrics", "")
	for _, bad := range []string{plantedName, plantedValue, "password", "nope"} {
		if strings.Contains(r.body, bad) {
			t.Errorf("/metrics holds %q", bad)
		}
	}
	for _, want := range []string{
		`latchkey_fetches_total{cache="miss",outcome="ok",store="mem",type="servertest-mem"}`,
		`latchkey_fetches_total{cache="miss",outcome="not_found",store="mem",type="servertest-mem"}`,
		`latchkey_http_requests_total{code="404",endpoint="unknown"}`,
		`latchkey_http_requests_total{code="200",endpoint="secretsmanager"}`,
		`latchkey_resolutions_total{operation="resolve",outcome="ok"}`,
		`latchkey_upstream_calls_total{outcome="ok",store="mem",type="servertest-mem"}`,
		`latchkey_http_request_duration_seconds_bucket{endpoint="secret"`,
		"latchkey_ready 1",
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func TestNotLoopback(t *testing.T) {
	if _, err := listenTCP("0.0.0.0:0", false); err == nil || !strings.Contains(err.Error(), "not loopback") {
		t.Fatalf("err = %v", err)
	}
	l, err := listenTCP("127.0.0.1:0", false)
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
}

func TestTokens(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "short"), "short\n")
	write(t, filepath.Join(dir, "good"), testToken+"\r\n")
	env := map[string]string{"GOOD": "env-token-0123456789"}
	_, _, err := readTokens(map[string]serveconf.TokenSource{
		"short":   {File: filepath.Join(dir, "short")},
		"missing": {File: filepath.Join(dir, "missing")},
		"unset":   {Env: "UNSET"},
	}, func(k string) string { return env[k] }, false)
	for _, want := range []string{`"short"`, "5 bytes", `"missing"`, "no such file", `"unset"`, "variable UNSET"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	tk, _, err := readTokens(map[string]serveconf.TokenSource{"f": {File: filepath.Join(dir, "good")}, "e": {Env: "GOOD"}},
		func(k string) string { return env[k] }, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(tk.warnings) != 0 {
		t.Errorf("a 0600 token file drew warnings: %v", tk.warnings)
	}
	if err := os.Chmod(filepath.Join(dir, "good"), 0o644); err != nil {
		t.Fatal(err)
	}
	open, _, err := readTokens(map[string]serveconf.TokenSource{"f": {File: filepath.Join(dir, "good")}}, nil, false)
	if err != nil || len(open.warnings) != 1 || !strings.Contains(open.warnings[0], "every user of the machine can read it") || strings.Contains(open.warnings[0], testToken) {
		t.Errorf("a world-readable token file: %v %v", err, open.warnings)
	}
	for presented, want := range map[string]string{testToken: "f", "env-token-0123456789": "e", "": "", testToken + "\n": ""} {
		if got, _ := tk.match(presented); got != want {
			t.Errorf("match(%q) = %q, want %q", presented, got, want)
		}
	}
}

// TestReload: a good config rebuilds the changed store and keeps the
// other; a bad one is refused, every problem reported, the old one serving.
func TestReload(t *testing.T) {
	h := start(t, "", nil)
	before, _ := memCalls.Load("other")
	if r := h.overUnix("GET", "/v1/secret?ref="+escape("secret://other/x"), ""); !strings.Contains(r.body, "other-x") {
		t.Fatal(r.body)
	}
	cfg := strings.Replace(baseConfig(h.dir, ""), "x: other-x", "x: other-x2", 1)
	write(t, h.cfg, cfg)
	ch, err := h.srv.Reload(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(ch.Kept, ",") != "mem" || strings.Join(ch.Built, ",") != "other" {
		t.Fatalf("changes = %+v", ch)
	}
	if r := h.overUnix("GET", "/v1/secret?ref="+escape("secret://other/x"), ""); !strings.Contains(r.body, "other-x2") {
		t.Fatalf("after reload: %s", r.body)
	}
	_ = before

	// A bad config: two problems, both reported; the old config serves on.
	bad := strings.Replace(cfg, "type: servertest-mem\n    values:\n      x:", "type: servertest-mem\n    fail: yes\n    values:\n      x:", 1)
	bad = strings.Replace(bad, "timeout: 5s", "timeout: never", 1)
	write(t, h.cfg, bad)
	if _, err := h.srv.Reload(context.Background()); err == nil || !strings.Contains(err.Error(), "timeout") {
		t.Fatalf("bad config: %v", err)
	}
	write(t, h.cfg, strings.Replace(cfg, "type: servertest-mem\n    values:\n      x:", "type: servertest-mem\n    fail: yes\n    values:\n      x:", 1))
	if _, err := h.srv.Reload(context.Background()); err == nil || !strings.Contains(err.Error(), "planted build failure") {
		t.Fatalf("store that cannot be built: %v", err)
	}
	if r := h.overUnix("GET", "/v1/secret?ref="+escape("secret://other/x"), ""); !strings.Contains(r.body, "other-x2") {
		t.Fatalf("after a refused reload: %s", r.body)
	}
	// The store the refused reload would have kept still serves, fetching.
	if r := h.overUnix("GET", "/v1/secret?refresh=true&ref="+escape("secret://mem/token"), ""); r.status != 200 {
		t.Fatalf("a kept store after a refused reload: %d %s", r.status, r.body)
	}
	// A new token takes effect on reload; the old one stops working.
	write(t, filepath.Join(h.dir, "token"), "rotated-token-0123456789\n")
	write(t, h.cfg, cfg)
	if _, err := h.srv.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r := h.overTCP("GET", "/readyz", "", api.TokenHeader, testToken); r.status != 401 {
		t.Fatalf("old token after rotation: %d", r.status)
	}
	if r := h.overTCP("GET", "/readyz", "", api.TokenHeader, "rotated-token-0123456789"); r.status != 200 {
		t.Fatalf("new token after rotation: %d", r.status)
	}
	r := h.overUnix("GET", "/metrics", "")
	if !strings.Contains(r.body, `latchkey_config_reloads_total{outcome="error"} 2`) || !strings.Contains(r.body, `latchkey_config_reloads_total{outcome="ok"} 2`) {
		t.Errorf("reload metrics:\n%s", grep(r.body, "reloads"))
	}
}

// TestDrain: a request in flight when the server is told to stop is
// answered; new connections are refused; Serve returns nil.
func TestDrain(t *testing.T) {
	h := start(t, "  grace_period: 5s\n", nil)
	write(t, h.cfg, strings.Replace(baseConfig(h.dir, "  grace_period: 5s\n"), "x: other-x", "x: other-x\n    delay: 700ms", 1))
	if _, err := h.srv.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := make(chan reply, 1)
	go func() { got <- h.overUnix("GET", "/v1/secret?ref="+escape("secret://other/x"), "") }()
	time.Sleep(200 * time.Millisecond)
	h.cancel()
	r := <-got
	if r.status != 200 || !strings.Contains(r.body, "other-x") {
		t.Fatalf("in-flight request during drain: %d %s", r.status, r.body)
	}
	select {
	case err := <-h.done:
		if err != nil {
			t.Fatal(err)
		}
		h.done <- nil
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return")
	}
	if _, err := os.Stat(h.sock); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket left behind after a clean stop: %v", err)
	}
}

func grep(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func calls(store string) int64 {
	c, _ := memCalls.LoadOrStore(store, &atomic.Int64{})
	return c.(*atomic.Int64).Load()
}

// TestCache: the server caches every store by default; refresh=true and
// /v1/invalidate reach the store again; a reload keeps the cache of a
// store whose settings did not change and drops that of one that did.
func TestCache(t *testing.T) {
	h := start(t, "", nil)
	wf := "fields:\n  a: secret://mem/db#username\n  b: secret://mem/db#password\n  c: secret://mem/token\n  d: secret://other/x\n"
	mem0, other0 := calls("mem"), calls("other")
	for i := 0; i < 50; i++ {
		if r := h.overUnix("POST", "/v1/resolve", wf); r.status != 200 {
			t.Fatalf("resolve: %d %s", r.status, r.body)
		}
	}
	if got := calls("mem") - mem0; got != 2 {
		t.Errorf("50 resolutions of 2 mem secrets made %d store calls, want 2", got)
	}
	if r := h.overUnix("POST", "/v1/resolve?refresh=true", wf); r.status != 200 || calls("mem")-mem0 != 4 {
		t.Errorf("refresh=true: %d store calls (want 4): %s", calls("mem")-mem0, r.body)
	}
	r := h.overUnix("POST", "/v1/invalidate", `{"store":"mem","secret":"token"}`)
	if r.status != 200 || !strings.Contains(r.body, `"dropped":1`) {
		t.Fatalf("invalidate one: %d %s", r.status, r.body)
	}
	h.overUnix("POST", "/v1/resolve", wf)
	if got := calls("mem") - mem0; got != 5 {
		t.Errorf("after invalidating one secret: %d store calls, want 5", got)
	}
	m := h.overUnix("GET", "/metrics", "").body
	for _, want := range []string{`latchkey_cache_hits_total{store="mem"}`, `latchkey_cache_misses_total{store="mem"}`,
		`latchkey_cache_invalidations_total{store="mem"} 1`, `latchkey_cache_entries{store="mem"} 2`, `latchkey_cache_bypasses_total{store="mem"} 2`,
		`latchkey_fetches_total{cache="hit",outcome="ok",store="mem",type="servertest-mem"}`} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %s\n%s", want, grep(m, "cache"))
		}
	}
	// Reload with store "other" changed: mem keeps its entries, other
	// starts empty.
	write(t, h.cfg, strings.Replace(baseConfig(h.dir, ""), "x: other-x", "x: other-y", 1))
	if _, err := h.srv.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	memBefore, otherBefore := calls("mem"), calls("other")
	r = h.overUnix("POST", "/v1/resolve", wf)
	if !strings.Contains(r.body, "other-y") {
		t.Fatalf("after reload: %s", r.body)
	}
	if calls("mem") != memBefore || calls("other") != otherBefore+1 {
		t.Errorf("after reload: mem asked %d times (want 0: cache kept), other %d (want 1: rebuilt)",
			calls("mem")-memBefore, calls("other")-otherBefore)
	}
	_ = other0
	// SM Agent refreshNow=true bypasses too.
	before := calls("mem")
	h.overUnix("GET", "/secretsmanager/get?secretId=token", "")
	h.overUnix("GET", "/secretsmanager/get?secretId=token&refreshNow=true", "")
	if calls("mem") != before+1 {
		t.Errorf("refreshNow: %d store calls, want 1", calls("mem")-before)
	}
	r = h.overUnix("POST", "/v1/invalidate", `{"all":true}`)
	if r.status != 200 || strings.Contains(r.body, `"dropped":0`) {
		t.Fatalf("invalidate all: %s", r.body)
	}
}

// TestPanicIsContained: a handler bug (here an authorizer that panics with
// a planted value) answers 500 and logs no panic value.
func TestPanicIsContained(t *testing.T) {
	var logs logbuf.Buffer
	h := start(t, "", func(c *Config) {
		c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		c.Authorizer = func(*Spec) (Authorizer, error) {
			return func(context.Context, secret.Caller, string) error { panic("boom " + plantedValue) }, nil
		}
	})
	r := h.overUnix("GET", "/readyz", "")
	if r.status != 500 || errorCode(t, r) != api.CodeInternal || strings.Contains(r.body, plantedValue) {
		t.Fatalf("panicking handler: %d %s", r.status, r.body)
	}
	if r := h.overUnix("GET", "/healthz", ""); r.status != 500 {
		t.Fatalf("the server must keep serving after a panic: %d", r.status)
	}
	if strings.Contains(logs.String(), plantedValue) || !strings.Contains(logs.String(), "handler panicked") {
		t.Fatalf("log:\n%s", logs.String())
	}
}

// TestConnectionCap: connections over serve.max_connections wait for a
// slot instead of being served at once, and are served when one frees.
func TestConnectionCap(t *testing.T) {
	h := start(t, "  max_connections: 2\n", nil)
	var held []net.Conn
	for i := 0; i < 2; i++ {
		c, err := net.Dial("unix", h.sock)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		held = append(held, c)
	}
	// Both slots are taken once the server has accepted them.
	time.Sleep(100 * time.Millisecond)
	got := make(chan reply, 1)
	go func() { got <- h.do(unixClient(h.sock), "http://latchkey", "GET", "/healthz", "") }()
	select {
	case r := <-got:
		t.Fatalf("a third connection was served while two were open: %d", r.status)
	case <-time.After(300 * time.Millisecond):
	}
	held[0].Close()
	select {
	case r := <-got:
		if r.status != 200 {
			t.Fatalf("after a slot freed: %d", r.status)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the waiting connection was never served")
	}
}

// TestStoreBuildFailure: a store that cannot be built ends Serve with an
// error naming it, and the socket is gone.
func TestStoreBuildFailure(t *testing.T) {
	dir := shortTempDir(t)
	p := filepath.Join(dir, "agent.yaml")
	write(t, p, fmt.Sprintf("stores:\n  bad:\n    type: servertest-mem\n    fail: yes\nserve:\n  socket: %s\n", filepath.Join(dir, "s.sock")))
	srv, err := New(context.Background(), Config{Load: loadConfig(p)})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	err = srv.Serve(context.Background())
	if err == nil || !strings.Contains(err.Error(), `store "bad"`) || !strings.Contains(err.Error(), "planted build failure") {
		t.Fatalf("Serve = %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "s.sock")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket left behind: %v", err)
	}
}

// TestReloadTwiceInFlight: a request in flight on a config two reloads old
// still finishes, although the store it uses was kept by the first reload
// and replaced by the second.
func TestReloadTwiceInFlight(t *testing.T) {
	slow := func(x, y string) string {
		return strings.Replace(strings.Replace(baseConfig("DIR", ""), "x: other-x", "x: "+x+"\n    delay: 600ms", 1), "token: tok-", "token: "+y+"tok-", 1)
	}
	h := startWith(t, func(dir string) string { return strings.ReplaceAll(slow("other-x", ""), "DIR", dir) }, nil)
	got := make(chan reply, 1)
	go func() { got <- h.overUnix("GET", "/v1/secret?ref="+escape("secret://other/x"), "") }()
	time.Sleep(150 * time.Millisecond)
	// Reload 1 keeps "other" (only "mem" changes); reload 2 replaces it.
	write(t, h.cfg, strings.ReplaceAll(slow("other-x", "y"), "DIR", h.dir))
	if ch, err := h.srv.Reload(context.Background()); err != nil || strings.Join(ch.Kept, ",") != "other" {
		t.Fatalf("reload 1: %v %+v", err, ch)
	}
	write(t, h.cfg, strings.ReplaceAll(slow("other-z", "y"), "DIR", h.dir))
	if ch, err := h.srv.Reload(context.Background()); err != nil || strings.Join(ch.Built, ",") != "other" {
		t.Fatalf("reload 2: %v %+v", err, ch)
	}
	r := <-got
	if r.status != 200 || !strings.Contains(r.body, "other-x") {
		t.Fatalf("the request in flight across two reloads: %d %s", r.status, r.body)
	}
	if r := h.overUnix("GET", "/v1/secret?ref="+escape("secret://other/x"), ""); !strings.Contains(r.body, "other-z") {
		t.Fatalf("after both reloads: %s", r.body)
	}
}

// TestNotReadyWhileBuilding: while the stores are being built, /healthz
// answers, /readyz and the API answer 503 not_ready, then all serve.
func TestNotReadyWhileBuilding(t *testing.T) {
	dir := shortTempDir(t)
	p := filepath.Join(dir, "agent.yaml")
	write(t, p, fmt.Sprintf("stores:\n  slow:\n    type: servertest-mem\n    build_delay: 800ms\n    values: {a: b}\nserve:\n  socket: %s\n", filepath.Join(dir, "s.sock")))
	srv, err := New(context.Background(), Config{Load: loadConfig(p)})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	defer func() { cancel(); <-done }()
	h := &harness{t: t, unix: unixClient(filepath.Join(dir, "s.sock"))}
	time.Sleep(100 * time.Millisecond)
	if r := h.overUnix("GET", "/healthz", ""); r.status != 200 {
		t.Errorf("/healthz while building: %d", r.status)
	}
	if r := h.overUnix("GET", "/readyz", ""); r.status != 503 {
		t.Errorf("/readyz while building: %d %s", r.status, r.body)
	}
	if r := h.overUnix("GET", "/v1/secret?ref="+escape("secret://slow/a"), ""); r.status != 503 || errorCode(t, r) != api.CodeNotReady {
		t.Errorf("/v1/secret while building: %d %s", r.status, r.body)
	}
	if _, err := srv.Reload(context.Background()); err == nil || !strings.Contains(err.Error(), "still being built") {
		t.Errorf("reload while building: %v", err)
	}
	<-srv.Ready()
	if r := h.overUnix("GET", "/v1/secret?ref="+escape("secret://slow/a"), ""); r.status != 200 {
		t.Errorf("/v1/secret once ready: %d %s", r.status, r.body)
	}
}

// TestIdleAndWriteTimeouts: a keep-alive connection left idle is closed at
// idle_timeout, and an answer that takes longer than write_timeout is cut
// off rather than held open.
func TestIdleAndWriteTimeouts(t *testing.T) {
	h := startWith(t, func(dir string) string {
		return strings.Replace(baseConfig(dir, "  idle_timeout: 300ms\n  write_timeout: 400ms\n"), "x: other-x", "x: other-x\n    delay: 1s", 1)
	}, nil)
	c, err := net.Dial("unix", h.sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReader(c)
	io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: l\r\n\r\n")
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("first request: %v", err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	start := time.Now()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := br.ReadByte(); err != io.EOF || time.Since(start) > 3*time.Second {
		t.Fatalf("idle connection: read %v after %v, want EOF near 300ms", err, time.Since(start))
	}
	start = time.Now()
	r, err := h.unix.Get("http://latchkey/v1/secret?ref=" + escape("secret://other/x"))
	if err == nil {
		b, _ := io.ReadAll(r.Body)
		r.Body.Close()
		t.Fatalf("an answer slower than write_timeout arrived: %d %s", r.StatusCode, b)
	}
	if time.Since(start) > 3*time.Second {
		t.Fatalf("the slow answer held the connection %v", time.Since(start))
	}
}
