//go:build unix

package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/wasmtest"
)

// TestModuleInit is a new author's first hour, through the built binary:
// `latchkey module init` writes a Go and a Rust store into a temporary
// directory outside the repository; the project is built with the command
// its README gives (./build.sh; Go offline: GOPROXY=off, GOTOOLCHAIN=local),
// its own test runs against `latchkey module run`, its example agent
// config passes `latchkey check --offline`, and a workflow resolves through
// the built module with `latchkey resolve` against a loopback store that
// checks the token the host sends for the module.
func TestModuleInit(t *testing.T) {
	for _, lang := range []string{"go", "rust"} {
		t.Run(lang, func(t *testing.T) {
			var rust *wasmtest.Rust
			if lang == "rust" {
				rust = wasmtest.FindRust(t) // skips naming rustc, libstd-rust-dev-wasm32 and lld
			} else if _, err := exec.LookPath("go"); err != nil {
				t.Skip("the go command builds Go stores and is not on PATH")
			}
			base := t.TempDir()
			repo, err := filepath.Abs("../..")
			if err != nil {
				t.Fatal(err)
			}
			if rel, err := filepath.Rel(repo, base); err != nil || !strings.HasPrefix(rel, "..") {
				t.Fatalf("the project must live outside the repository: %s is under %s", base, repo)
			}
			name := "e2e-" + lang
			dir := filepath.Join(base, name)
			r := mustResolve(t, run{args: []string{"module", "init", dir, "--lang", lang}, dir: base}, `wrote a`, `"`+name+`"`, "third_party/latchkey-sdk")

			// --update-sdk replaces the copy, and refuses an edited one
			// unless --force; the build below uses what it wrote.
			mustResolve(t, run{args: []string{"module", "init", "--update-sdk", dir}, dir: base}, "replaced third_party/latchkey-sdk")
			sdkFile := filepath.Join(dir, "third_party", "latchkey-sdk", map[string]string{"go": "handler.go", "rust": "src/lib.rs"}[lang])
			f, err := os.OpenFile(sdkFile, os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.WriteString("\n// edited by the author\n")
			f.Close()
			mustFail(t, run{args: []string{"module", "init", "--update-sdk", dir}, dir: base}, 2, "--force", "were edited")
			mustResolve(t, run{args: []string{"module", "init", "--update-sdk", "--force", dir}, dir: base}, "replaced third_party/latchkey-sdk")
			if b, _ := os.ReadFile(sdkFile); strings.Contains(string(b), "edited by the author") {
				t.Fatal("--update-sdk --force kept the edited SDK file")
			}

			// The environment of a new author's shell: this latchkey on
			// PATH, no proxy and an empty module cache (the build must
			// neither download nor find anything), no toolchain switch, no
			// workspace of ours.
			env := append(os.Environ(), "PATH="+filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"),
				"GOPROXY=off", "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local", "GOWORK=off",
				"GOMODCACHE="+filepath.Join(base, "empty-module-cache"))
			if rust != nil {
				env = append(env, "RUSTC="+rust.Path, "TARGET="+rust.Target)
			}
			sh := func(args ...string) string {
				t.Helper()
				cmd := exec.Command(args[0], args[1:]...)
				cmd.Dir, cmd.Env = dir, env
				out, err := cmd.CombinedOutput()
				if err != nil {
					t.Fatalf("%s in the new project: %v\n%s", strings.Join(args, " "), err, out)
				}
				return string(out)
			}
			sh("sh", "build.sh")
			wasm := filepath.Join(dir, name+".wasm")
			r = mustResolve(t, run{args: []string{"module", "inspect", wasm}}, "status:  loadable", "hosts:       config:store_url", "credentials: api_token")

			// The project's own test, through `latchkey module run`.
			switch lang {
			case "go":
				sh("go", "vet", "./...")
				if out := sh("go", "test", "-count=1", "-v", "./..."); !strings.Contains(out, "--- PASS: TestModuleRun") {
					t.Errorf("the project's go test did not pass TestModuleRun:\n%s", out)
				}
			case "rust":
				if _, err := exec.LookPath("python3"); err != nil {
					t.Log("python3 is not on PATH: test.sh (its loopback store is python3) not run; apt-get install python3")
				} else if out := sh("sh", "test.sh"); !strings.HasSuffix(strings.TrimSpace(out), "PASS") || !strings.Contains(out, "2 passed") {
					t.Errorf("the project's test.sh:\n%s", out)
				}
			}

			// The example agent config and workflow, as written.
			r = mustResolve(t, run{args: []string{"check", "--offline", "-c", "latchkey.yaml", "-w", "workflow.yaml",
				"--set", "stores." + name + ".cache_dir=" + filepath.Join(base, "cache")}, dir: dir,
				env: []string{"STORE_TOKEN=example-token-1234"}}, "password  "+name, "module declares hosts config:store_url")

			// resolve through the built module, pinned, against a loopback
			// store that checks the token.
			const token, pw = "e2e-t0ken-planted-123", "e2e-pw-planted-456"
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch {
				case r.Header.Get("Authorization") != "Bearer "+token:
					w.WriteHeader(http.StatusUnauthorized)
				case r.URL.Path != "/v1/db":
					w.WriteHeader(http.StatusNotFound)
				default:
					io.WriteString(w, `{"username": "etl", "password": "`+pw+`"}`)
				}
			}))
			defer srv.Close()
			u, _ := url.Parse(srv.URL)
			wasmBytes, err := os.ReadFile(wasm)
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(wasmBytes)
			cfg, _ := json.Marshal(map[string]any{"stores": map[string]any{name: map[string]any{
				"type": "wasm", "module": wasm, "sha256": hex.EncodeToString(sum[:]),
				"config":         map[string]any{"store_url": srv.URL + "/v1/"},
				"allow_http":     []string{u.Host},
				"allow_networks": []string{"127.0.0.1/32"},
				"cache_dir":      filepath.Join(base, "cache"),
				"credentials":    map[string]any{"api_token": map[string]any{"env": "STORE_TOKEN", "hosts": []string{"http://" + u.Host}}},
			}}})
			agent := writeFile(t, base, "agent.json", string(cfg))
			wf := writeFile(t, base, "wf.yaml", "fields:\n  user: secret://"+name+"/db#username\n  password: secret://"+name+"/db#password\n")
			r = mustResolve(t, run{args: []string{"resolve", "-c", agent, "-w", wf}, env: []string{"STORE_TOKEN=" + token}},
				`"password": "`+pw+`"`, `"user": "etl"`)
			noLeak(t, "stderr", r.stderr, token, pw)

			bad := writeFile(t, base, "bad.yaml", "fields:\n  a: secret://"+name+"/nope\n  b: secret://"+name+"/a..b/c\n")
			r = mustFail(t, run{args: []string{"resolve", "-c", agent, "-w", bad}, env: []string{"STORE_TOKEN=" + token}}, 4,
				`field "a"`, "not found", `field "b"`)
			noLeak(t, "stderr", r.stderr, token, pw)
			r = mustFail(t, run{args: []string{"resolve", "-c", agent, "-w", wf}, env: []string{"STORE_TOKEN=wrong-token-000"}}, 4,
				"permission denied", "HTTP 401")
			noLeak(t, "stderr", r.stderr, token, pw, "wrong-token-000")
		})
	}
}

