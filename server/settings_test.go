package server

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

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
