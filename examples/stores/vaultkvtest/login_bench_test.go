package vaultkvtest_test

import (
	"context"
	"testing"

	"github.com/latchkey/latchkey/examples/stores/vaultkvtest"
	"github.com/latchkey/latchkey/secret"
)

// BenchmarkBrokeredVsStatic compares, on the same loopback Vault in one
// run, a warm fetch through the vault-kv module whose token is a static
// credential with one whose token an AppRole login exchange obtained (the
// login happens before the timer; each fetch asks the source for its
// current value).
func BenchmarkBrokeredVsStatic(b *testing.B) {
	srv := vaultkvtest.Start(b, vaultkvtest.Options{Secrets: secrets(), AppRole: &vaultkvtest.AppRole{RoleID: roleID, SecretID: secretID}})
	b.Setenv(vaultkvtest.TokenEnv, srv.Token)
	static := storeWithLogs(b, srv.Settings(b, vaultkvtest.BuildModule(b), nil), nil)
	brokered := storeWithLogs(b, appRoleSettings(b, srv, 0), nil)
	ctx := context.Background()
	req := secret.Request{Name: "app/db"}
	for _, st := range []secret.Store{static, brokered} {
		if _, err := st.Get(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
	for _, bc := range []struct {
		name string
		st   secret.Store
	}{{"static", static}, {"brokered", brokered}, {"static-again", static}, {"brokered-again", brokered}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := bc.st.Get(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
