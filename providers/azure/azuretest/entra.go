package azuretest

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// entraHandler serves the part of Microsoft Entra ID that a confidential
// client uses: tenant discovery and the client-credentials grant.
func (s *Server) entraHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tenant, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		base := strings.TrimSuffix(s.AuthorityHost, "/") + "/" + tenant
		switch {
		case r.Method == http.MethodGet && rest == "v2.0/.well-known/openid-configuration":
			s.mu.Lock()
			s.stats.DiscoveryRequests++
			s.mu.Unlock()
			if tenant != s.TenantID {
				entraError(w, http.StatusBadRequest, "invalid_tenant", 90002, fmt.Sprintf("Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.", tenant))
				return
			}
			writeJSON(w, http.StatusOK, map[string]any{
				"token_endpoint":                        base + "/oauth2/v2.0/token",
				"authorization_endpoint":                base + "/oauth2/v2.0/authorize",
				"issuer":                                base + "/v2.0",
				"jwks_uri":                              base + "/discovery/v2.0/keys",
				"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
				"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
				"tenant_region_scope":                   "EU",
			})
		case r.Method == http.MethodPost && rest == "oauth2/v2.0/token":
			s.token(w, r, tenant, base+"/oauth2/v2.0/token")
		default:
			entraError(w, http.StatusNotFound, "invalid_request", 900561, "The endpoint only accepts POST requests.")
		}
	})
}

// token runs the client-credentials grant.
func (s *Server) token(w http.ResponseWriter, r *http.Request, tenant, endpoint string) {
	s.mu.Lock()
	s.stats.TokenRequests++
	s.mu.Unlock()
	if err := r.ParseForm(); err != nil {
		entraError(w, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.")
		return
	}
	f := r.PostForm
	switch {
	case tenant != s.TenantID:
		entraError(w, http.StatusBadRequest, "invalid_request", 90002, fmt.Sprintf("Tenant '%s' not found.", tenant))
		return
	case f.Get("grant_type") != "client_credentials":
		entraError(w, http.StatusBadRequest, "unsupported_grant_type", 70003, "The app requested an unsupported grant type.")
		return
	case f.Get("client_id") != s.ClientID:
		entraError(w, http.StatusBadRequest, "unauthorized_client", 700016, fmt.Sprintf(
			"Application with identifier '%s' was not found in the directory '%s'.", f.Get("client_id"), tenant))
		return
	}
	switch {
	case f.Get("client_secret") != "":
		if f.Get("client_secret") != s.ClientSecret {
			entraError(w, http.StatusUnauthorized, "invalid_client", 7000215, fmt.Sprintf(
				"Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '%s'.", s.ClientID))
			return
		}
	case f.Get("client_assertion") != "":
		if f.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
			entraError(w, http.StatusBadRequest, "invalid_request", 50027, "Invalid client_assertion_type.")
			return
		}
		if fed, err := s.checkFederated(f.Get("client_assertion")); fed {
			if err != nil {
				entraError(w, http.StatusBadRequest, "invalid_client", 70021, "AADSTS70021: "+err.Error())
				return
			}
		} else if err := s.checkAssertion(f.Get("client_assertion"), endpoint); err != nil {
			entraError(w, http.StatusUnauthorized, "invalid_client", 700027, "Client assertion failed signature validation: "+err.Error())
			return
		}
	default:
		entraError(w, http.StatusUnauthorized, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
		return
	}
	// MSAL adds the OIDC scopes openid, profile and offline_access, which
	// Entra ignores for this grant; exactly one resource/.default remains.
	var resource string
	for _, sc := range strings.Fields(f.Get("scope")) {
		switch sc {
		case "openid", "profile", "offline_access":
		default:
			if resource != "" {
				resource = "(several resources)"
			} else {
				resource, _ = strings.CutSuffix(sc, "/.default")
			}
		}
	}
	if resource != s.Resource {
		entraError(w, http.StatusBadRequest, "invalid_resource", 500011, fmt.Sprintf(
			"The resource principal named %s was not found in the tenant named %s.", resource, tenant))
		return
	}
	s.mu.Lock()
	tok := s.issue(grant{tenant: tenant, audience: resource, appID: s.ClientID, expires: time.Now().Add(time.Hour)})
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": tok})
}

// ClientCertificateFile makes (once) a certificate for the service
// principal, registers it, and returns the PEM file holding it and its
// unencrypted key, for the store's client_certificate_file setting.
func (s *Server) ClientCertificateFile() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.certFile != "" {
		return s.certFile, nil
	}
	pemFile, der, err := newClientCertificate(s.ClientID)
	if err != nil {
		return "", err
	}
	name := filepath.Join(s.dir, "client-cert.pem")
	if err := os.WriteFile(name, pemFile, 0o600); err != nil {
		return "", err
	}
	s.certFile, s.certDER = name, der
	return name, nil
}

