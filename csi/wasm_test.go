package csi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"sigs.k8s.io/secrets-store-csi-driver/provider/v1alpha1"

	"github.com/latchkey/latchkey/internal/k8stest"
	"github.com/latchkey/latchkey/internal/wasmtest"
	_ "github.com/latchkey/latchkey/providers/wasm"
	"github.com/latchkey/latchkey/providers/wasm/wasmstoretest"
)

// TestWasmPodToken mounts through the example http-json module from a
// loopback store that, like Vault's kubernetes auth, accepts the pod's
// service-account token (audience vault) and reads it against the
// issuer's JWKS: the host substitutes the token, the module never holds
// it, and each pod fetches with its own token.
func TestWasmPodToken(t *testing.T) {
	is := k8stest.Start(t)
	var fetches atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		sub, err := k8stest.Verify(nil, is.URL, is.URL+"/openid/v1/jwks", "vault", tok)
		if err != nil {
			http.Error(w, "permission denied", http.StatusForbidden)
			return
		}
		if !slices.Contains([]string{"system:serviceaccount:etl:loader"}, sub) {
			http.Error(w, "permission denied", http.StatusForbidden)
			return
		}
		w.Write([]byte("pa55"))
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	module := wasmstoretest.BuildHTTPJSON(t)
	b, err := os.ReadFile(module)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	agent := fmt.Sprintf(`stores:
  w:
    type: wasm
    module: %q
    sha256: %s
    cache_dir: %q
    allow_http: [%q]
    allow_networks: [127.0.0.1/32]
    config: {store_url: %q, header: {Authorization: "Bearer {{latchkey.credential:k8s}}"}}
callers:
  etl: {service_accounts: ["etl/*"], stores: {w: {}}}
csi:
  stores:
    w: {credential: k8s, hosts: ["http://%s"], audience: vault}
`, module, hex.EncodeToString(sum[:]), wasmtest.CacheDir(t), host, srv.URL+"/secrets", host)
	p := newProvider(t, agent, "")
	mount := func(sa string) (*v1alpha1.MountResponse, string, error) {
		tok := is.Mint(k8stest.Token{Namespace: "etl", ServiceAccount: sa, Audience: "vault"})
		req := &v1alpha1.MountRequest{Permission: "420", Attributes: attrs(map[string]string{attrPodNS: "etl", attrSAName: sa,
			"objects":    `[{ref: "secret://w/db", path: db}]`,
			attrSATokens: fmt.Sprintf(`{"vault":{"token":%q}}`, tok)})}
		code, err := p.MountError(context.Background(), req)
		if code != "" {
			return nil, code, err
		}
		resp, err := p.Mount(context.Background(), req)
		return resp, "", err
	}
	resp, code, err := mount("loader")
	if code != "" || err != nil || string(resp.Files[0].Contents) != "pa55" || !strings.HasPrefix(resp.ObjectVersion[0].Version, "hmac-sha256:") {
		t.Fatalf("mount: %s %v %v", code, err, resp)
	}
	// Another service account of the namespace: the callers rule lets it
	// through; the backend refuses its token, and no cache answers it.
	before := fetches.Load()
	if _, code, err := mount("other"); code != CodePermissionDenied && code != CodeNotAllowed {
		t.Fatalf("other service account: %s %v", code, err)
	}
	if fetches.Load() == before {
		t.Error("the other service account was answered without asking the backend")
	}
	// A second pod of the loader: its own token, its own fetch.
	if _, code, err := mount("loader"); code != "" {
		t.Fatalf("second loader pod: %s %v", code, err)
	}
}
