package awstest

import (
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/latchkey/latchkey/internal/k8stest"
)

// WebIdentityTrust is a role's trust policy for AssumeRoleWithWebIdentity
// (IRSA): the OIDC provider it trusts and the conditions on the token.
type WebIdentityTrust struct {
	// Issuer is the OIDC provider's issuer URL (the tokens' iss); its JWKS
	// is fetched from Issuer+"/openid/v1/jwks" on every exchange.
	Issuer string
	// Audience is the aud the token must carry (IRSA: sts.amazonaws.com).
	Audience string
	// Subjects lists the sub values allowed to assume the role
	// ("system:serviceaccount:NS:SA"); empty allows any subject the
	// issuer signs.
	Subjects []string
}

// serveWebIdentity answers AssumeRoleWithWebIdentity, which is unsigned:
// the token is the credential. It verifies the token's signature against
// the trusted issuer's JWKS, its issuer, audience, expiry and subject, as
// STS does with the role's trust policy, and issues session credentials.
func (s *Server) serveWebIdentity(w http.ResponseWriter, form url.Values, call Call) {
	fail := func(status int, code, msg string) {
		call.Status, call.ErrorCode = status, code
		s.record(call)
		writeXMLError(w, status, "Sender", code, msg)
	}
	call.RoleARN = form.Get("RoleArn")
	call.SessionName = form.Get("RoleSessionName")
	token := form.Get("WebIdentityToken")
	if !sessionNameRE.MatchString(call.SessionName) {
		fail(http.StatusBadRequest, "ValidationError", "roleSessionName failed to satisfy constraint")
		return
	}
	s.mu.Lock()
	role := s.roles[call.RoleARN]
	var trust *WebIdentityTrust
	if role != nil {
		trust = role.WebIdentity
	}
	s.mu.Unlock()
	if trust == nil {
		fail(http.StatusForbidden, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity")
		return
	}
	sub, err := k8stest.Verify(nil, trust.Issuer, trust.Issuer+"/openid/v1/jwks", trust.Audience, token)
	switch {
	case err != nil && strings.Contains(err.Error(), "expired"):
		fail(http.StatusBadRequest, "ExpiredTokenException", "Token expired: current date/time is after the token's exp")
		return
	case err != nil:
		fail(http.StatusBadRequest, "InvalidIdentityToken", "Couldn't verify the token: "+err.Error())
		return
	case len(trust.Subjects) > 0 && !slices.Contains(trust.Subjects, sub):
		fail(http.StatusForbidden, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity")
		return
	}
	s.mu.Lock()
	s.counter++
	n := s.counter
	issued := Credentials{AccessKeyID: fmt.Sprintf("ASIA%016X", n), SecretAccessKey: randomString(30),
		SessionToken: "FwoGZXIvYXdzE" + randomString(96)}
	lifetime := time.Hour
	if s.lifetime > 0 {
		lifetime = s.lifetime
	}
	expires := s.now().Add(lifetime).UTC().Truncate(time.Second)
	roleName := call.RoleARN[strings.LastIndex(call.RoleARN, "/")+1:]
	sessionARN := fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/%s", s.Account, roleName, call.SessionName)
	s.keys[issued.AccessKeyID] = &identity{secretKey: issued.SecretAccessKey, sessionToken: issued.SessionToken,
		expires: expires, principal: sessionARN, roleARN: call.RoleARN}
	s.mu.Unlock()
	call.Principal = sub
	call.Issued = issued.AccessKeyID
	call.Status = http.StatusOK
	s.record(call)
	type xmlCreds struct {
		AccessKeyId     string
		SecretAccessKey string
		SessionToken    string
		Expiration      string
	}
	resp := struct {
		XMLName xml.Name `xml:"AssumeRoleWithWebIdentityResponse"`
		Xmlns   string   `xml:"xmlns,attr"`
		Result  struct {
			SubjectFromWebIdentityToken string
			AssumedRoleUser             struct{ Arn, AssumedRoleId string }
			Credentials                 xmlCreds
			Audience                    string
		} `xml:"AssumeRoleWithWebIdentityResult"`
		ResponseMetadata struct{ RequestId string }
	}{Xmlns: stsNamespace}
	resp.Result.SubjectFromWebIdentityToken = sub
	resp.Result.AssumedRoleUser.Arn = sessionARN
	resp.Result.AssumedRoleUser.AssumedRoleId = fmt.Sprintf("AROA%016X:%s", n, call.SessionName)
	resp.Result.Credentials = xmlCreds{issued.AccessKeyID, issued.SecretAccessKey, issued.SessionToken, expires.Format(time.RFC3339)}
	resp.Result.Audience = trust.Audience
	w.Header().Set("Content-Type", "text/xml")
	_, _ = io.WriteString(w, xml.Header)
	_ = xml.NewEncoder(w).Encode(resp)
}
