//go:build unix

package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/wasmtest"
	"github.com/latchkey/latchkey/runtime/modsig/modsigtest"
	"github.com/latchkey/latchkey/runtime/oci/ocitest"
)

// TestModuleRegistry drives the built binary against a real registry:
// push a signed module, inspect it before pulling, verify it by key
// (and refuse another key), pull it, and load it with the registry
// stopped from an agent config requiring the signature.
func TestModuleRegistry(t *testing.T) {
	reg := ocitest.Start(t)
	dir := t.TempDir()
	cacheDir := filepath.Join(dir, "cache")
	os.Mkdir(cacheDir, 0o700)
	get := wasmtest.Code(wasmtest.I32Const(0), wasmtest.I32Const(0), wasmtest.Call(wasmtest.FnResultSet), wasmtest.Drop, wasmtest.I32Const(0))
	wasm := append(wasmtest.Guest(get).Encode(), wasmtest.CustomSection("latchkey.capabilities", []byte(`{"version":1,"credentials":["api_token"]}`))...)
	file := filepath.Join(dir, "store.wasm")
	os.WriteFile(file, wasm, 0o600)
	alice, mallory := modsigtest.NewSigner(t), modsigtest.NewSigner(t)
	os.WriteFile(file+".sigstore.json", alice.Sign(t, wasm), 0o600)
	ref := reg.Host + "/stores/demo:v1"
	reg1 := []string{"--cache-dir", cacheDir}

	res := mustResolve(t, run{args: append([]string{"module", "push", file, ref}, reg1...)}, "signature bundle attached", "api_token")
	m := regexp.MustCompile(`module:\s+(\S+)`).FindStringSubmatch(res.stdout)
	if m == nil {
		t.Fatalf("push printed no pinned reference:\n%s", res.stdout)
	}
	pinned := m[1]
	mustResolve(t, run{args: append([]string{"module", "inspect", "oci://" + ref}, reg1...)}, pinned, "api_token", "cached:  false")
	mustResolve(t, run{args: append([]string{"module", "verify", "--key", alice.Pub, ref}, reg1...)}, "verified: signed by key "+alice.Pub, "api_token")
	mustResolve(t, run{args: []string{"module", "verify", "--key", alice.Pub, file}}, "verified: signed by key")
	mustFail(t, run{args: append([]string{"module", "verify", "--key", mallory.Pub, ref}, reg1...)}, 3,
		"oci://"+ref, "sha256:", "no signature verifies")
	mustFail(t, run{args: []string{"module", "verify", file}}, 2, "needs keys")
	mustResolve(t, run{args: append([]string{"module", "pull", pinned}, reg1...)}, "from:     cache")

	cfg := writeFile(t, dir, "latchkey.yaml", `stores:
  reg:
    type: wasm
    module: `+pinned+`
    cache_dir: `+cacheDir+`
    signature:
      key: `+alice.Pub+`
`)
	wf := writeFile(t, dir, "wf.yaml", "fields: {a: \"secret://reg/x\"}\n")
	reg.Stop()
	mustResolve(t, run{args: []string{"check", "-c", cfg, "-w", wf}}, "served from the module cache", "signature verified offline", alice.Pub)
	bad := writeFile(t, dir, "bad.yaml", strings.Replace(mustRead(t, cfg), alice.Pub, mallory.Pub, 1))
	mustFail(t, run{args: []string{"check", "-c", bad, "-w", wf}}, 3, `"reg"`, pinned, "no signature verifies")
}
