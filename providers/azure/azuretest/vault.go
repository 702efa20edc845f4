package azuretest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// vaultHandler serves the secrets API of Key Vault.
func (s *Server) vaultHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.stats.VaultRequests++
		s.mu.Unlock()

		parts := strings.Split(strings.TrimSuffix(r.URL.Path, "/"), "/")
		if len(parts) < 3 || len(parts) > 4 || parts[0] != "" || parts[1] != "secrets" {
			vaultError(w, http.StatusNotFound, "NotFound", "The requested resource was not found.", "")
			return
		}
		name, version := parts[2], ""
		if len(parts) == 4 {
			version = parts[3]
		}
		if r.Method != http.MethodGet {
			vaultError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "The requested method is not allowed.", "")
			return
		}
		if r.URL.Query().Get("api-version") == "" {
			vaultError(w, http.StatusBadRequest, "BadParameter", "The 'api-version' query parameter is required.", "")
			return
		}
		g, ok := s.authenticate(w, r)
		if !ok {
			return
		}
		if !validName(name) {
			vaultError(w, http.StatusBadRequest, "BadParameter", fmt.Sprintf("The request URI contains an invalid name: %s", name), "")
			return
		}

		s.mu.Lock()
		s.stats.SecretGets++
		forbidden, blocked := s.forbidden[name], s.blocked[name]
		fail := s.failNext > 0
		if fail {
			s.failNext--
		}
		throttle, retryAfter := s.throttleNext > 0, s.retryAfter
		if throttle {
			s.throttleNext--
		}
		s.mu.Unlock()
		if throttle {
			// Key Vault's answer past its service limits.
			if retryAfter != "" {
				w.Header().Set("Retry-After", retryAfter)
			}
			vaultError(w, http.StatusTooManyRequests, "Throttled", "Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached", "")
			return
		}
		switch {
		case forbidden:
			vaultError(w, http.StatusForbidden, "Forbidden", fmt.Sprintf(
				"Caller is not authorized to perform action on resource. If role assignments, deny assignments or role definitions were changed recently, please observe propagation time. "+
					"Caller: appid=%s;oid=%s;iss=https://sts.windows.net/%s/ Action: 'Microsoft.KeyVault/vaults/secrets/getSecret/action' "+
					"Resource: '/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/latchkey-test/providers/microsoft.keyvault/vaults/%s/secrets/%s' "+
					"Assignment: (not found) DenyAssignmentId: null DecisionReason: null Vault: %s;location=westeurope",
				g.appID, ObjectIDOf(g.appID), g.tenant, s.VaultName, strings.ToLower(name), s.VaultName), "ForbiddenByRbac")
			return
		case fail:
			vaultError(w, http.StatusServiceUnavailable, "ServiceUnavailable", "The service is temporarily unavailable. Please retry later.", "")
			return
		case blocked:
			<-r.Context().Done()
			return
		}

		s.mu.Lock()
		sec := s.secrets[name]
		var v *storedVersion
		if sec != nil {
			if version == "" {
				version = sec.current
			}
			v = sec.versions[version]
		}
		s.mu.Unlock()
		switch {
		case v == nil:
			id := name
			if len(parts) == 4 {
				id += "/" + parts[3]
			}
			vaultError(w, http.StatusNotFound, "SecretNotFound", fmt.Sprintf(
				"A secret with (name/id) %s was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. "+
					"For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182", id), "")
			return
		case !v.enabled:
			vaultError(w, http.StatusForbidden, "Forbidden", "Operation get is not allowed on a disabled secret.", "SecretDisabled")
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"value": v.value,
			"id":    "https://" + r.Host + "/secrets/" + name + "/" + version,
			"attributes": map[string]any{
				"enabled": true, "created": v.created, "updated": v.created,
				"recoveryLevel": "Recoverable+Purgeable", "recoverableDays": 90,
			},
			"tags": map[string]string{},
		})
	})
}

// authenticate applies Key Vault's challenge flow: no token gets a
// challenge; a token is accepted only if this Server issued it, for the
// vault's tenant and resource, and it has not expired.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (grant, bool) {
	challenge := func(msg string) {
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer authorization="%s%s", resource="%s"`, s.AuthorityHost, s.TenantID, s.Resource))
		vaultError(w, http.StatusUnauthorized, "Unauthorized", msg, "")
	}
	auth := r.Header.Get("Authorization")
	if auth == "" {
		s.mu.Lock()
		s.stats.Unauthenticated++
		s.mu.Unlock()
		challenge("AKV10000: Request is missing a Bearer or PoP token.")
		return grant{}, false
	}
	tok, ok := strings.CutPrefix(auth, "Bearer ")
	s.mu.Lock()
	g, known := s.tokens[tok]
	if !ok || !known || g.tenant != s.TenantID || g.audience != s.Resource || time.Now().After(g.expires) {
		s.stats.Rejected++
	}
	s.mu.Unlock()
	switch {
	case !ok || !known:
		challenge("AKV10020: Invalid token: the token was not issued by a trusted issuer or has been revoked.")
	case g.tenant != s.TenantID:
		challenge(fmt.Sprintf("AKV10032: Invalid issuer. Expected one of https://sts.windows.net/%s/, found https://sts.windows.net/%s/.", s.TenantID, g.tenant))
	case g.audience != s.Resource:
		challenge(fmt.Sprintf("AKV10022: Invalid audience. Expected %s, found: %s.", s.Resource, g.audience))
	case time.Now().After(g.expires):
		challenge("AKV10021: Token has expired.")
	default:
		return g, true
	}
	return grant{}, false
}

func validName(s string) bool {
	if s == "" || len(s) > 127 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// vaultError writes Key Vault's error body.
func vaultError(w http.ResponseWriter, status int, code, msg, inner string) {
	e := map[string]any{"code": code, "message": msg}
	if inner != "" {
		e["innererror"] = map[string]any{"code": inner}
	}
	writeJSON(w, status, map[string]any{"error": e})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
