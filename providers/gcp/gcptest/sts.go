package gcptest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/k8stest"
)

// Federation is a workload identity pool provider that trusts an OIDC
// issuer (a Kubernetes cluster's service-account issuer).
type Federation struct {
	// Issuer is the trusted issuer; its JWKS is fetched from
	// Issuer+"/openid/v1/jwks" on every exchange.
	Issuer string
	// Audience is the pool provider's resource name
	// (//iam.googleapis.com/projects/N/locations/global/workloadIdentityPools/P/providers/PR),
	// which the exchange names.
	Audience string
	// TokenAudience is the aud the subject token must carry (the
	// provider's allowed audiences).
	TokenAudience string
}

// STS is a loopback Security Token Service (sts.googleapis.com's
// /v1/token, RFC 8693 token exchange) for one federation. The access
// tokens it issues are accepted by its [Server] as the federated
// principal principal://iam.googleapis.com/…/subject/SUB, which a
// secret's Readers may name.
type STS struct {
	// URL is the token endpoint, http://127.0.0.1:PORT/v1/token.
	URL string
}

// StartSTS starts an STS for f whose tokens s accepts; from then on every
// call to s must carry a valid token.
func (s *Server) StartSTS(t testing.TB, f Federation) *STS {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fail := func(code, desc string) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
		}
		if r.Method != http.MethodPost || r.URL.Path != "/v1/token" || r.ParseForm() != nil {
			fail("invalid_request", "POST /v1/token with a form")
			return
		}
		f0 := r.PostForm
		switch {
		case f0.Get("grant_type") != "urn:ietf:params:oauth:grant-type:token-exchange":
			fail("unsupported_grant_type", "grant_type must be token-exchange")
			return
		case f0.Get("audience") != f.Audience:
			fail("invalid_target", "The target service indicated by the \"audience\" parameters is invalid.")
			return
		case f0.Get("subject_token_type") != "urn:ietf:params:oauth:token-type:jwt" && f0.Get("subject_token_type") != "urn:ietf:params:oauth:token-type:id_token":
			fail("invalid_request", "subject_token_type")
			return
		}
		sub, err := k8stest.Verify(nil, f.Issuer, f.Issuer+"/openid/v1/jwks", f.TokenAudience, f0.Get("subject_token"))
		if err != nil {
			fail("invalid_grant", "The provided subject token is invalid: "+err.Error())
			return
		}
		pool, _, _ := strings.Cut(strings.TrimPrefix(f.Audience, "//iam.googleapis.com/"), "/providers/")
		b := make([]byte, 24)
		_, _ = rand.Read(b)
		tok := "ya29.fed-" + hex.EncodeToString(b)
		s.mu.Lock()
		s.federated[tok] = "principal://iam.googleapis.com/" + pool + "/subject/" + sub
		s.counts["sts.token"]++
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": tok, "issued_token_type": "urn:ietf:params:oauth:token-type:access_token",
			"token_type": "Bearer", "expires_in": 3600})
	}))
	t.Cleanup(srv.Close)
	s.mu.Lock()
	s.requireAuth = true
	s.mu.Unlock()
	return &STS{URL: srv.URL + "/v1/token"}
}

// FederatedPrincipal is the principal a token of sub exchanged through f
// acts as, for a secret's Readers.
func FederatedPrincipal(f Federation, sub string) string {
	pool, _, _ := strings.Cut(strings.TrimPrefix(f.Audience, "//iam.googleapis.com/"), "/providers/")
	return "principal://iam.googleapis.com/" + pool + "/subject/" + sub
}
