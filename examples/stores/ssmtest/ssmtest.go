// Package ssmtest runs a loopback server that answers as AWS Systems
// Manager Parameter Store's JSON protocol does (GetParameter), checking
// every request's SigV4 signature by signing it again with the same keys
// as AWS does, and builds the example module examples/stores/ssm-rs, so
// that tests can read parameters through a Wasm store that never holds an
// AWS key.
package ssmtest

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/latchkey/latchkey/internal/wasmtest"
)

// Param is one version of a parameter.
type Param struct {
	Value string
	// Type is String, StringList or SecureString (default SecureString).
	Type   string
	Labels []string
}

// Options configures a [Server].
type Options struct {
	// AccessKeyID, SecretAccessKey and SessionToken are the only
	// credentials the server accepts (defaults: the Default… constants).
	AccessKeyID, SecretAccessKey, SessionToken string
	// Region is the region the server signs for (default us-east-1).
	Region string
	// Parameters maps a name to its versions, oldest first.
	Parameters map[string][]Param
	// EchoCanonical makes a signature mismatch quote the canonical
	// request, header values included (the session token among them), as
	// AWS's InvalidSignatureException message does.
	EchoCanonical bool
	// RejectAll makes every signature a mismatch.
	RejectAll bool
}

// Defaults of [Options]: the keys tests plant and look for in outputs.
const (
	DefaultAccessKeyID     = "AKIASSMTESTPL4NTED01"
	DefaultSecretAccessKey = "ssmtest/Pl4nted+Secret/Access/Key0000001"
	DefaultSessionToken    = "IQoJb3JpZ2luX2VjEPl4ntedSessionTokenForSSMTest0001"
)

// Server is a loopback Parameter Store.
type Server struct {
	URL  string
	opts Options
	srv  *httptest.Server
	mu   sync.Mutex
	// Calls counts the requests whose signature verified.
	Calls atomic.Int64
	// Refused counts the requests refused for their signature.
	Refused atomic.Int64
}

// Start starts a server and stops it when the test ends.
func Start(tb testing.TB, opts Options) *Server {
	tb.Helper()
	if opts.AccessKeyID == "" {
		opts.AccessKeyID, opts.SecretAccessKey, opts.SessionToken = DefaultAccessKeyID, DefaultSecretAccessKey, DefaultSessionToken
	}
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	s := &Server{opts: opts}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	tb.Cleanup(s.srv.Close)
	s.URL = s.srv.URL
	return s
}

// HostPort returns the server's "127.0.0.1:PORT".
func (s *Server) HostPort() string { return strings.TrimPrefix(s.URL, "http://") }

// Region is the region the server verifies signatures for.
func (s *Server) Region() string { return s.opts.Region }

func awsError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-Requestid", "5f0e1c0a-0000-4000-8000-000000000001")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"__type": typ, "message": msg})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if r.Method != http.MethodPost || r.URL.Path != "/" {
		awsError(w, http.StatusNotFound, "UnknownOperationException", "")
		return
	}
	if !s.verify(w, r, body) {
		s.Refused.Add(1)
		return
	}
	s.Calls.Add(1)
	if ct := r.Header.Get("Content-Type"); ct != "application/x-amz-json-1.1" {
		awsError(w, http.StatusBadRequest, "SerializationException", "content type "+ct+" is not application/x-amz-json-1.1")
		return
	}
	if r.Header.Get("X-Amz-Target") != "AmazonSSM.GetParameter" {
		awsError(w, http.StatusBadRequest, "UnknownOperationException", "")
		return
	}
	var in struct {
		Name           string
		WithDecryption *bool
	}
	if err := json.Unmarshal(body, &in); err != nil || in.Name == "" {
		awsError(w, http.StatusBadRequest, "ValidationException", "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null")
		return
	}
	name, selector := in.Name, ""
	if i := strings.LastIndexByte(in.Name, ':'); i > 0 {
		name, selector = in.Name[:i], in.Name[i:]
	}
	s.mu.Lock()
	versions := append([]Param(nil), s.opts.Parameters[name]...)
	s.mu.Unlock()
	if len(versions) == 0 {
		awsError(w, http.StatusBadRequest, "ParameterNotFound", "")
		return
	}
	n := len(versions)
	if selector != "" {
		if v, err := strconv.Atoi(selector[1:]); err == nil {
			if v < 1 || v > len(versions) {
				awsError(w, http.StatusBadRequest, "ParameterVersionNotFound", fmt.Sprintf("Systems Manager could not find version %d of %s. Verify the version and try again.", v, name))
				return
			}
			n = v
		} else {
			n = 0
			for i, p := range versions {
				for _, l := range p.Labels {
					if l == selector[1:] {
						n = i + 1
					}
				}
			}
			if n == 0 {
				awsError(w, http.StatusBadRequest, "ParameterVersionLabelNotFound", "")
				return
			}
		}
	}
	p := versions[n-1]
	if p.Type == "" {
		p.Type = "SecureString"
	}
	value := p.Value
	if p.Type == "SecureString" && (in.WithDecryption == nil || !*in.WithDecryption) {
		value = "AQICAHh" + hex.EncodeToString([]byte(name))[:16] + "==" // ciphertext, not the value
	}
	out := map[string]any{
		"ARN": "arn:aws:ssm:" + s.opts.Region + ":123456789012:parameter" + name, "DataType": "text",
		"LastModifiedDate": 1.7672256e9 + float64(n), "Name": name, "Type": p.Type, "Value": value, "Version": n,
	}
	if selector != "" {
		out["Selector"] = selector
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	json.NewEncoder(w).Encode(map[string]any{"Parameter": out})
}

