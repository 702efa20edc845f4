package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/providers/wasm/wasmstoretest"
)

// TestWasm resolves a workflow field through `latchkey resolve` from a
// store of type wasm — the http-json example module built from source, in
// Go and in Rust (examples/stores/http-json-rs) —
// against a loopback store, and exercises `module inspect` and `module run`.
func TestWasm(t *testing.T) {
	for _, g := range wasmstoretest.Guests {
		t.Run(g.Lang, func(t *testing.T) {
			const pw = "wasm-pl4nted-pw"
			srv := wasmstoretest.Start(t, map[string][]byte{
				"db":    []byte(`{"username":"etl","password":"` + pw + `"}`),
				"db@v1": []byte(`{"username":"old"}`),
			})
			mod := g.Build(t)
			settings := srv.Settings(t, mod, "")
			settings["type"] = "wasm"
			cfg, _ := json.Marshal(map[string]any{"stores": map[string]any{"custom": settings}})
			dir := t.TempDir()
			agent := writeFile(t, dir, "agent.json", string(cfg))
			wf := writeFile(t, dir, "wf.yaml", "fields:\n  user: secret://custom/db#username\n  password: secret://custom/db#password\n  old: secret://custom/db#username?version=v1\n")
			mustResolve(t, run{args: []string{"resolve", "-c", agent, "-w", wf}}, `"password": "`+pw+`"`, `"user": "etl"`, `"old": "old"`)

			bad := writeFile(t, dir, "bad.yaml", "fields:\n  a: secret://custom/nope\n  b: secret://custom/db#nokey\n")
			r := mustFail(t, run{args: []string{"resolve", "-c", agent, "-w", bad}}, 4, `field "a"`, `field "b"`)
			noLeak(t, "stderr", r.stderr, pw)

			r = latchkey(t, run{args: []string{"module", "inspect", mod}})
			if r.code != 0 || !strings.Contains(r.stdout, "abi:     v1") || !strings.Contains(r.stdout, "latchkey_v1.http_request") ||
				!strings.Contains(r.stdout, "status:  loadable") || !strings.Contains(r.stdout, settings["sha256"].(string)) {
				t.Fatalf("module inspect: %d\n%s\n%s", r.code, r.stdout, r.stderr)
			}
			notWasm := writeFile(t, dir, "x.wasm", "\x00asm\x01\x00\x00\x00garbage")
			if r = latchkey(t, run{args: []string{"module", "inspect", notWasm}}); r.code != 3 {
				t.Fatalf("inspect of a broken module: exit %d: %s", r.code, r.stderr)
			}

			modCfg, _ := json.Marshal(settings["config"])
			r = latchkey(t, run{args: []string{"module", "run", mod, "--config", string(modCfg), "--secret", "db", "--key", "password",
				"--allow-http", srv.HostPort(), "--allow-network", "127.0.0.1/32", "--sha256", settings["sha256"].(string)}})
			if r.code != 0 || strings.TrimSpace(r.stdout) != pw {
				t.Fatalf("module run: %d %q %s", r.code, r.stdout, r.stderr)
			}
			// Without the loopback allowance the host refuses the dial.
			r = latchkey(t, run{args: []string{"module", "run", mod, "--config", string(modCfg), "--secret", "db", "--allow-http", srv.HostPort()}})
			if r.code != 4 || r.stdout != "" {
				t.Fatalf("module run to loopback without allowance: %d %q %s", r.code, r.stdout, r.stderr)
			}
			noLeak(t, "stderr", r.stderr, pw, srv.Token)
		})
	}
}