// checkAssertion verifies a client assertion: a JWT signed (PS256 or RS256)
// with the registered certificate's key, naming it by thumbprint, issued by
// and for the client, addressed to the token endpoint, and current.
func (s *Server) checkAssertion(jwt, endpoint string) error {
	s.mu.Lock()
	der := s.certDER
	s.mu.Unlock()
	if der == nil {
		return errors.New("no certificate is registered for the application")
	}
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return errors.New("not a JWS")
	}
	var hdr struct {
		Alg     string `json:"alg"`
		X5t     string `json:"x5t"`
		X5tS256 string `json:"x5t#S256"`
	}
	var claims struct {
		Aud string  `json:"aud"`
		Iss string  `json:"iss"`
		Sub string  `json:"sub"`
		Exp float64 `json:"exp"`
		Nbf float64 `json:"nbf"`
	}
	if err := decodeSegment(parts[0], &hdr); err != nil {
		return err
	}
	if err := decodeSegment(parts[1], &claims); err != nil {
		return err
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return err
	}
	pub := cert.PublicKey.(*rsa.PublicKey)
	s256, s1 := sha256.Sum256(der), sha1.Sum(der)
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	switch hdr.Alg {
	case "PS256":
		// MSAL writes thumbprints in standard base64; RFC 7515 says base64url.
		if hdr.X5tS256 != base64.RawURLEncoding.EncodeToString(s256[:]) && hdr.X5tS256 != base64.StdEncoding.EncodeToString(s256[:]) {
			return errors.New("the x5t#S256 thumbprint names no registered certificate")
		}
		err = rsa.VerifyPSS(pub, crypto.SHA256, digest[:], sig, nil)
	case "RS256":
		if hdr.X5t != base64.RawURLEncoding.EncodeToString(s1[:]) && hdr.X5t != base64.StdEncoding.EncodeToString(s1[:]) {
			return errors.New("the x5t thumbprint names no registered certificate")
		}
		err = rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig)
	default:
		return fmt.Errorf("unsupported alg %q", hdr.Alg)
	}
	if err != nil {
		return errors.New("bad signature")
	}
	now := float64(time.Now().Unix())
	switch {
	case claims.Aud != endpoint:
		return fmt.Errorf("aud %q is not the token endpoint", claims.Aud)
	case claims.Iss != s.ClientID || claims.Sub != s.ClientID:
		return errors.New("iss and sub must be the client ID")
	case claims.Exp < now || claims.Nbf > now+300:
		return errors.New("the assertion is not current")
	}
	return nil
}

func decodeSegment(seg string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// entraError writes Entra ID's OAuth error body.
func entraError(w http.ResponseWriter, status int, code string, aadsts int, desc string) {
	now := time.Now().UTC().Format("2006-01-02 15:04:05Z")
	writeJSON(w, status, map[string]any{
		"error":             code,
		"error_description": fmt.Sprintf("AADSTS%d: %s Trace ID: %s Correlation ID: %s Timestamp: %s", aadsts, desc, uuid(), uuid(), now),
		"error_codes":       []int{aadsts},
		"timestamp":         now,
		"trace_id":          uuid(),
		"correlation_id":    uuid(),
	})
}
