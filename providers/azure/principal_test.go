package azure_test

import (
	"strings"
	"testing"

	"github.com/latchkey/latchkey/providers/azure/azuretest"
	"github.com/latchkey/latchkey/secret"
)

func TestPrincipalFromTokenClaims(t *testing.T) {
	tests := []struct {
		name  string
		build func(t *testing.T, srv *azuretest.Server) (appID string, st interface {
			secret.Store
			secret.Describer
		})
	}{
		{name: "service principal", build: func(t *testing.T, srv *azuretest.Server) (string, interface {
			secret.Store
			secret.Describer
		}) {
			return srv.ClientID, newStore(t, spOptions(srv))
		}},
		{name: "user-assigned managed identity", build: func(t *testing.T, srv *azuretest.Server) (string, interface {
			secret.Store
			secret.Describer
		}) {
			srv.SetEnv(t)
			o := miOptions(srv)
			o.ManagedIdentityClientID = srv.ManagedIdentityClientID
			return srv.ManagedIdentityClientID, newStore(t, o)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := azuretest.Start(t)
			fill(srv)
			appID, st := tc.build(t, srv)
			if _, err := st.Describe().Principal(ctx(t)); err == nil || !strings.Contains(err.Error(), "no token obtained yet") {
				t.Errorf("before any fetch: %v; want no token yet", err)
			}
			if _, err := st.Get(ctx(t), secret.Request{Name: "plain"}); err != nil {
				t.Fatal(err)
			}
			who, err := st.Describe().Principal(ctx(t))
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"application (client) ID " + appID, "object ID " + azuretest.ObjectIDOf(appID), "tenant " + srv.TenantID} {
				if !strings.Contains(who, want) {
					t.Errorf("principal %q does not say %q", who, want)
				}
			}
		})
	}
}
