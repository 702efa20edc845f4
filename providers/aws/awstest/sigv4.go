package awstest

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// authKind classifies why a request's signature was refused; each service
// has its own error code for each kind.
type authKind int

const (
	authMissing      authKind = iota // no Authorization header
	authIncomplete                   // malformed Authorization header
	authBadSignature                 // signature, scope or date wrong
	authUnknownKey                   // access key or session token not issued
	authExpiredToken                 // session token expired
)

type authError struct {
	kind authKind
	msg  string
}

// maxSkew is how far X-Amz-Date may be from the server's clock, as in AWS.
const maxSkew = 15 * time.Minute

const (
	msgBadSignature = "The request signature we calculated does not match the signature you provided. " +
		"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	msgInvalidToken = "The security token included in the request is invalid."
	msgExpiredToken = "The security token included in the request is expired"
)

// authenticate verifies r's SigV4 signature for service over body and
// returns who signed it. The access key is returned even when verification
// fails, for the call record.
func (s *Server) authenticate(r *http.Request, body []byte, service string) (*identity, string, *authError) {
	authz := r.Header.Get("Authorization")
	if authz == "" {
		return nil, "", &authError{authMissing, "Missing Authentication Token"}
	}
	const algo = "AWS4-HMAC-SHA256 "
	if !strings.HasPrefix(authz, algo) {
		return nil, "", &authError{authIncomplete, "Unsupported authorization type"}
	}
	fields := map[string]string{}
	for _, part := range strings.Split(authz[len(algo):], ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return nil, "", &authError{authIncomplete, fmt.Sprintf("Authorization header requires each component to be of the form key=value; got %q", part)}
		}
		fields[k] = v
	}
	cred, signedHeaders, sig := fields["Credential"], fields["SignedHeaders"], fields["Signature"]
	if cred == "" || signedHeaders == "" || sig == "" {
		return nil, "", &authError{authIncomplete, "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters."}
	}
	scope := strings.Split(cred, "/")
	if len(scope) != 5 || scope[4] != "aws4_request" {
		return nil, "", &authError{authIncomplete, "Credential should be of the form ACCESS_KEY/DATE/REGION/SERVICE/aws4_request."}
	}
	akid := scope[0]

	amzDate := r.Header.Get("X-Amz-Date")
	when, err := time.Parse("20060102T150405Z", amzDate)
	if err != nil {
		return nil, akid, &authError{authIncomplete, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."}
	}
	s.mu.Lock()
	now := s.now()
	id := s.keys[akid]
	s.mu.Unlock()
	if d := now.Sub(when); d > maxSkew || d < -maxSkew {
		return nil, akid, &authError{authBadSignature, fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - 15 min.)",
			amzDate, now.Add(-maxSkew).UTC().Format("20060102T150405Z"), now.UTC().Format("20060102T150405Z"))}
	}
	switch {
	case scope[1] != when.Format("20060102"):
		return nil, akid, &authError{authBadSignature, "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP."}
	case scope[2] != s.Region:
		return nil, akid, &authError{authBadSignature, fmt.Sprintf("Credential should be scoped to a valid region, not '%s'.", scope[2])}
	case scope[3] != service:
		return nil, akid, &authError{authBadSignature, fmt.Sprintf("Credential should be scoped to correct service: '%s'.", service)}
	}

	signed := strings.Split(signedHeaders, ";")
	for _, need := range []string{"host", "x-amz-date"} {
		if !slices.Contains(signed, need) {
			return nil, akid, &authError{authBadSignature, fmt.Sprintf("'%s' must be a signed header.", need)}
		}
	}
	for name := range r.Header {
		if l := strings.ToLower(name); strings.HasPrefix(l, "x-amz-") && !slices.Contains(signed, l) {
			return nil, akid, &authError{authBadSignature, fmt.Sprintf("'%s' must be a signed header.", l)}
		}
	}

	if id == nil {
		return nil, akid, &authError{authUnknownKey, msgInvalidToken}
	}
	token := r.Header.Get("X-Amz-Security-Token")
	if token != id.sessionToken {
		return nil, akid, &authError{authUnknownKey, msgInvalidToken}
	}
	if id.sessionToken != "" && !now.Before(id.expires) {
		return nil, akid, &authError{authExpiredToken, msgExpiredToken}
	}

	sum := sha256.Sum256(body)
	payloadHash := hex.EncodeToString(sum[:])
	if h := r.Header.Get("X-Amz-Content-Sha256"); h != "" && h != payloadHash {
		return nil, akid, &authError{authBadSignature, "The provided 'x-amz-content-sha256' header does not match what was computed."}
	}
	want, err := recompute(r, signed, payloadHash, aws.Credentials{
		AccessKeyID: akid, SecretAccessKey: id.secretKey, SessionToken: token,
	}, service, s.Region, when)
	if err != nil || !hmac.Equal([]byte(want), []byte(sig)) {
		return nil, akid, &authError{authBadSignature, msgBadSignature}
	}
	return id, akid, nil
}

// recompute signs a copy of r that holds only the headers r's signer said
// it signed, with the SDK's own signer and the key the server issued, and
// returns the signature. Any header, body byte, path, date, scope or key
// that differs from what the client signed changes the result.
func recompute(r *http.Request, signed []string, payloadHash string, creds aws.Credentials, service, region string, when time.Time) (string, error) {
	cp, err := http.NewRequest(r.Method, "http://"+r.Host+r.URL.RequestURI(), nil)
	if err != nil {
		return "", err
	}
	cp.Host = r.Host
	for _, h := range signed {
		switch h {
		case "host":
		case "content-length":
			cp.ContentLength = r.ContentLength
		default:
			vals := r.Header.Values(h)
			if len(vals) == 0 {
				return "", fmt.Errorf("signed header %q is absent", h)
			}
			cp.Header[http.CanonicalHeaderKey(h)] = vals
		}
	}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, cp, payloadHash, service, region, when); err != nil {
		return "", err
	}
	authz := cp.Header.Get("Authorization")
	_, sig, ok := strings.Cut(authz, "Signature=")
	if !ok {
		return "", fmt.Errorf("signer produced no signature")
	}
	// The client's list of signed headers must be the one the signer
	// derives from those headers, or the two signatures cover different
	// requests.
	if !strings.Contains(authz, "SignedHeaders="+strings.Join(signed, ";")+",") {
		return "", fmt.Errorf("signed header list differs")
	}
	return sig, nil
}
