package gcp_test

import (
	"testing"

	"github.com/latchkey/latchkey/policy"
	"github.com/latchkey/latchkey/providers/gcp/gcptest"
	"github.com/latchkey/latchkey/resolver"
	"github.com/latchkey/latchkey/secret"
	"github.com/latchkey/latchkey/storetest"
)

// TestPolicy runs the store's secrets rule against the loopback Secret
// Manager: short names, resource names in the store's project, by project
// number and in another project, versions, and no request for a refused
// reference.
func TestPolicy(t *testing.T) {
	v := func(s string) gcptest.Version { return gcptest.Version{Data: []byte(s)} }
	srv := gcptest.Start(t, gcptest.Options{Secrets: []gcptest.Secret{
		{Project: project, ID: "app-db", Versions: []gcptest.Version{v(`{"k":"1"}`), v(`{"k":"2"}`)}},
		{Project: project, ID: "app-admin", Versions: []gcptest.Version{v("a")}},
		{Project: project, ID: "other", Versions: []gcptest.Version{v("o")}},
		{Project: project, ID: "rotating", Versions: []gcptest.Version{v("1"), v("2"), v("3")}, Aliases: map[string]int64{"stable": 2}},
		{Project: "other-project", ID: "app-db", Versions: []gcptest.Version{v("x")}},
	}})
	rule := &policy.Spec{Origin: "stores.s.secrets",
		Allow: []policy.Entry{{Name: "app-*"}, {Name: "rotating", Versions: []string{secret.Current, "stable"}}},
		Deny:  []policy.Entry{{Name: "app-admin*"}, {Name: "app-db", Versions: []string{"1"}}},
	}
	number := srv.ProjectNumber(project)
	storetest.RunPolicy(t, storetest.PolicyFixture{
		Store:    resolver.StoreConfig{Type: "gcp", Settings: srv.Settings(project), Secrets: rule},
		Upstream: func() int { return len(srv.Requests()) },
		Cases: []storetest.PolicyCase{
			{Name: "allowed by short name", Ref: "secret://s/app-db#k"},
			{Name: "allowed, spelled as a resource name in the store's project", Ref: "secret://s/projects/" + project + "/secrets/app-db"},
			{Name: "denied: no allow pattern", Ref: "secret://s/other", Refused: "no allow pattern matches it"},
			{Name: "deny over allow", Ref: "secret://s/app-admin", Refused: `deny "app-admin*"`},
			{Name: "denied name, spelled as a resource name", Ref: "secret://s/projects/" + project + "/secrets/app-admin/versions/latest",
				Refused: `deny "app-admin*"`},
			{Name: "denied name, spelled with the project number", Ref: "secret://s/projects/" + number + "/secrets/app-admin",
				Refused: `deny "app-admin*"`},
			{Name: "allowed name in another project", Ref: "secret://s/projects/other-project/secrets/app-db",
				Refused: "no allow pattern matches it"},
			{Name: "allowed name, project by number: not the store's spelling", Ref: "secret://s/projects/" + number + "/secrets/app-db",
				Refused: "no allow pattern matches it"},
			{Name: "current version allowed", Ref: "secret://s/rotating"},
			{Name: "latest is current", Ref: "secret://s/rotating?version=latest"},
			{Name: "alias allowed", Ref: "secret://s/rotating?version=stable"},
			{Name: "version number not allowed", Ref: "secret://s/rotating?version=2", Refused: "no allow pattern"},
			{Name: "version in the name not allowed", Ref: "secret://s/projects/" + project + "/secrets/rotating/versions/1", Refused: "no allow pattern"},
			{Name: "version denied over a name allow", Ref: "secret://s/app-db?version=1", Refused: `deny "app-db" (versions 1)`},
		},
	})
}
