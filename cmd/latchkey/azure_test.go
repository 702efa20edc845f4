//go:build unix

package main

import (
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
	wf := writeFile(t, dir, "wf.yaml", "fields:\n  user: secret://kv/db#username\n  password: secret://kv/db#password\n  token: secret://kv/"+
		srv.SecretURL("token", "")+"\n")
	var idEnv []string
	for k, v := range srv.Env() {
		idEnv = append(idEnv, k+"="+v)
	}
	for _, method := range []string{"managed_identity", "service_principal"} {
		t.Run(method, func(t *testing.T) {
			agent := writeFile(t, dir, method+".yaml", srv.StoreYAML("kv", method))
			var env []string
			if method == "managed_identity" {
				env = idEnv
			}
			r := mustResolve(t, run{args: []string{"resolve", "-c", agent, "-w", wf}, env: env},
				`"password": "`+pw+`"`, `"user": "etl"`, `"token": "azure-token-value-1"`)
			noLeak(t, "stderr", r.stderr, pw)
		})
	}
	// A missing and a disabled secret: exit 4, both fields named.
	srv.SetSecret("off", "disabled-value-zz")
	srv.Disable("off", "")
	agent := writeFile(t, dir, "err.yaml", srv.StoreYAML("kv", "managed_identity"))
	bad := writeFile(t, dir, "bad.yaml", "fields:\n  a: secret://kv/nope\n  b: secret://kv/off\n")
	r := mustFail(t, run{args: []string{"resolve", "-c", agent, "-w", bad}, env: idEnv}, 4, `field "a"`, `field "b"`, "disabled")
	noLeak(t, "stderr", r.stderr, "disabled-value-zz")
}
