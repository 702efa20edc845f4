//go:build unix

package main

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/wasmtest"
)

// sandboxCred is the credential of the sandbox tests: it reaches the
// loopback server and no output of latchkey, in no encoding.
const sandboxCred = "sbx-Pl4nted/cred+Value=77q"

// reflector is a bound server that echoes the X-Token header back in the
// encoding ?enc= names behind the prefix ?pre=, reflects it into a
// redirect or a malformed header line, or answers 403 quoting it.
func reflector(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := r.Header.Get("X-Token")
		pre := r.URL.Query().Get("pre")
		switch r.URL.Path {
		case "/redirect":
			http.Redirect(w, r, "/next?t="+url.QueryEscape(tok), http.StatusFound)
		case "/malformed":
			conn, buf, err := w.(http.Hijacker).Hijack()
			if err == nil {
				fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nX-Echo%s\r\n\r\n", tok)
				buf.Flush()
				conn.Close()
			}
		case "/forbidden":
			http.Error(w, "token "+tok+" is not valid here", http.StatusForbidden)
		default:
			enc := map[string]string{
				"raw":    pre + tok,
				"base64": base64.StdEncoding.EncodeToString([]byte(pre + tok)),
				"hex":    hex.EncodeToString([]byte(pre + tok)),
				"url":    url.QueryEscape(pre + tok),
			}[r.URL.Query().Get("enc")]
			json.NewEncoder(w).Encode(map[string]string{"echo": enc, "path": r.URL.Path})
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func sandboxLeak(t *testing.T, what, s string) {
	t.Helper()
	if leak := wasmtest.FindLeak([]byte(s), []byte(sandboxCred)); leak != "" {
		t.Errorf("%s holds the credential (%s form):\n%s", what, leak, s)
	}
}

// TestModuleRunCredentials lends a credential to a module through `module
// run` flags (the value from the environment) against a reflecting bound
// server: stdout (what the module read) and stderr hold no encoding of it,
// a value on the command line is refused without being echoed, limits
// apply, and `check` with the same store reports failures without it.
func TestModuleRunCredentials(t *testing.T) {
	srv := reflector(t)
	host := strings.TrimPrefix(srv.URL, "http://")
	probe := wasmtest.Build(t, "providers/wasm/testdata/guests/credprobe")
	cfg, _ := json.Marshal(map[string]any{"url": srv.URL, "header": map[string]string{"X-Token": "{{latchkey.credential:tok}}"}})
	env := []string{"LK_SANDBOX_TOK=" + sandboxCred}
	base := []string{"module", "run", probe, "--store-config", string(cfg), "--allow-host", host, "--allow-http", host, "--allow-network", "127.0.0.1/32",
		"--credential", "tok=env:LK_SANDBOX_TOK", "--credential-host", "tok=http://" + host}
	for _, req := range []string{"/echo?enc=raw", "/echo?enc=base64&pre=a", "/echo?enc=base64&pre=ab", "/echo?enc=hex", "/echo?enc=url", "/forbidden"} {
		r := latchkey(t, run{args: append(base, "--secret", req), env: env})
		if r.code != 0 || !strings.Contains(r.stdout, "[REDACTED:tok]") {
			t.Fatalf("module run %s: exit %d\n%s\n%s", req, r.code, r.stdout, r.stderr)
		}
		sandboxLeak(t, "module run "+req, r.stdout+r.stderr)
	}
	for _, req := range []string{"/redirect", "/malformed"} {
		r := latchkey(t, run{args: append(base, "--secret", req, "--log-level", "debug"), env: env})
		if r.code != 4 {
			t.Errorf("module run %s: exit %d, want 4\n%s", req, r.code, r.stderr)
		}
		if !strings.Contains(r.stderr, "store=module") {
			t.Errorf("module run %s: the refusal does not name the store:\n%s", req, r.stderr)
		}
		sandboxLeak(t, "module run "+req, r.stdout+r.stderr)
	}
	// Limits come from flags: one request allowed, the probe needs one.
	r := latchkey(t, run{args: append(base, "--secret", "/redirect", "--limit", "max_requests=1"), env: env})
	if r.code != 4 || !strings.Contains(r.stderr, "more than 1 requests") {
		t.Errorf("--limit max_requests=1: exit %d\n%s", r.code, r.stderr)
	}
	// A value on the command line is refused, and not repeated.
	r = mustFail(t, run{args: append(base[:len(base)-4], "--secret", "/echo", "--credential", "tok="+sandboxCred)}, 2, "never taken from the command line")
	sandboxLeak(t, "the refusal of a credential value", r.stderr)

	// check: the same store in an agent config; every field fails without
	// showing the credential.
	agent, _ := json.Marshal(map[string]any{"stores": map[string]any{"probe": map[string]any{
		"type": "wasm", "module": probe, "allow_unpinned": true, "config": json.RawMessage(cfg),
		"allowed_hosts": []string{host}, "allow_http": []string{host}, "allow_networks": []string{"127.0.0.1/32"},
		"credentials": map[string]any{"tok": map[string]any{"env": "LK_SANDBOX_TOK", "hosts": []string{"http://" + host}}},
	}}})
	dir := t.TempDir()
	agentPath := writeFile(t, dir, "agent.json", string(agent))
	wf := writeFile(t, dir, "wf.yaml", "fields:\n  redirect: secret://probe//redirect\n  malformed: secret://probe//malformed\n")
	r = latchkey(t, run{args: []string{"check", "-c", agentPath, "-w", wf}, env: env})
	if r.code != 4 || !strings.Contains(r.stdout, "FAIL") {
		t.Fatalf("check: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	sandboxLeak(t, "check", r.stdout+r.stderr)
	r = latchkey(t, run{args: []string{"resolve", "-c", agentPath, "-w", wf}, env: env})
	if r.code != 4 {
		t.Fatalf("resolve: exit %d\n%s", r.code, r.stderr)
	}
	sandboxLeak(t, "resolve", r.stdout+r.stderr)
}

// TestModuleInspectMemoryCap checks that inspect refuses, as load does, a
// module whose memory is over the cap it is told.
func TestModuleInspectMemoryCap(t *testing.T) {
	mod := wasmtest.Guest(wasmtest.I32Const(0))
	mod.MemoryPages = 2000 // 125 MiB
	path := writeFile(t, t.TempDir(), "big.wasm", string(mod.Encode()))
	r := latchkey(t, run{args: []string{"module", "inspect", path}})
	if r.code != 3 || !strings.Contains(r.stdout, "status:  REFUSED") || !strings.Contains(r.stdout, "at least 2000 pages") {
		t.Errorf("inspect at the default cap: exit %d\n%s", r.code, r.stdout)
	}
	r = latchkey(t, run{args: []string{"module", "inspect", "--memory-mib", "128", path}})
	if r.code != 0 || !strings.Contains(r.stdout, "status:  loadable") {
		t.Errorf("inspect at 128 MiB: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}
