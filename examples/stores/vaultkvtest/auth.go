package vaultkvtest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"
)

// AppRole is the role an [Options.AppRole] server accepts.
type AppRole struct {
	RoleID, SecretID string
}

// KubernetesRole is the role an [Options.Kubernetes] server accepts: a
// login must name Role and present exactly JWT, the service-account token
// (the real Vault sends it to the TokenReview API; this server compares).
type KubernetesRole struct {
	Role, JWT string
}

// Login is what logins answer, as Vault documents for auth methods:
// auth.client_token, auth.lease_duration (seconds), auth.renewable.
func (s *Server) login(w http.ResponseWriter, r *http.Request, path, ns string) {
	if r.Method != http.MethodPost && r.Method != http.MethodPut {
		writeJSON(w, http.StatusMethodNotAllowed, errorsBody("unsupported operation"))
		return
	}
	if ns != s.opts.Namespace {
		writeJSON(w, http.StatusForbidden, errorsBody("permission denied"))
		return
	}
	var body map[string]any
	b, _ := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err := json.Unmarshal(b, &body); err != nil {
		writeJSON(w, http.StatusBadRequest, errorsBody("failed to parse JSON input: "+err.Error()))
		return
	}
	str := func(k string) string { v, _ := body[k].(string); return v }
	policies := []string{"default"}
	switch {
	case strings.HasPrefix(path, "auth/approle/login") && s.opts.AppRole != nil:
		if str("role_id") == "" {
			writeJSON(w, http.StatusBadRequest, errorsBody("missing role_id"))
			return
		}
		if str("role_id") != s.opts.AppRole.RoleID || str("secret_id") != s.opts.AppRole.SecretID {
			writeJSON(w, http.StatusBadRequest, errorsBody("invalid role or secret ID"))
			return
		}
		policies = append(policies, "approle-read-kv")
	case strings.HasPrefix(path, "auth/kubernetes/login") && s.opts.Kubernetes != nil:
		if str("role") == "" {
			writeJSON(w, http.StatusBadRequest, errorsBody("missing role"))
			return
		}
		if str("jwt") == "" {
			writeJSON(w, http.StatusBadRequest, errorsBody("missing jwt"))
			return
		}
		if str("role") != s.opts.Kubernetes.Role || str("jwt") != s.opts.Kubernetes.JWT {
			writeJSON(w, http.StatusForbidden, errorsBody("permission denied"))
			return
		}
		policies = append(policies, "k8s-read-kv")
	default:
		writeJSON(w, http.StatusNotFound, errorsBody("no handler for route \""+path+"\". route entry not found."))
		return
	}
	ttl := s.opts.TokenTTL
	if ttl <= 0 {
		ttl = time.Hour
	}
	raw := make([]byte, 18)
	rand.Read(raw)
	tok := "hvs.login-" + base64.RawURLEncoding.EncodeToString(raw)
	s.mu.Lock()
	if s.issued == nil {
		s.issued = map[string]time.Time{}
	}
	s.issued[tok] = time.Now().Add(ttl)
	s.allIssued = append(s.allIssued, tok)
	s.received = append(s.received, "") // logins carry no token
	s.mu.Unlock()
	s.Logins.Add(1)
	writeJSON(w, http.StatusOK, map[string]any{
		"request_id": "0b1e8f0e-5d4c-4b1e-9f1e-00000000000a", "lease_id": "", "renewable": false, "lease_duration": 0,
		"data": nil, "wrap_info": nil, "warnings": nil,
		"auth": map[string]any{
			"client_token": tok, "accessor": "accessor-" + tok[len(tok)-6:], "policies": policies, "token_policies": policies,
			"metadata": map[string]any{"role_name": "latchkey"}, "lease_duration": int(ttl / time.Second), "renewable": true,
			"entity_id": "7d2e3179-f69b-450c-7179-ac8ee8bd8ca9", "token_type": "service", "orphan": true,
		},
	})
}

// issuedValid reports whether tok is a token a login issued that has not
// expired nor been revoked.
func (s *Server) issuedValid(tok string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.issued[tok]
	return ok && time.Now().Before(exp)
}

// RevokeLogins revokes every token logins issued, as `vault token revoke`
// would, and returns them so that tests can look for them in outputs.
func (s *Server) RevokeLogins() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for t := range s.issued {
		out = append(out, t)
	}
	s.issued = nil
	return out
}

// IssuedTokens returns every token logins issued so far, revoked or not.
func (s *Server) IssuedTokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.allIssued...)
}
