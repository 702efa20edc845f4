package azure_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/k8stest"
	"github.com/latchkey/latchkey/providers/azure"
	"github.com/latchkey/latchkey/providers/azure/azuretest"
	"github.com/latchkey/latchkey/secret"
)

// TestWorkloadIdentity exchanges pod tokens with a loopback Entra ID that
// verifies them as a federated identity credential does: the issuer's
// JWKS, the audience, the expiry and the subject.
func TestWorkloadIdentity(t *testing.T) {
	srv := azuretest.Start(t)
	is := k8stest.Start(t)
	srv.AddFederatedCredential(azuretest.FederatedCredential{Issuer: is.URL, Subject: "system:serviceaccount:etl:loader", Audience: "api://AzureADTokenExchange"})
	srv.SetSecret("db", "pa55")
	settings := srv.Settings("")
	delete(settings, "auth_method")
	settings["authority_host"] = srv.AuthorityHost
	settings["vault_domain"] = srv.VaultDomain // the resource Exchange asks a token for
	st, err := azure.NewWorkloadIdentity(secret.Spec{Name: "kv", Type: "azure", Settings: settings},
		azure.WorkloadIdentityApp{TenantID: srv.TenantID, ClientID: srv.ClientID})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	if _, err := st.Get(ctx, secret.Request{Name: "db"}); !errors.Is(err, azure.ErrNoExchange) {
		t.Fatalf("Get before any exchange: %v", err)
	}
	mint := func(ns, sa, aud string, ttl time.Duration) string {
		return is.Mint(k8stest.Token{Namespace: ns, ServiceAccount: sa, Audience: aud, TTL: ttl})
	}
	for _, tc := range []struct{ name, token string }{
		{"wrong audience", mint("etl", "loader", "sts.amazonaws.com", time.Hour)},
		{"expired", mint("etl", "loader", "api://AzureADTokenExchange", -time.Minute)},
		{"another service account", mint("etl", "other", "api://AzureADTokenExchange", time.Hour)},
		{"another issuer's key", k8stest.Start(t).Mint(k8stest.Token{Namespace: "etl", ServiceAccount: "loader", Audience: "api://AzureADTokenExchange"})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := st.Exchange(ctx, tc.token)
			if !errors.Is(err, secret.ErrPermissionDenied) || !strings.Contains(err.Error(), "AADSTS700") || strings.Contains(err.Error(), tc.token) {
				t.Fatalf("Exchange: %v; want a refusal without the token", err)
			}
		})
	}
	if err := st.Exchange(ctx, mint("etl", "loader", "api://AzureADTokenExchange", time.Hour)); err != nil {
		t.Fatal(err)
	}
	v, err := st.Get(ctx, secret.Request{Name: "db"})
	if err != nil || v.Value.RevealString() != "pa55" {
		t.Fatalf("Get: %v", err)
	}
	if !strings.Contains(st.Describe().Summary, "workload identity") {
		t.Errorf("Describe: %q", st.Describe().Summary)
	}
}