// verify checks r's SigV4 signature as AWS does: the access key and
// session token are the server's, the date within 5 minutes, the scope
// the server's region and ssm, and the signature equal to the one the SDK's
// signer computes from the signed headers with the secret key.
func (s *Server) verify(w http.ResponseWriter, r *http.Request, body []byte) bool {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		awsError(w, http.StatusBadRequest, "MissingAuthenticationTokenException", "Missing Authentication Token")
		return false
	}
	fields, ok := strings.CutPrefix(auth, "AWS4-HMAC-SHA256 ")
	if !ok {
		awsError(w, http.StatusBadRequest, "IncompleteSignatureException", "Authorization header requires 'Credential' parameter.")
		return false
	}
	kv := map[string]string{}
	for _, f := range strings.Split(fields, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(f), "=")
		kv[k] = v
	}
	scope := strings.Split(kv["Credential"], "/")
	if len(scope) != 5 || kv["SignedHeaders"] == "" || kv["Signature"] == "" {
		awsError(w, http.StatusBadRequest, "IncompleteSignatureException", "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders'.")
		return false
	}
	if scope[0] != s.opts.AccessKeyID || (s.opts.SessionToken != "" && r.Header.Get("X-Amz-Security-Token") != s.opts.SessionToken) {
		awsError(w, http.StatusBadRequest, "UnrecognizedClientException", "The security token included in the request is invalid.")
		return false
	}
	at, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil || time.Since(at).Abs() > 5*time.Minute || scope[1] != at.Format("20060102") {
		awsError(w, http.StatusBadRequest, "InvalidSignatureException", "Signature expired or not yet current.")
		return false
	}
	if scope[2] != s.opts.Region || scope[3] != "ssm" || scope[4] != "aws4_request" {
		awsError(w, http.StatusBadRequest, "InvalidSignatureException", "Credential should be scoped to a valid region and service ssm.")
		return false
	}
	signed := strings.Split(kv["SignedHeaders"], ";")
	if !contains(signed, "host") || !contains(signed, "x-amz-date") {
		awsError(w, http.StatusBadRequest, "InvalidSignatureException", "Signed headers must include host and x-amz-date.")
		return false
	}
	// Sign again: the same method, path, query, signed headers and body,
	// with the secret key.
	again, _ := http.NewRequest(r.Method, "http://"+r.Host+r.URL.RequestURI(), strings.NewReader(string(body)))
	again.Host = r.Host
	var canonical []string
	for _, h := range signed {
		if h == "host" {
			canonical = append(canonical, "host:"+r.Host)
			continue
		}
		for _, v := range r.Header.Values(h) {
			again.Header.Add(h, v)
		}
		canonical = append(canonical, h+":"+strings.Join(r.Header.Values(h), ","))
	}
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: s.opts.AccessKeyID, SecretAccessKey: s.opts.SecretAccessKey, SessionToken: s.opts.SessionToken}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, again, hex.EncodeToString(sum[:]), "ssm", s.opts.Region, at); err != nil {
		awsError(w, http.StatusInternalServerError, "InternalServerError", "")
		return false
	}
	want := ""
	if _, sig, ok := strings.Cut(again.Header.Get("Authorization"), "Signature="); ok {
		want = sig
	}
	if s.opts.RejectAll || !hmac.Equal([]byte(want), []byte(kv["Signature"])) {
		msg := "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
		if s.opts.EchoCanonical {
			msg += "\n\nThe Canonical String for this request should have been\n'POST\n/\n\n" + strings.Join(canonical, "\n") + "\n\n" + kv["SignedHeaders"] + "\n" + hex.EncodeToString(sum[:]) + "'\n"
		}
		awsError(w, http.StatusBadRequest, "InvalidSignatureException", msg)
		return false
	}
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// BuildModule builds examples/stores/ssm-rs with rustc and returns the
// .wasm file's path; it skips the test when rustc is missing.
func BuildModule(tb testing.TB) string {
	tb.Helper()
	return wasmtest.BuildRust(tb, "examples/stores/ssm-rs")
}

// Env names the variables [Server.Settings] reads the keys from; tests
// set them with [Server.SetEnv].
const (
	KeyIDEnv   = "SSMTEST_ACCESS_KEY_ID"
	SecretEnv  = "SSMTEST_SECRET_ACCESS_KEY"
	SessionEnv = "SSMTEST_SESSION_TOKEN"
)

// SetEnv sets the variables [Server.Settings] reads the keys from.
func (s *Server) SetEnv(tb testing.TB) {
	tb.Setenv(KeyIDEnv, s.opts.AccessKeyID)
	tb.Setenv(SecretEnv, s.opts.SecretAccessKey)
	tb.Setenv(SessionEnv, s.opts.SessionToken)
}

// Settings returns the settings of a "wasm" store that reads this server
// through the module at modulePath, its requests signed by the host with
// an aws_sigv4 credential bound to the server, whose keys come from the
// environment (auth_method access_keys; in production, the default chain
// or an assumed role).
func (s *Server) Settings(tb testing.TB, modulePath string) map[string]any {
	tb.Helper()
	return map[string]any{
		"module":         modulePath,
		"allow_unpinned": true,
		"config":         map[string]any{"store_url": s.URL},
		"allow_http":     []any{s.HostPort()},
		"allow_networks": []any{"127.0.0.1/32"},
		"cache_dir":      wasmtest.CacheDir(tb),
		"credentials": map[string]any{
			"aws": map[string]any{
				"aws_sigv4": map[string]any{
					"service": "ssm", "region": s.opts.Region,
					"aws": map[string]any{"auth_method": "access_keys", "access_key_id_env": KeyIDEnv,
						"secret_access_key_env": SecretEnv, "session_token_env": SessionEnv},
				},
				"hosts": []any{"http://" + s.HostPort()},
			},
		},
	}
}
