package wasm

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

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
		func(o *lkruntime.Options) { o.HTTP.TLSConfig = &tls.Config{RootCAs: pool} }) // the same as ca_file, without the system's roots
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	for i := range 20 {
		v, err := st.Get(context.Background(), secret.Request{Name: "/secrets/db?api-version=7.4"})
		if err != nil || !strings.Contains(v.Value.RevealString(), "azure-Pl4nted-secret-value") {
			t.Fatalf("fetch %d: %v %s", i, err, v.Value.RevealString())
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

// TestGCPToken: requests of the credprobe guest to a loopback API that
// verifies Google service-account JWTs (RS256 signature with the key's
// public half, issuer, expiry, scope) carry a token the host minted with
// Google's auth library through the gcp store's credentials: the module's
// memory holds neither a token the API received nor the private key.
func TestGCPToken(t *testing.T) {
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	keyPEM := string(pemEncode("PRIVATE KEY", der))
	const email = "latchkey@demo-project.iam.gserviceaccount.com"
	sa, _ := json.Marshal(map[string]string{"type": "service_account", "project_id": "demo-project", "private_key_id": "0123456789abcdef",
		"private_key": keyPEM, "client_email": email, "client_id": "1234567890", "token_uri": "http://127.0.0.1:9/token"})
	saFile := filepath.Join(t.TempDir(), "sa.json")
	os.WriteFile(saFile, sa, 0o600)
	var mu sync.Mutex
	var received []string
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		mu.Lock()
		received = append(received, tok)
		mu.Unlock()
		parts := strings.Split(tok, ".")
		if len(parts) != 3 {
			w.WriteHeader(401)
			return
		}
		sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
		sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
		var claims struct {
			Iss, Scope string
			Exp        int64
		}
		cb, _ := base64.RawURLEncoding.DecodeString(parts[1])
		if rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, sum[:], sig) != nil || json.Unmarshal(cb, &claims) != nil ||
			claims.Iss != email || claims.Exp < time.Now().Unix() || !strings.Contains(claims.Scope, "cloud-platform") {
			w.WriteHeader(401)
			return
		}
		io.WriteString(w, `{"payload":"gcp-Pl4nted-value"}`)
	}))
	t.Cleanup(api.Close)
	host := strings.TrimPrefix(api.URL, "http://")
	settings := map[string]any{
		"module":         wasmtest.Build(t, "providers/wasm/testdata/guests/credprobe"),
		"allow_unpinned": true,
		"config":         map[string]any{"url": api.URL},
		"allowed_hosts":  []any{host},
		"allow_http":     []any{host},
		"allow_networks": []any{"127.0.0.1/32"},
		"limits":         map[string]any{"instances": 1},
		"credentials": map[string]any{
			"gcp": map[string]any{
				"gcp_token": map[string]any{"gcp": map[string]any{"project": "demo-project", "auth_method": "service_account_key", "credentials_file": saFile}},
				"hosts":     []any{"http://" + host},
			},
		},
	}
	st, err := fromSpec(context.Background(), secret.Spec{Name: "g", Type: "wasm", Settings: settings}, sharedCache)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	for i := range 5 {
		v, err := st.Get(context.Background(), secret.Request{Name: "/v1/secret"})
		if err != nil || !strings.Contains(v.Value.RevealString(), "gcp-Pl4nted-value") {
			t.Fatalf("fetch %d: %v %s", i, err, v.Value.RevealString())
		}
	}
	mu.Lock()
	defer mu.Unlock()
	st.Module().ScanIdleMemory(func(mem []byte) {
		for _, v := range append(received, keyPEM, string(der)) {
			if leak := wasmtest.FindLeak(mem, []byte(v)); leak != "" {
				t.Errorf("a token or the private key is in the module's memory (%s form)", leak)
			}
		}
	})
}

func pemEncode(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}
