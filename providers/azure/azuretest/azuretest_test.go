package azuretest_test

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/providers/azure/azuretest"
)

// client trusts only srv's CA, so these checks also prove CAFile is right.
func client(t *testing.T, srv *azuretest.Server) *http.Client {
	pemBytes, err := os.ReadFile(srv.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		t.Fatal("CAFile holds no certificate")
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
}

func do(t *testing.T, c *http.Client, req *http.Request) (int, http.Header, map[string]any) {
	t.Helper()
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var body map[string]any
	if err := json.Unmarshal(b, &body); err != nil {
		t.Fatalf("body is not JSON: %q", b)
	}
	return res.StatusCode, res.Header, body
}

// TestWire checks the fakes' answers to raw requests, without the SDK.
func TestWire(t *testing.T) {
	srv := azuretest.Start(t)
	srv.SetSecret("db", "v")
	c := client(t, srv)
	get := func(u string, hdr ...string) *http.Request {
		r, _ := http.NewRequest(http.MethodGet, u, nil)
		for i := 0; i < len(hdr); i += 2 {
			r.Header.Set(hdr[i], hdr[i+1])
		}
		return r
	}
	form := func(tenant string, v url.Values) *http.Request {
		r, _ := http.NewRequest(http.MethodPost, srv.AuthorityHost+tenant+"/oauth2/v2.0/token", strings.NewReader(v.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return r
	}
	good := url.Values{"grant_type": {"client_credentials"}, "client_id": {srv.ClientID}, "client_secret": {srv.ClientSecret},
		"scope": {srv.Resource + "/.default openid profile offline_access"}}
	with := func(k, v string) url.Values {
		out := url.Values{}
		for kk, vv := range good {
			out[kk] = vv
		}
		out.Set(k, v)
		return out
	}

	t.Run("challenge", func(t *testing.T) {
		status, hdr, body := do(t, c, get(srv.SecretURL("db", "")+"?api-version=2025-07-01"))
		want := `Bearer authorization="` + srv.AuthorityHost + srv.TenantID + `", resource="` + srv.Resource + `"`
		if status != 401 || hdr.Get("WWW-Authenticate") != want || body["error"].(map[string]any)["code"] != "Unauthorized" {
			t.Fatalf("got %d %q %v", status, hdr.Get("WWW-Authenticate"), body)
		}
	})
	t.Run("api-version required", func(t *testing.T) {
		if status, _, _ := do(t, c, get(srv.SecretURL("db", ""))); status != 400 {
			t.Fatalf("got %d", status)
		}
	})
	t.Run("token then secret", func(t *testing.T) {
		status, _, body := do(t, c, form(srv.TenantID, good))
		if status != 200 || body["token_type"] != "Bearer" {
			t.Fatalf("got %d %v", status, body)
		}
		tok := body["access_token"].(string)
		status, _, body = do(t, c, get(srv.SecretURL("db", "")+"?api-version=2025-07-01", "Authorization", "Bearer "+tok))
		if status != 200 || body["value"] != "v" || !strings.HasPrefix(body["id"].(string), srv.VaultURL+"/secrets/db/") {
			t.Fatalf("got %d %v", status, body)
		}
		status, _, _ = do(t, c, get(srv.SecretURL("db", "")+"?api-version=2025-07-01", "Authorization", "Bearer forged"))
		if status != 401 {
			t.Fatalf("a forged token got %d", status)
		}
	})
	tokenErrors := []struct {
		name   string
		tenant string
		form   url.Values
		status int
		code   string
	}{
		{"wrong tenant", "contoso.example", good, 400, "invalid_request"},
		{"wrong secret", srv.TenantID, with("client_secret", "nope"), 401, "invalid_client"},
		{"wrong client", srv.TenantID, with("client_id", "nope"), 400, "unauthorized_client"},
		{"wrong scope", srv.TenantID, with("scope", "https://graph.microsoft.com/.default"), 400, "invalid_resource"},
		{"wrong grant", srv.TenantID, with("grant_type", "password"), 400, "unsupported_grant_type"},
	}
	for _, tc := range tokenErrors {
		t.Run(tc.name, func(t *testing.T) {
			status, _, body := do(t, c, form(tc.tenant, tc.form))
			if status != tc.status || body["error"] != tc.code || !strings.HasPrefix(body["error_description"].(string), "AADSTS") {
				t.Fatalf("got %d %v", status, body)
			}
		})
	}
	t.Run("discovery", func(t *testing.T) {
		status, _, body := do(t, c, get(srv.AuthorityHost+srv.TenantID+"/v2.0/.well-known/openid-configuration"))
		if status != 200 || !strings.HasPrefix(body["issuer"].(string), strings.TrimSuffix(srv.AuthorityHost, "/")) {
			t.Fatalf("got %d %v", status, body)
		}
	})
	identity := func(q, header string) int {
		status, _, _ := do(t, http.DefaultClient, get(srv.IdentityEndpoint+"?"+q, "X-IDENTITY-HEADER", header))
		return status
	}
	res := url.QueryEscape(srv.Resource)
	for _, tc := range []struct {
		name, q, header string
		want            int
	}{
		{"system-assigned", "api-version=2019-08-01&resource=" + res, srv.IdentityHeader, 200},
		{"user-assigned", "api-version=2019-08-01&resource=" + res + "&client_id=" + srv.ManagedIdentityClientID, srv.IdentityHeader, 200},
		{"by resource ID", "api-version=2019-08-01&resource=" + res + "&mi_res_id=" + url.QueryEscape(srv.ManagedIdentityResourceID), srv.IdentityHeader, 200},
		{"unknown identity", "api-version=2019-08-01&resource=" + res + "&client_id=nope", srv.IdentityHeader, 400},
		{"wrong header", "api-version=2019-08-01&resource=" + res, "nope", 401},
		{"wrong resource", "api-version=2019-08-01&resource=https://management.azure.com", srv.IdentityHeader, 400},
		{"wrong api-version", "api-version=2017-09-01&resource=" + res, srv.IdentityHeader, 400},
	} {
		t.Run("identity "+tc.name, func(t *testing.T) {
			if got := identity(tc.q, tc.header); got != tc.want {
				t.Fatalf("got %d, want %d", got, tc.want)
			}
		})
	}
}

func TestStoreYAML(t *testing.T) {
	srv := azuretest.Start(t)
	y := srv.StoreYAML("kv", "service_principal")
	for _, want := range []string{"stores:\n  kv:\n    type: azure\n", `    vault_url: "` + srv.VaultURL + `"`, "    max_retries: 2\n",
		"    disable_challenge_resource_verification: true\n", `    client_secret_file: "` + srv.ClientSecretFile + `"`} {
		if !strings.Contains(y, want) {
			t.Errorf("StoreYAML lacks %q:\n%s", want, y)
		}
	}
	if strings.Contains(y, srv.ClientSecret) {
		t.Error("StoreYAML holds the client secret itself")
	}
}
