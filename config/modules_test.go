package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestModulesDefaults: the top-level modules section gives every wasm
// store its signature and registry sections unless the store has its own,
// and touches no other store type.
func TestModulesDefaults(t *testing.T) {
	p := filepath.Join(t.TempDir(), "agent.yaml")
	os.WriteFile(p, []byte(`
modules:
  signature: {key: /etc/latchkey/cosign.pub}
  registry: {docker_config: /etc/latchkey/docker.json}
stores:
  a: {type: wasm, module: a.wasm, sha256: "`+strings.Repeat("a", 64)+`"}
  b: {type: wasm, module: b.wasm, sha256: "`+strings.Repeat("b", 64)+`", signature: {key: /etc/latchkey/b.pub}}
  e: {type: env, allow: ["X_*"]}
`), 0o600)
	a, err := Load(Options{Path: p, Environ: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		store, key, want string
	}{
		{"a", "signature", "/etc/latchkey/cosign.pub"},
		{"a", "registry", "/etc/latchkey/docker.json"},
		{"b", "signature", "/etc/latchkey/b.pub"},
		{"b", "registry", "/etc/latchkey/docker.json"},
	}
	for _, tc := range tests {
		t.Run(tc.store+"."+tc.key, func(t *testing.T) {
			m, _ := a.Stores[tc.store].Settings[tc.key].(map[string]any)
			got := ""
			for _, v := range m {
				got, _ = v.(string)
			}
			if got != tc.want {
				t.Fatalf("%s.%s = %v, want %s", tc.store, tc.key, a.Stores[tc.store].Settings[tc.key], tc.want)
			}
		})
	}
	if _, ok := a.Stores["e"].Settings["signature"]; ok {
		t.Fatal("an env store got the modules defaults")
	}

	// A store's own signature: null is kept, not replaced by the default:
	// the wasm store sees the opt-out and check warns about it
	// (providers/wasm TestSignatureNullWarns).
	os.WriteFile(p, []byte(`
modules:
  signature: {key: /etc/latchkey/cosign.pub}
stores:
  n: {type: wasm, module: n.wasm, sha256: "`+strings.Repeat("c", 64)+`", signature: null}
`), 0o600)
	if a, err = Load(Options{Path: p, Environ: []string{}}); err != nil {
		t.Fatal(err)
	}
	if v, ok := a.Stores["n"].Settings["signature"]; !ok || v != nil {
		t.Fatalf("signature: null became %v (present %v); want the store's own null", v, ok)
	}

	os.WriteFile(p, []byte("modules: {signatures: {}}\nstores: {e: {type: env}}\n"), 0o600)
	if _, err := Load(Options{Path: p, Environ: []string{}}); err == nil || !strings.Contains(err.Error(), `"modules.signatures"`) {
		t.Fatalf("unknown modules key: %v", err)
	}
}