// TestModuleInitRefusals: the command's refusals exit 2 and name the flag
// and what to do, and write nothing.
func TestModuleInitRefusals(t *testing.T) {
	base := t.TempDir()
	full := filepath.Join(base, "full")
	if err := os.Mkdir(full, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, full, "keep.txt", "mine")
	for _, tc := range []struct {
		args  []string
		wants []string
	}{
		{[]string{"module", "init", filepath.Join(base, "a")}, []string{"--lang: required", "--lang go or --lang rust"}},
		{[]string{"module", "init", filepath.Join(base, "a"), "--lang", "cobol"}, []string{`--lang: "cobol" is not a language`}},
		{[]string{"module", "init", filepath.Join(base, "a"), "--lang", "go", "--name", "Bad Name"}, []string{`--name: "Bad Name"`, "lowercase letters"}},
		{[]string{"module", "init", full, "--lang", "go"}, []string{"DIR: ", "is not empty (keep.txt)", "--force"}},
		{[]string{"module", "init", "--update-sdk", full}, []string{"--update-sdk: ", "has no directory third_party"}},
		{[]string{"module", "init"}, []string{"takes one DIR"}},
		{[]string{"module", "init", filepath.Join(base, "a"), "--lang", "go", "-c", "agent.yaml"}, []string{"--config does not apply", "DIR/latchkey.yaml"}},
	} {
		mustFail(t, run{args: tc.args, dir: base}, 2, tc.wants...)
	}
	if _, err := os.Stat(filepath.Join(base, "a")); err == nil {
		t.Error("a refused init created its directory")
	}
	if entries, _ := os.ReadDir(full); len(entries) != 1 {
		t.Errorf("a refused init wrote into a non-empty directory: %v", entries)
	}
}
