//go:build unix

package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/providers/wasm/wasmstoretest"
)

// TestWasm resolves a workflow field through `latchkey resolve` from a
// store of type wasm — the http-json example module built from source, in
// Go and in Rust (examples/stores/http-json-rs) —
// against a loopback store, and exercises `module inspect` and `module run`.
func TestWasm(t *testing.T) {
	for _, g := range wasmstoretest.Guests() {
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
				!strings.Contains(r.stdout, "status:  loadable") || !strings.Contains(r.stdout, settings["sha256"].(string)) ||
				!strings.Contains(r.stdout, "probes:  none") {
				t.Fatalf("module inspect: %d\n%s\n%s", r.code, r.stdout, r.stderr)
			}
			if want := map[string]string{"go": "capabilities: none declared", "rust": "hosts:       config:store_url"}[g.Lang]; !strings.Contains(r.stdout, want) {
				t.Errorf("module inspect lacks %q:\n%s", want, r.stdout)
			}
			notWasm := writeFile(t, dir, "x.wasm", "\x00asm\x01\x00\x00\x00garbage")
			if r = latchkey(t, run{args: []string{"module", "inspect", notWasm}}); r.code != 3 {
				t.Fatalf("inspect of a broken module: exit %d: %s", r.code, r.stderr)
			}

			modCfg, _ := json.Marshal(settings["config"])
			r = latchkey(t, run{args: []string{"module", "run", mod, "--store-config", string(modCfg), "--secret", "db", "--key", "password",
				"--allow-http", srv.HostPort(), "--allow-network", "127.0.0.1/32", "--sha256", settings["sha256"].(string)}})
			if r.code != 0 || strings.TrimSpace(r.stdout) != pw {
				t.Fatalf("module run: %d %q %s", r.code, r.stdout, r.stderr)
			}
			// Without the loopback allowance the host refuses the dial.
			r = latchkey(t, run{args: []string{"module", "run", mod, "--store-config", string(modCfg), "--secret", "db", "--allow-http", srv.HostPort()}})
			if r.code != 4 || r.stdout != "" {
				t.Fatalf("module run to loopback without allowance: %d %q %s", r.code, r.stdout, r.stderr)
			}
			noLeak(t, "stderr", r.stderr, pw, srv.Token)
		})
	}
}

// TestModuleAnnotate adds a capability declaration to the Go build of
// http-json with `module annotate`, sees it in `module inspect`, and has
// the agent refuse the module when it declares a host the store does not
// allow, naming the host and the module.
func TestModuleAnnotate(t *testing.T) {
	srv := wasmstoretest.Start(t, map[string][]byte{"db": []byte("annotated-pl4nted")})
	mod := wasmstoretest.BuildHTTPJSON(t)
	dir := t.TempDir()
	good := writeFile(t, dir, "good.json", `{"version": 1, "hosts": ["config:store_url"], "credentials": ["store_token"], "config": ["store_url", "header"]}`)
	out := filepath.Join(dir, "annotated.wasm")
	r := latchkey(t, run{args: []string{"module", "annotate", mod, "--capabilities", good, "-o", out}})
	if r.code != 0 || !strings.Contains(r.stdout, "sha256") {
		t.Fatalf("module annotate: %d %s %s", r.code, r.stdout, r.stderr)
	}
	r = latchkey(t, run{args: []string{"module", "inspect", out}})
	if r.code != 0 || !strings.Contains(r.stdout, "hosts:       config:store_url") || !strings.Contains(r.stdout, "config:      store_url, header") {
		t.Fatalf("inspect of the annotated module: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// The example's own declaration, as its README builds it.
	example := filepath.Join(dir, "example.wasm")
	exampleCaps, err := filepath.Abs("../../examples/stores/http-json/capabilities.json")
	if err != nil {
		t.Fatal(err)
	}
	if r = latchkey(t, run{args: []string{"module", "annotate", mod, "--capabilities", exampleCaps, "-o", example}}); r.code != 0 {
		t.Fatalf("annotate with the example's capabilities.json: %d %s", r.code, r.stderr)
	}
	if r = latchkey(t, run{args: []string{"module", "inspect", example}}); r.code != 0 || !strings.Contains(r.stdout, "config:      store_url, secret_name, header, field, version_param") {
		t.Fatalf("inspect of the example annotated: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r = latchkey(t, run{args: []string{"module", "annotate", out, "--capabilities", good, "-o", out + "2"}}); r.code != 3 ||
		!strings.Contains(r.stderr, "already has a latchkey.capabilities section") {
		t.Fatalf("annotating twice: %d %s", r.code, r.stderr)
	}
	settings := srv.Settings(t, out, "")
	modCfg, _ := json.Marshal(settings["config"])
	args := []string{"module", "run", "--store-config", string(modCfg), "--secret", "db", "--allow-http", srv.HostPort(), "--allow-network", "127.0.0.1/32"}
	if r = latchkey(t, run{args: append(args, out)}); r.code != 0 || strings.TrimSpace(r.stdout) != "annotated-pl4nted" {
		t.Fatalf("module run of the annotated module: %d %q %s", r.code, r.stdout, r.stderr)
	}

	// check: the declared credential the store lacks is a warning; a
	// module without the section gets a note.
	annotated := srv.Settings(t, out, "")
	annotated["type"] = "wasm"
	plain := srv.Settings(t, mod, "")
	plain["type"] = "wasm"
	cfg, _ := json.Marshal(map[string]any{"stores": map[string]any{"annotated": annotated, "plain": plain}})
	agent := writeFile(t, dir, "agent.json", string(cfg))
	wf := writeFile(t, dir, "wf.yaml", "fields:\n  a: secret://annotated/db\n  b: secret://plain/db\n")
	r = mustResolve(t, run{args: []string{"check", "--offline", "-c", agent, "-w", wf}},
		`module declares credential "store_token", which the store does not configure`, "capabilities: none declared")

	evil := writeFile(t, dir, "evil.json", `{"version": 1, "hosts": ["config:store_url", "exfil.example"]}`)
	bad := filepath.Join(dir, "evil.wasm")
	if r = latchkey(t, run{args: []string{"module", "annotate", mod, "--capabilities", evil, "-o", bad}}); r.code != 0 {
		t.Fatalf("module annotate: %d %s", r.code, r.stderr)
	}
	r = mustFail(t, run{args: append(args, bad)}, 3, `wasm module "module"`, "declares host exfil.example", "not in the store's allow list")
	noLeak(t, "stderr", r.stderr, "annotated-pl4nted")

	broken := writeFile(t, dir, "broken.json", `{"version": 1, "hosts": ["*.example.com"]}`)
	if r = latchkey(t, run{args: []string{"module", "annotate", mod, "--capabilities", broken, "-o", bad}}); r.code != 3 ||
		!strings.Contains(r.stderr, `host "*.example.com"`) {
		t.Fatalf("annotate with a wildcard host: %d %s", r.code, r.stderr)
	}
}
