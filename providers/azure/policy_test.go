package azure_test

import (
	"strings"
	"testing"

	"github.com/latchkey/latchkey/policy"
	"github.com/latchkey/latchkey/providers/azure/azuretest"
	"github.com/latchkey/latchkey/resolver"
	"github.com/latchkey/latchkey/secret"
	"github.com/latchkey/latchkey/storetest"
)

// TestPolicy runs the store's secrets rule against the loopback vault:
// names in any letter case, secret URLs of the store's vault and of
// another, versions, and no request for a refused reference.
func TestPolicy(t *testing.T) {
	srv := azuretest.Start(t)
	for _, n := range []string{"app-db", "app-admin", "other"} {
		srv.SetSecret(n, `{"k":"v"}`)
	}
	old := srv.SetSecret("rotating", `{"k":"old"}`)
	srv.SetSecret("rotating", `{"k":"new"}`)
	dbOld := srv.SetSecret("app-db", `{"k":"older"}`)
	srv.SetSecret("app-db", `{"k":"v"}`)
	rule := &policy.Spec{Origin: "stores.s.secrets",
		Allow: []policy.Entry{{Name: "APP-*"}, {Name: "rotating", Versions: []string{secret.Current}}},
		Deny:  []policy.Entry{{Name: "app-admin*"}, {Name: "app-db", Versions: []string{strings.ToUpper(dbOld)}}},
	}
	storetest.RunPolicy(t, storetest.PolicyFixture{
		Store:    resolver.StoreConfig{Type: "azure", Settings: srv.Settings("service_principal"), Secrets: rule},
		Upstream: func() int { return srv.Stats().VaultRequests },
		Cases: []storetest.PolicyCase{
			{Name: "allowed by name, case folded", Ref: "secret://s/app-db#k"},
			{Name: "allowed, spelled as the store's own vault URL", Ref: "secret://s/" + srv.SecretURL("app-db", "")},
			{Name: "denied: no allow pattern", Ref: "secret://s/other", Refused: "no allow pattern matches it"},
			{Name: "deny over allow", Ref: "secret://s/app-admin", Refused: `deny "app-admin*"`},
			{Name: "deny over allow, other letter case", Ref: "secret://s/APP-Admin", Refused: `deny "app-admin*"`},
			{Name: "denied name, spelled as a URL", Ref: "secret://s/" + srv.SecretURL("APP-ADMIN", ""), Refused: `deny "app-admin*"`},
			{Name: "denied name in another vault of the domain", Ref: "secret://s/https://othervault.vault.azure.net/secrets/App-Admin",
				Refused: `deny "app-admin*"`},
			{Name: "allowed name in another vault of the domain", Ref: "secret://s/https://othervault.vault.azure.net/secrets/app-db",
				Refused: "no allow pattern matches it"},
			{Name: "version allowed (current)", Ref: "secret://s/rotating"},
			{Name: "version not allowed", Ref: "secret://s/rotating?version=" + old, Refused: "no allow pattern"},
			{Name: "version in the URL not allowed", Ref: "secret://s/" + srv.SecretURL("rotating", old), Refused: "no allow pattern"},
			{Name: "version denied, any letter case", Ref: "secret://s/app-db?version=" + dbOld, Refused: `deny "app-db" (versions`},
		},
	})
}
