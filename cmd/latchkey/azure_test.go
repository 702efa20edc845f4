package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/providers/azure/azuretest"
)

// TestAzure resolves a workflow through `latchkey resolve` from a store of
// type azure, with managed identity and with a service principal, against
// the Key Vault, Entra and identity-endpoint fakes.
func TestAzure(t *testing.T) {
	srv := azuretest.Start(t)
	const pw = "azure-pl4nted-pw"
	srv.SetSecret("db", `{"username":"etl","password":"`+pw+`"}`)
	srv.SetSecret("token", "azure-token-value-1")
	dir := t.TempDir()
	wf := filepath.Join(dir, "wf.yaml")
	os.WriteFile(wf, []byte("fields:\n  user: secret://kv/db#username\n  password: secret://kv/db#password\n  token: secret://kv/"+
		srv.SecretURL("token", "")+"\n"), 0o600)
	var idEnv []string
	for k, v := range srv.Env() {
		idEnv = append(idEnv, k+"="+v)
	}
	for _, method := range []string{"managed_identity", "service_principal"} {
		t.Run(method, func(t *testing.T) {
			agent := filepath.Join(dir, method+".yaml")
			os.WriteFile(agent, []byte(srv.StoreYAML("kv", method)), 0o600)
			var env []string
			if method == "managed_identity" {
				env = idEnv
			}
			r := latchkey(t, run{args: []string{"resolve", "-c", agent, "-w", wf}, env: env})
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			for _, want := range []string{`"password": "` + pw + `"`, `"user": "etl"`, `"token": "azure-token-value-1"`} {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("stdout lacks %s: %s", want, r.stdout)
				}
			}
			noLeak(t, "stderr", r.stderr, pw)
		})
	}
	// A missing and a disabled secret: exit 4, both fields named.
	srv.SetSecret("off", "disabled-value-zz")
	srv.Disable("off", "")
	agent := filepath.Join(dir, "err.yaml")
	os.WriteFile(agent, []byte(srv.StoreYAML("kv", "managed_identity")), 0o600)
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("fields:\n  a: secret://kv/nope\n  b: secret://kv/off\n"), 0o600)
	r := latchkey(t, run{args: []string{"resolve", "-c", agent, "-w", bad}, env: idEnv})
	if r.code != 4 || !strings.Contains(r.stderr, `field "a"`) || !strings.Contains(r.stderr, `field "b"`) || !strings.Contains(r.stderr, "disabled") {
		t.Fatalf("exit %d, stderr %s", r.code, r.stderr)
	}
	noLeak(t, "stderr", r.stderr, "disabled-value-zz")
}
