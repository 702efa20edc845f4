package azuretest

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"

	"github.com/latchkey/latchkey/internal/k8stest"
)

// FederatedCredential is a federated identity credential of the registered
// application (workload identity): Entra accepts as client assertion a
// token of Issuer for Subject and Audience, verified against the issuer's
// JWKS (fetched from Issuer+"/openid/v1/jwks" on every request).
type FederatedCredential struct {
	Issuer   string
	Subject  string // system:serviceaccount:NS:SA
	Audience string // api://AzureADTokenExchange
}

// AddFederatedCredential registers fc for the application.
func (s *Server) AddFederatedCredential(fc FederatedCredential) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.federated = append(s.federated, fc)
}

// checkFederated verifies a client assertion issued by a federated issuer.
// handled is false when no federated credential names the assertion's
// issuer (it is then a certificate assertion).
func (s *Server) checkFederated(assertion string) (handled bool, err error) {
	parts := strings.Split(assertion, ".")
	if len(parts) != 3 {
		return false, nil
	}
	var claims struct {
		Iss string `json:"iss"`
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil || json.Unmarshal(b, &claims) != nil {
		return false, nil
	}
	s.mu.Lock()
	var fcs []FederatedCredential
	for _, fc := range s.federated {
		if fc.Issuer == claims.Iss {
			fcs = append(fcs, fc)
		}
	}
	s.mu.Unlock()
	if len(fcs) == 0 {
		return false, nil
	}
	var subjects []string
	for _, fc := range fcs {
		sub, err := k8stest.Verify(nil, fc.Issuer, fc.Issuer+"/openid/v1/jwks", fc.Audience, assertion)
		if err != nil {
			return true, err
		}
		if sub == fc.Subject {
			return true, nil
		}
		subjects = append(subjects, sub)
	}
	slices.Sort(subjects)
	return true, errors.New("no matching federated identity record found for presented assertion subject " + strings.Join(subjects, ", "))
}
