package awstest

import (
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

const stsNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"

var sessionNameRE = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)

// serveSTS answers the query protocol: POST / with a form body
// Action=AssumeRole&Version=2011-06-15&… (or Action=GetCallerIdentity),
// and an XML response.
func (s *Server) serveSTS(w http.ResponseWriter, r *http.Request) {
	call := Call{Service: "sts"}
	fail := func(status int, typ, code, msg string) {
		call.Status, call.ErrorCode = status, code
		s.record(call)
		writeXMLError(w, status, typ, code, msg)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		fail(http.StatusBadRequest, "Sender", "MalformedInput", "could not read the request body")
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil || r.Method != http.MethodPost || r.URL.Path != "/" {
		fail(http.StatusBadRequest, "Sender", "MalformedInput", "")
		return
	}
	call.Action = form.Get("Action")
	if call.Action == "AssumeRoleWithWebIdentity" && form.Get("Version") == "2011-06-15" {
		s.serveWebIdentity(w, form, call) // unsigned: the token is the credential
		return
	}
	if call.Action != "AssumeRole" && call.Action != "GetCallerIdentity" || form.Get("Version") != "2011-06-15" {
		fail(http.StatusBadRequest, "Sender", "InvalidAction",
			fmt.Sprintf("Could not find operation %s for version %s", call.Action, form.Get("Version")))
		return
	}
	id, akid, aerr := s.authenticate(r, body, "sts")
	call.AccessKeyID = akid
	if aerr != nil {
		code := map[authKind]string{
			authMissing:      "MissingAuthenticationToken",
			authIncomplete:   "IncompleteSignature",
			authBadSignature: "SignatureDoesNotMatch",
			authUnknownKey:   "InvalidClientTokenId",
			authExpiredToken: "ExpiredToken",
		}[aerr.kind]
		fail(http.StatusForbidden, "Sender", code, aerr.msg)
		return
	}
	call.Principal = id.principal
	if call.Action == "GetCallerIdentity" {
		call.Status = http.StatusOK
		s.record(call)
		s.writeCallerIdentity(w, id, akid)
		return
	}
	call.RoleARN = form.Get("RoleArn")
	call.ExternalID = form.Get("ExternalId")
	call.SessionName = form.Get("RoleSessionName")
	duration := time.Hour
	if d := form.Get("DurationSeconds"); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil {
			fail(http.StatusBadRequest, "Sender", "ValidationError", "DurationSeconds must be an integer")
			return
		}
		duration = time.Duration(n) * time.Second
		call.DurationSeconds = n
	}
	if !sessionNameRE.MatchString(call.SessionName) {
		fail(http.StatusBadRequest, "Sender", "ValidationError", fmt.Sprintf(
			"1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*", call.SessionName))
		return
	}

	s.mu.Lock()
	role := s.roles[call.RoleARN]
	allowed := role != nil && role.ExternalID == call.ExternalID &&
		(len(role.TrustedUsers) == 0 || slices.Contains(role.TrustedUsers, id.user)) && id.user != ""
	s.mu.Unlock()
	if !allowed {
		fail(http.StatusForbidden, "Sender", "AccessDenied", fmt.Sprintf(
			"User: %s is not authorized to perform: sts:AssumeRole on resource: %s", id.principal, call.RoleARN))
		return
	}
	if duration < 15*time.Minute || duration > role.MaxSessionDuration {
		fail(http.StatusBadRequest, "Sender", "ValidationError",
			"The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
		return
	}

	s.mu.Lock()
	s.counter++
	n := s.counter
	issued := Credentials{
		AccessKeyID:     fmt.Sprintf("ASIA%016X", n),
		SecretAccessKey: randomString(30),
		SessionToken:    "FwoGZXIvYXdzE" + randomString(96),
	}
	lifetime := duration
	if s.lifetime > 0 {
		lifetime = s.lifetime
	}
	expires := s.now().Add(lifetime).UTC().Truncate(time.Second)
	roleName := call.RoleARN[strings.LastIndex(call.RoleARN, "/")+1:]
	sessionARN := fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/%s", s.Account, roleName, call.SessionName)
	s.keys[issued.AccessKeyID] = &identity{
		secretKey: issued.SecretAccessKey, sessionToken: issued.SessionToken, expires: expires,
		principal: sessionARN, roleARN: call.RoleARN,
	}
	s.mu.Unlock()
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
		XMLName          xml.Name `xml:"AssumeRoleResponse"`
		Xmlns            string   `xml:"xmlns,attr"`
		AssumeRoleResult struct {
			AssumedRoleUser struct {
				Arn           string
				AssumedRoleId string
			}
			Credentials      xmlCreds
			PackedPolicySize int
		}
		ResponseMetadata struct{ RequestId string }
	}{Xmlns: stsNamespace}
	resp.AssumeRoleResult.AssumedRoleUser.Arn = sessionARN
	resp.AssumeRoleResult.AssumedRoleUser.AssumedRoleId = fmt.Sprintf("AROA%016X", n) + ":" + call.SessionName
	resp.AssumeRoleResult.Credentials = xmlCreds{issued.AccessKeyID, issued.SecretAccessKey, issued.SessionToken, expires.Format(time.RFC3339)}
	resp.ResponseMetadata.RequestId = w.Header().Get("X-Amzn-Requestid")
	w.Header().Set("Content-Type", "text/xml")
	_, _ = io.WriteString(w, xml.Header)
	_ = xml.NewEncoder(w).Encode(resp)
}

func writeXMLError(w http.ResponseWriter, status int, typ, code, msg string) {
	resp := struct {
		XMLName xml.Name `xml:"ErrorResponse"`
		Xmlns   string   `xml:"xmlns,attr"`
		Error   struct {
			Type    string
			Code    string
			Message string
		}
		RequestId string
	}{Xmlns: stsNamespace, RequestId: w.Header().Get("X-Amzn-Requestid")}
	resp.Error.Type, resp.Error.Code, resp.Error.Message = typ, code, msg
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	_ = xml.NewEncoder(w).Encode(resp)
}

// writeCallerIdentity answers GetCallerIdentity for id: its ARN, account
// and user ID (the access key for a user, role ID:session for a session).
func (s *Server) writeCallerIdentity(w http.ResponseWriter, id *identity, akid string) {
	userID := akid
	if id.roleARN != "" {
		userID = "AROA" + strings.ToUpper(hexOf(id.roleARN)) + ":" + id.principal[strings.LastIndex(id.principal, "/")+1:]
	}
	resp := struct {
		XMLName                 xml.Name `xml:"GetCallerIdentityResponse"`
		Xmlns                   string   `xml:"xmlns,attr"`
		GetCallerIdentityResult struct {
			Arn     string
			UserId  string
			Account string
		}
		ResponseMetadata struct{ RequestId string }
	}{Xmlns: stsNamespace}
	resp.GetCallerIdentityResult.Arn = id.principal
	resp.GetCallerIdentityResult.UserId = userID
	resp.GetCallerIdentityResult.Account = s.Account
	resp.ResponseMetadata.RequestId = w.Header().Get("X-Amzn-Requestid")
	w.Header().Set("Content-Type", "text/xml")
	_, _ = io.WriteString(w, xml.Header)
	_ = xml.NewEncoder(w).Encode(resp)
}

// hexOf is a short stable hex digest of s, for made-up unique IDs.
func hexOf(s string) string {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * 1099511628211
	}
	return fmt.Sprintf("%016x", h)
}
