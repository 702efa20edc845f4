package wasm

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/wasmtest"
	"github.com/latchkey/latchkey/providers/azure/azuretest"
	lkruntime "github.com/latchkey/latchkey/runtime"
	"github.com/latchkey/latchkey/secret"
)

// TestAzureToken: requests of the credprobe guest to a loopback Key Vault
// (which accepts only tokens its Entra ID issued for its tenant and
// resource) carry a bearer token the host minted with azidentity for a
// service principal, through the azure store's own credential chain: 20
// fetches, one token grant; the module's memory holds no token and not
// the client secret.
func TestAzureToken(t *testing.T) {
	srv := azuretest.Start(t)
	srv.SetSecret("db", "azure-Pl4nted-secret-value")
	pem, err := os.ReadFile(srv.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	u, _ := url.Parse(srv.VaultURL)
	settings := map[string]any{
		"module":         wasmtest.Build(t, "providers/wasm/testdata/guests/credprobe"),
		"allow_unpinned": true,
		"config":         map[string]any{"url": srv.VaultURL},
		"allowed_hosts":  []any{u.Host},
		"allow_networks": []any{"127.0.0.1/32"},
		"limits":         map[string]any{"instances": 1},
		"credentials": map[string]any{
			"kv": map[string]any{
				"azure_token": map[string]any{"scope": srv.Resource + "/.default", "azure": srv.Settings("service_principal")},
				"hosts":       []any{u.Host},
			},
		},
	}
	st, err := fromSpecTuned(context.Background(), secret.Spec{Name: "kv", Type: "wasm", Settings: settings}, sharedCache,
		func(o *lkruntime.Options) { o.HTTP.TLSConfig = &tls.Config{RootCAs: pool} })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	for i := range 20 {
		v, err := st.Get(context.Background(), secret.Request{Name: "/secrets/db?api-version=7.4"})
		if err != nil || !strings.Contains(v.RevealString(), "azure-Pl4nted-secret-value") {
			t.Fatalf("fetch %d: %v %s", i, err, v.RevealString())
		}
	}
	if n := srv.Stats().TokenRequests; n != 1 {
		t.Errorf("20 fetches made %d token grants, want 1", n)
	}
	// Every token the fake issues starts with this JWT header.
	jwtHeader := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256","kid":"azuretest","typ":"JWT"}`))
	st.Module().ScanIdleMemory(func(mem []byte) {
		if strings.Contains(string(mem), jwtHeader[:20]) {
			t.Error("an Entra ID token is in the module's memory")
		}
		if leak := wasmtest.FindLeak(mem, []byte(srv.ClientSecret)); leak != "" {
			t.Errorf("the client secret is in the module's memory (%s form)", leak)
		}
		if !strings.Contains(string(mem), "azure-Pl4nted-secret-value") {
			t.Error("the scan does not see what the module received")
		}
	})
}
