package csi

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"sigs.k8s.io/secrets-store-csi-driver/provider/v1alpha1"

	"github.com/latchkey/latchkey/internal/k8stest"
	"github.com/latchkey/latchkey/providers/azure/azuretest"
)

// TestAzureWorkloadIdentity mounts from Key Vault as the pod: the loopback
// Entra ID accepts the pod's token as client assertion only for the
// service account its federated credential names.
func TestAzureWorkloadIdentity(t *testing.T) {
	srv := azuretest.Start(t)
	is := k8stest.Start(t)
	srv.AddFederatedCredential(azuretest.FederatedCredential{Issuer: is.URL, Subject: "system:serviceaccount:etl:loader", Audience: "api://AzureADTokenExchange"})
	srv.SetSecret("db", "pa55")
	agent := fmt.Sprintf(`stores:
  kv: {type: azure, vault_url: %q, vault_domain: %q, ca_file: %q, authority_host: %q, disable_challenge_resource_verification: true, identity_max_retries: 1, identity_retry_delay: 10ms, max_retries: 1, retry_delay: 10ms}
callers:
  etl: {service_accounts: ["etl/*"], stores: {kv: {}}}
csi:
  stores:
    kv: {tenant_id: %q, client_id: %q}
`, srv.VaultURL, srv.VaultDomain, srv.CAFile, srv.AuthorityHost, srv.TenantID, srv.ClientID)
	p := newProvider(t, agent, "")
	mount := func(sa, aud string) (*v1alpha1.MountResponse, string, error) {
		tok := is.Mint(k8stest.Token{Namespace: "etl", ServiceAccount: sa, Audience: aud})
		req := &v1alpha1.MountRequest{Permission: "420", Attributes: attrs(map[string]string{attrPodNS: "etl", attrSAName: sa,
			"objects":    `[{ref: "secret://kv/db", path: db, mode: 0400}]`,
			attrSATokens: fmt.Sprintf(`{"api://AzureADTokenExchange":{"token":%q}}`, tok)})}
		code, err := p.MountError(context.Background(), req)
		if code != "" {
			return nil, code, err
		}
		resp, err := p.Mount(context.Background(), req)
		return resp, "", err
	}
	resp, code, err := mount("loader", "api://AzureADTokenExchange")
	if code != "" || err != nil || string(resp.Files[0].Contents) != "pa55" || resp.Files[0].Mode != 0o400 || resp.ObjectVersion[0].Version == "" {
		t.Fatalf("mount: %s %v %v", code, err, resp)
	}
	// Same namespace, another service account: the callers rule lets it
	// through, Entra's federated credential does not.
	if _, code, err := mount("other", "api://AzureADTokenExchange"); code != CodeIdentityRefused || !strings.Contains(err.Error(), "AADSTS70021") {
		t.Fatalf("other service account: %s %v", code, err)
	}
}
