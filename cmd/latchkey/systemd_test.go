//go:build unix

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/providers/wasm/wasmstoretest"
)

const unitFile = "../../examples/systemd/latchkey.service"

// TestSystemdUnitVerifies runs systemd-analyze verify on the shipped unit,
// with ExecStart pointing at the binary under test (verify checks that the
// command exists), and checks the directories a store needs are there.
func TestSystemdUnitVerifies(t *testing.T) {
	unit, err := os.ReadFile(unitFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"\nCacheDirectory=latchkey\n", "\nEnvironment=XDG_CACHE_HOME=/var/cache/latchkey\n",
		"\nLogsDirectory=latchkey\n", "\nEnvironmentFile=-/etc/latchkey/latchkey.env\n", "install -D -m 0644 docs/serve.md /usr/share/doc/latchkey/serve.md"} {
		if !strings.Contains(string(unit), want) {
			t.Errorf("the unit lacks %q", strings.TrimSpace(want))
		}
	}
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not found (Debian package systemd)")
	}
	p := filepath.Join(t.TempDir(), "latchkey.service")
	if err := os.WriteFile(p, []byte(strings.Replace(string(unit), "/usr/local/bin/latchkey serve", bin+" serve", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, sa, "verify", p).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "" {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// TestWasmStoreUnderTheUnit runs a Wasm store the way the unit does: a
// user whose home does not exist, with the unit's Environment= lines (the
// cache directory mapped into a temp dir). Without XDG_CACHE_HOME the
// error names cache_dir; with the unit's setting the store compiles into
// the cache directory, created 0700.
func TestWasmStoreUnderTheUnit(t *testing.T) {
	var unitEnv []string
	f, err := os.Open(unitFile)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "Environment="); ok {
			unitEnv = append(unitEnv, v)
		}
	}
	f.Close()
	root := t.TempDir()
	for i, kv := range unitEnv {
		unitEnv[i] = strings.Replace(kv, "=/var/cache/", "="+root+"/var/cache/", 1)
	}
	var goGuest *wasmstoretest.Guest
	for _, g := range wasmstoretest.Guests() {
		if g.Lang == "go" {
			goGuest = &g
		}
	}
	if goGuest == nil {
		t.Fatal("no Go guest")
	}
	srv := wasmstoretest.Start(t, map[string][]byte{"db": []byte(`{"password":"unit-pw"}`)})
	mod := goGuest.Build(t)
	settings := srv.Settings(t, mod, "")
	settings["type"] = "wasm"
	delete(settings, "cache_dir") // the default, as a shipped config has it
	cfg, _ := json.Marshal(map[string]any{"stores": map[string]any{"custom": settings}})
	dir := t.TempDir()
	agent := writeFile(t, dir, "agent.json", string(cfg))
	wf := writeFile(t, dir, "wf.yaml", "fields:\n  password: secret://custom/db#password\n")
	// The unit's user has no home (/nonexistent). Root may create any
	// directory, so the test's "no home" is a regular file: nothing can be
	// made under it, whoever runs the test.
	noHome := []string{"HOME=" + writeFile(t, dir, "no-home", ""), "XDG_CACHE_HOME="}

	r := latchkey(t, run{args: []string{"resolve", "-c", agent, "-w", wf}, env: noHome})
	if r.code == 0 || !strings.Contains(r.stderr, "cache_dir") {
		t.Fatalf("without a cache directory: exit %d, stderr does not name cache_dir:\n%s", r.code, r.stderr)
	}
	r = latchkey(t, run{args: []string{"resolve", "-c", agent, "-w", wf}, env: append(noHome, unitEnv...)})
	if r.code != 0 || !strings.Contains(r.stdout, "unit-pw") {
		t.Fatalf("with the unit's environment: exit %d\n%s", r.code, r.stderr)
	}
	fi, err := os.Stat(filepath.Join(root, "var/cache/latchkey/latchkey/wasm"))
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("cache directory: %v %v", fi, err)
	}
}
