// Package k8stest is a loopback stand-in for a Kubernetes service-account
// token issuer, for tests: it signs projected service-account tokens (RS256
// JWTs with the claims the API server's TokenRequest gives) and serves its
// OpenID configuration and JWKS over HTTP on loopback, as a cluster's
// issuer does, so that loopback identity servers (STS, Entra, GCP STS) can
// verify them as the real ones do.
package k8stest

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Issuer signs service-account tokens and serves its keys. Its methods are
// safe for concurrent use.
type Issuer struct {
	// URL is the issuer (the tokens' iss claim), http://127.0.0.1:PORT; its
	// JWKS is at URL+"/openid/v1/jwks".
	URL string
	key *rsa.PrivateKey
	kid string

	mu  sync.Mutex
	now func() time.Time
}

// Start starts an issuer on loopback, stopped when t ends.
func Start(t testing.TB) *Issuer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	is := &Issuer{key: key, kid: "k8stest-1", now: time.Now}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"issuer": is.URL, "jwks_uri": is.URL + "/openid/v1/jwks",
			"response_types_supported": []string{"id_token"}, "id_token_signing_alg_values_supported": []string{"RS256"}})
	})
	mux.HandleFunc("GET /openid/v1/jwks", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(is.JWKS())
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	is.URL = srv.URL
	return is
}

// JWKS returns the issuer's public keys as a JSON Web Key Set.
func (is *Issuer) JWKS() map[string]any {
	pub := is.key.PublicKey
	return map[string]any{"keys": []map[string]any{{
		"kty": "RSA", "alg": "RS256", "use": "sig", "kid": is.kid,
		"n": base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
	}}}
}

// Token is what Mint needs to sign a token.
type Token struct {
	Namespace, ServiceAccount string
	// Pod names the pod the token is bound to (optional).
	Pod      string
	Audience string
	// TTL is the token's lifetime (default 1h); a negative TTL mints a
	// token that has already expired.
	TTL time.Duration
}

// Mint signs a token as the API server's TokenRequest does: sub
// system:serviceaccount:NS:SA, the audience, iat/nbf/exp, and the
// kubernetes.io claims.
func (is *Issuer) Mint(tk Token) string {
	is.mu.Lock()
	now := is.now()
	is.mu.Unlock()
	ttl := tk.TTL
	if ttl == 0 {
		ttl = time.Hour
	}
	claims := jwt.MapClaims{
		"iss": is.URL,
		"sub": "system:serviceaccount:" + tk.Namespace + ":" + tk.ServiceAccount,
		"aud": []string{tk.Audience},
		"iat": now.Add(min(ttl, 0) - time.Minute).Unix(),
		"nbf": now.Add(min(ttl, 0) - time.Minute).Unix(),
		"exp": now.Add(ttl).Unix(),
		"kubernetes.io": map[string]any{
			"namespace":      tk.Namespace,
			"serviceaccount": map[string]any{"name": tk.ServiceAccount, "uid": "sa-" + tk.ServiceAccount},
			"pod":            map[string]any{"name": tk.Pod, "uid": "pod-" + tk.Pod},
		},
	}
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	t.Header["kid"] = is.kid
	s, err := t.SignedString(is.key)
	if err != nil {
		panic(err) // an RSA key always signs
	}
	return s
}

// Verifier checks tokens as an identity provider that trusts an issuer
// does: the signature against the issuer's JWKS (fetched over HTTP from
// jwksURL on every call, as a provider refreshing its keys would), the
// issuer, the audience and the expiry. It returns the subject.
func Verify(client *http.Client, issuer, jwksURL, audience, token string) (string, error) {
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Get(jwksURL)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var set struct {
		Keys []struct {
			Kid, N, E string
		} `json:"keys"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		return "", err
	}
	keys := map[string]*rsa.PublicKey{}
	for _, k := range set.Keys {
		n, err1 := base64.RawURLEncoding.DecodeString(k.N)
		e, err2 := base64.RawURLEncoding.DecodeString(k.E)
		if err1 != nil || err2 != nil {
			continue
		}
		keys[k.Kid] = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	}
	tok, err := jwt.Parse(token, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		if k, ok := keys[kid]; ok {
			return k, nil
		}
		return nil, jwt.ErrTokenUnverifiable
	}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer(issuer), jwt.WithAudience(audience), jwt.WithExpirationRequired())
	if err != nil {
		return "", err
	}
	return tok.Claims.GetSubject()
}
