package azuretest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// identityHandler serves the App Service managed identity endpoint
// (API version 2019-08-01).
func (s *Server) identityHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.stats.IdentityRequests++
		s.mu.Unlock()
		q := r.URL.Query()
		switch {
		case r.Method != http.MethodGet:
			identityError(w, http.StatusMethodNotAllowed, "Only GET is supported.")
			return
		case r.Header.Get("X-IDENTITY-HEADER") != s.IdentityHeader:
			identityError(w, http.StatusUnauthorized, "The X-IDENTITY-HEADER header is missing or does not match IDENTITY_HEADER.")
			return
		case q.Get("api-version") != "2019-08-01":
			identityError(w, http.StatusBadRequest, fmt.Sprintf("Unsupported api-version %q.", q.Get("api-version")))
			return
		}
		resource := q.Get("resource")
		if resource != s.Resource {
			identityError(w, http.StatusBadRequest, fmt.Sprintf("AADSTS500011: The resource principal named %s was not found in the tenant.", resource))
			return
		}
		appID := s.systemClientID
		clientID, resID := q.Get("client_id"), q.Get("mi_res_id")
		switch {
		case q.Get("object_id") != "" || q.Get("principal_id") != "":
			identityError(w, http.StatusBadRequest, "Unable to load the proper Managed Identity.")
			return
		case clientID != "" && resID != "":
			identityError(w, http.StatusBadRequest, "Only one of client_id and mi_res_id may be given.")
			return
		case clientID != "":
			if clientID != s.ManagedIdentityClientID {
				identityError(w, http.StatusBadRequest, "Unable to load the proper Managed Identity.")
				return
			}
			appID = clientID
		case resID != "":
			if !strings.EqualFold(resID, s.ManagedIdentityResourceID) {
				identityError(w, http.StatusBadRequest, "Unable to load the proper Managed Identity.")
				return
			}
			appID = s.ManagedIdentityClientID
		}
		exp := time.Now().Add(24 * time.Hour)
		s.mu.Lock()
		tok := s.issue(grant{tenant: s.identityTenant, audience: resource, appID: appID, expires: exp})
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"access_token": tok,
			"expires_on":   strconv.FormatInt(exp.Unix(), 10),
			"resource":     resource,
			"token_type":   "Bearer",
			"client_id":    appID,
		})
	})
}

func identityError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"statusCode": status, "message": msg, "correlationId": uuid()})
}
