package server

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/server/api"
	"github.com/latchkey/latchkey/server/serveconf"
)

// TestNoConfigLoader: an embedder runs the agent without the config
// loader, so package server and everything it imports must not import
// package config or koanf.
func TestNoConfigLoader(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH")
	}
	out, err := exec.Command(goBin, "list", "-deps", "github.com/latchkey/latchkey/server").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list listed %d packages: %q", len(deps), out)
	}
	for _, d := range deps {
		if d == "github.com/latchkey/latchkey/config" || strings.Contains(d, "/koanf") {
			t.Errorf("package server depends on %s", d)
		}
	}
}

// TestServeDefaults: a zero serve section gets the documented defaults,
// the write timeout follows the Spec's timeout, and "none" turns the unix
// listener off.
func TestServeDefaults(t *testing.T) {
	getenv := func(k string) string {
		if k == "XDG_RUNTIME_DIR" {
			return "/run/user/1000"
		}
		return ""
	}
	o := serveDefaults(&Spec{}, getenv)
	if o.SocketMode != DefaultSocketMode || o.GracePeriod != DefaultGracePeriod || o.MaxBodyBytes != DefaultMaxBodyBytes ||
		o.MaxHeaderBytes != DefaultMaxHeaderBytes || o.ReadHeaderTimeout != DefaultReadHeaderTimeout || o.ReadTimeout != DefaultReadTimeout ||
		o.IdleTimeout != DefaultIdleTimeout || o.MaxConnections != DefaultMaxConnections || o.WriteTimeout != DefaultTimeout+writeMargin || o.Socket == "" {
		t.Fatalf("defaults: %+v", o)
	}
	o = serveDefaults(&Spec{Timeout: 5 * time.Second, Serve: serveconf.Settings{Socket: "none", MaxConnections: 3}}, getenv)
	if o.Socket != "" || o.WriteTimeout != 5*time.Second+writeMargin || o.MaxConnections != 3 {
		t.Fatalf("set values: %+v", o)
	}
	if !sameListeners(o, serveDefaults(&Spec{Timeout: time.Minute, Serve: serveconf.Settings{Socket: "none", MaxConnections: 3, SecretsManagerStore: "x"}}, getenv)) {
		t.Error("the timeout and the Secrets Manager store are reloaded, not listener settings")
	}
	if sameListeners(o, serveDefaults(&Spec{Serve: serveconf.Settings{Socket: "none", MaxConnections: 4}}, getenv)) {
		t.Error("max_connections is a listener setting")
	}
}

// TestNewWithoutLoad: Load is required, and its error is New's.
func TestNewWithoutLoad(t *testing.T) {
	if _, err := New(context.Background(), Config{}); err == nil || !strings.Contains(err.Error(), "Config.Load is required") {
		t.Fatalf("New without Load: %v", err)
	}
}

// TestEntryResolverIsExplicit: each endpoint that reads stores resolves
// through the Resolver of the callers entry that names the caller, as the
// middleware hands it over: a caller reaches its entry's stores and no
// other, whatever it asks for, on every such endpoint.
func TestEntryResolverIsExplicit(t *testing.T) {
	const tokenB = "entry-b-token-0123456789abcdef"
	h := startWith(t, func(dir string) string {
		write(t, filepath.Join(dir, "b"), tokenB)
		return baseConfig(dir, "  tokens:\n    b: {file: "+filepath.Join(dir, "b")+"}\n") +
			"callers:\n  a:\n    tokens: [default]\n    stores:\n      mem: {}\n  b:\n    tokens: [b]\n    stores:\n      other: {}\n"
	}, nil)
	secretOf := func(tok, ref string) reply {
		return h.overTCP("GET", "/v1/secret?ref="+escape(ref), "", api.TokenHeader, tok)
	}
	tests := []struct {
		name, token, ref string
		status           int
		body             string
	}{
		{"a reads its store", testToken, "secret://mem/" + plantedName, 200, plantedValue},
		{"a cannot read b's store", testToken, "secret://other/x", 403, "callers.a.stores"},
		{"b reads its store", tokenB, "secret://other/x", 200, "other-x"},
		{"b cannot read a's store", tokenB, "secret://mem/" + plantedName, 403, "callers.b.stores"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := secretOf(tc.token, tc.ref)
			if r.status != tc.status || !strings.Contains(r.body, tc.body) {
				t.Fatalf("%d %s; want %d with %q", r.status, r.body, tc.status, tc.body)
			}
			if tc.status != 200 && strings.Contains(r.body, plantedValue) {
				t.Fatalf("a refusal carries the value: %s", r.body)
			}
		})
	}
	wf := "fields:\n  x: secret://other/x\n"
	if r := h.overTCP("POST", "/v1/resolve", wf, api.TokenHeader, testToken); r.status != 403 {
		t.Errorf("resolve of b's store by a: %d %s", r.status, r.body)
	}
	if r := h.overTCP("POST", "/v1/watch?wait=1s", wf, api.TokenHeader, testToken); r.status != 403 {
		t.Errorf("watch of b's store by a: %d %s", r.status, r.body)
	}
	if r := h.overTCP("GET", "/secretsmanager/get?secretId="+plantedName, "", api.TokenHeader, tokenB); r.status == 200 || strings.Contains(r.body, plantedValue) {
		t.Errorf("the SM endpoint (default store mem) for b: %d %s", r.status, r.body)
	}
	// Invalidate sees only the entry's stores.
	if r := h.overTCP("POST", "/v1/invalidate", `{"store": "mem"}`, api.TokenHeader, tokenB); r.status != 400 || !strings.Contains(r.body, "declared: other") {
		t.Errorf("invalidate of a's store by b: %d %s", r.status, r.body)
	}
	if r := h.overTCP("POST", "/v1/invalidate", `{"store": "other"}`, api.TokenHeader, tokenB); r.status != 200 {
		t.Errorf("invalidate of b's own store: %d %s", r.status, r.body)
	}
}
