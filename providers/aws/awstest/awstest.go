// Package awstest runs a loopback AWS endpoint for tests: Secrets Manager's
// GetSecretValue and DescribeSecret over AWS JSON 1.1 and STS AssumeRole
// and GetCallerIdentity over the query
// protocol, on one http://127.0.0.1 URL. It is what the real services would
// be to the real SDK: the same wire shapes, the same error codes and status
// codes, and every request's SigV4 signature is recomputed with the key the
// server issued and rejected, as AWS rejects it, when it does not match.
//
// A test starts a [Server], adds users (long-term keys), roles and secrets,
// and points a client at [Server.URL] — or sets [Server.Env] in the
// environment of the process under test:
//
//	srv := awstest.Start(t)
//	alice := srv.AddUser("alice")
//	srv.PutString("prod/db", `{"password":"…"}`)
//	srv.Setenv(t, alice) // AWS_ACCESS_KEY_ID, AWS_ENDPOINT_URL, AWS_REGION, …
//
// # What the server checks
//
//   - Authorization is AWS4-HMAC-SHA256 with a credential scope of the
//     server's region, the operation's service ("secretsmanager" or "sts"),
//     and the date of X-Amz-Date, which must be within 15 minutes of now.
//   - The access key is one the server issued: a user's key, or a role
//     session's key whose X-Amz-Security-Token matches and has not expired.
//   - host, x-amz-date and every X-Amz-* header present are signed, and the
//     signature recomputed (with the SDK's own signer over the signed
//     headers, the body's SHA-256 and the issued secret key) matches.
//   - Access: [Server.Deny] refuses a principal a secret; a role may be
//     assumed only with its external ID and by the users it trusts.
//
// Every request is recorded as a [Call], so a test can prove which key and
// which principal signed which request.
//
// Secret values are never written to a log or an error by the server.
package awstest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Defaults of a [Server] started by [Start].
const (
	DefaultRegion  = "us-east-1"
	DefaultAccount = "123456789012"
	// DefaultMaxSessionDuration is a role's longest session, as in IAM.
	DefaultMaxSessionDuration = time.Hour
)

// Credentials is an AWS key pair, with the session token of temporary
// credentials.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
}

// Role describes an IAM role that users may assume through STS.
type Role struct {
	// Name is the role's name; its ARN is arn:aws:iam::ACCOUNT:role/NAME.
	Name string
	// ExternalID, when set, must be passed by AssumeRole.
	ExternalID string
	// TrustedUsers lists the user names allowed to assume the role; empty
	// trusts every user of the account.
	TrustedUsers []string
	// MaxSessionDuration caps DurationSeconds (DefaultMaxSessionDuration).
	MaxSessionDuration time.Duration
	// WebIdentity, when not nil, lets tokens of an OIDC issuer assume the
	// role through AssumeRoleWithWebIdentity.
	WebIdentity *WebIdentityTrust
}

// Fault is an error response the server gives instead of a secret.
type Fault struct {
	Status  int
	Code    string // the __type of the JSON error
	Message string
}

// Faults the real Secrets Manager returns.
var (
	InternalServiceError = Fault{http.StatusInternalServerError, "InternalServiceError", "An error occurred on the server side."}
	ThrottlingException  = Fault{http.StatusBadRequest, "ThrottlingException", "Rate exceeded"}
	DecryptionFailure    = Fault{http.StatusBadRequest, "DecryptionFailure",
		"Secrets Manager can't decrypt the protected secret text using the provided KMS key."}
	MarkedForDeletion = Fault{http.StatusBadRequest, "InvalidRequestException",
		"You can't perform this operation on the secret because it was marked for deletion."}
)

// Call records one request the server answered.
type Call struct {
	Service string // "secretsmanager" or "sts"
	Action  string // "GetSecretValue", "AssumeRole"
	// AccessKeyID is the key the request was signed with (empty when
	// there was no signature).
	AccessKeyID string
	// Principal is the ARN the request authenticated as; empty when the
	// signature was rejected.
	Principal string
	// SecretID, VersionID and VersionStage are GetSecretValue's parameters.
	SecretID, VersionID, VersionStage string
	// RoleARN, ExternalID, SessionName and DurationSeconds are AssumeRole's.
	RoleARN, ExternalID, SessionName string
	DurationSeconds                  int
	// Issued is the access key AssumeRole issued.
	Issued string
	// Status and ErrorCode are the response's (ErrorCode empty on
	// success). A request for a [Server.Slow] secret that the client gave
	// up on has Status 0 and ErrorCode "client gave up".
	Status    int
	ErrorCode string
}

// Server is a running loopback endpoint. Its methods are safe for
// concurrent use, also while requests are served.
type Server struct {
	// URL is the endpoint, http://127.0.0.1:PORT, for both services.
	URL     string
	Region  string
	Account string

	ts   *httptest.Server
	done chan struct{}
	tmp  string

	mu       sync.Mutex
	now      func() time.Time
	keys     map[string]*identity // by access key ID
	users    map[string]Credentials
	roles    map[string]*Role // by ARN
	secrets  map[string]*storedSecret
	deny     map[[2]string]bool // principal or role ARN, secret name
	faults   map[string][]Fault // by secret name, consumed in order
	slow     map[string]bool
	lifetime time.Duration
	counter  int
	calls    []Call
}

// identity is who an access key belongs to.
type identity struct {
	secretKey    string
	sessionToken string    // temporary credentials only
	expires      time.Time // temporary credentials only
	principal    string    // user ARN, or assumed-role session ARN
	roleARN      string    // role sessions only
	user         string    // user name, long-term keys only
}

type storedSecret struct {
	name     string
	arn      string
	created  time.Time
	versions []*version
}

type version struct {
	id      string
	str     *string
	bin     []byte
	stages  []string
	created time.Time
}

// Start starts a server on 127.0.0.1 in region [DefaultRegion] and account
// [DefaultAccount]; it stops when t's test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	s := &Server{
		Region:  DefaultRegion,
		Account: DefaultAccount,
		done:    make(chan struct{}),
		tmp:     t.TempDir(),
		now:     time.Now,
		keys:    map[string]*identity{},
		users:   map[string]Credentials{},
		roles:   map[string]*Role{},
		secrets: map[string]*storedSecret{},
		deny:    map[[2]string]bool{},
		faults:  map[string][]Fault{},
		slow:    map[string]bool{},
	}
	s.ts = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	s.URL = s.ts.URL
	t.Cleanup(func() {
		close(s.done) // release slow handlers first, or Close would wait for them
		s.ts.Close()
	})
	return s
}

// AddUser creates an IAM user with a fresh access key pair and returns it.
// The user's ARN is [Server.UserARN](name).
func (s *Server) AddUser(name string) Credentials {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counter++
	c := Credentials{AccessKeyID: fmt.Sprintf("AKIA%016X", s.counter), SecretAccessKey: randomString(30)}
	s.keys[c.AccessKeyID] = &identity{secretKey: c.SecretAccessKey, principal: s.userARN(name), user: name}
	s.users[name] = c
	return c
}

// UserARN returns the ARN of the user name.
func (s *Server) UserARN(name string) string { return s.userARN(name) }

func (s *Server) userARN(name string) string {
	return "arn:aws:iam::" + s.Account + ":user/" + name
}

// AddRole creates a role and returns its ARN.
func (s *Server) AddRole(r Role) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.MaxSessionDuration == 0 {
		r.MaxSessionDuration = DefaultMaxSessionDuration
	}
	arn := "arn:aws:iam::" + s.Account + ":role/" + r.Name
	s.roles[arn] = &r
	return arn
}

// SetSessionLifetime makes the credentials AssumeRole issues from now on
// expire after d, whatever DurationSeconds asked for (the response's
// Expiration says so), so that a test can watch a client refresh them.
func (s *Server) SetSessionLifetime(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lifetime = d
}

// PutString stores value as a new version of the secret name, creating the
// secret if needed, and returns the version ID. Like PutSecretValue, the new
// version takes the given stages, AWSCURRENT when none is given, and the
// version that held AWSCURRENT before becomes AWSPREVIOUS.
func (s *Server) PutString(name, value string, stages ...string) string {
	return s.put(name, &version{str: &value}, stages)
}

// PutBinary is [Server.PutString] for a SecretBinary value.
func (s *Server) PutBinary(name string, value []byte, stages ...string) string {
	return s.put(name, &version{bin: append([]byte(nil), value...)}, stages)
}

func (s *Server) put(name string, v *version, stages []string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	sec, ok := s.secrets[name]
	if !ok {
		sec = &storedSecret{name: name, arn: s.arnOf(name), created: s.now()}
		s.secrets[name] = sec
	}
	v.id, v.created = newUUID(), s.now()
	if len(stages) == 0 {
		stages = []string{"AWSCURRENT"}
	}
	var wasCurrent *version
	for _, st := range stages {
		for _, old := range sec.versions {
			if i := slices.Index(old.stages, st); i >= 0 {
				old.stages = slices.Delete(old.stages, i, i+1)
				if st == "AWSCURRENT" {
					wasCurrent = old
				}
			}
		}
	}
	if wasCurrent != nil {
		for _, o := range sec.versions {
			o.stages = slices.DeleteFunc(o.stages, func(st string) bool { return st == "AWSPREVIOUS" })
		}
		wasCurrent.stages = append(wasCurrent.stages, "AWSPREVIOUS")
	}
	v.stages = append([]string(nil), stages...)
	sec.versions = append(sec.versions, v)
	return v.id
}

// Created returns when the version id of the secret name was created (what
// GetSecretValue answers as CreatedDate), or the zero time when there is no
// such version.
func (s *Server) Created(name, id string) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sec := s.secrets[name]; sec != nil {
		for _, v := range sec.versions {
			if v.id == id {
				return v.created
			}
		}
	}
	return time.Time{}
}

// ARN returns the full ARN of the secret name, with the six random
// characters Secrets Manager appends (derived here from the name).
func (s *Server) ARN(name string) string { return s.arnOf(name) }

func (s *Server) arnOf(name string) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	h := uint32(2166136261)
	for i := 0; i < len(name); i++ {
		h = (h ^ uint32(name[i])) * 16777619
	}
	var suffix [6]byte
	for i := range suffix {
		suffix[i] = alphabet[h%uint32(len(alphabet))]
		h /= uint32(len(alphabet))
		h = h*2654435761 + 1
	}
	return fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s-%s", s.Region, s.Account, name, suffix[:])
}

// Deny refuses principal (a user ARN, a role ARN for all its sessions, or
// one session's ARN) GetSecretValue on the secret name, with
// AccessDeniedException.
func (s *Server) Deny(principal, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deny[[2]string{principal, name}] = true
}

// FailNext makes the next n GetSecretValue or DescribeSecret calls for the
// secret name (by name or ARN) answer with f.
func (s *Server) FailNext(name string, n int, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults[name] = append(s.faults[name], f)
	}
}

// Slow makes GetSecretValue for the secret name never answer: the handler
// waits until the client gives up (or the server stops).
func (s *Server) Slow(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.slow[name] = true
}

// Count returns how many requests for action ("GetSecretValue",
// "DescribeSecret", "AssumeRole", "GetCallerIdentity") the server answered
// so far, whatever their outcome.
func (s *Server) Count(action string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.calls {
		if c.Action == action {
			n++
		}
	}
	return n
}

// Calls returns the requests answered so far, in order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// Env returns the environment in which an AWS SDK (or a latchkey process)
// talks to this server as c through the default credential chain, and
// nothing else: the keys, the region, both services' endpoints, shared
// config files that exist but are empty, and IMDS disabled.
//
// The files live in a temporary directory of the test that started s.
func (s *Server) Env(c Credentials) map[string]string {
	cfg := filepath.Join(s.tmp, "aws-config")
	creds := filepath.Join(s.tmp, "aws-credentials")
	for _, f := range []string{cfg, creds} {
		if _, err := os.Stat(f); err != nil {
			_ = os.WriteFile(f, nil, 0o600)
		}
	}
	return map[string]string{
		"AWS_ACCESS_KEY_ID":                      c.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY":                  c.SecretAccessKey,
		"AWS_SESSION_TOKEN":                      c.SessionToken,
		"AWS_REGION":                             s.Region,
		"AWS_DEFAULT_REGION":                     s.Region,
		"AWS_PROFILE":                            "",
		"AWS_ENDPOINT_URL":                       s.URL,
		"AWS_ENDPOINT_URL_SECRETS_MANAGER":       s.URL,
		"AWS_ENDPOINT_URL_STS":                   s.URL,
		"AWS_CONFIG_FILE":                        cfg,
		"AWS_SHARED_CREDENTIALS_FILE":            creds,
		"AWS_EC2_METADATA_DISABLED":              "true",
		"AWS_ROLE_ARN":                           "",
		"AWS_WEB_IDENTITY_TOKEN_FILE":            "",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI":     "",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "",
	}
}

// Setenv sets [Server.Env](c) with t.Setenv, so it is undone when the test
// ends (and t must not be parallel).
func (s *Server) Setenv(t testing.TB, c Credentials) {
	t.Helper()
	for k, v := range s.Env(c) {
		t.Setenv(k, v)
	}
}

// Isolate sets the environment variables that keep an SDK in this test
// away from the machine's own AWS configuration (empty shared files, IMDS
// off, no profile, no web identity) without choosing credentials or
// endpoints.
func (s *Server) Isolate(t testing.TB) {
	t.Helper()
	for k, v := range s.Env(Credentials{}) {
		switch k {
		case "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SECRETS_MANAGER", "AWS_ENDPOINT_URL_STS", "AWS_REGION", "AWS_DEFAULT_REGION":
			t.Setenv(k, "")
		default:
			t.Setenv(k, v)
		}
	}
}

func (s *Server) record(c Call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, c)
}

// serveHTTP routes by protocol: AWS JSON carries X-Amz-Target, the query
// protocol a form body.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Amzn-Requestid", newUUID())
	switch {
	case r.Header.Get("X-Amz-Target") != "":
		s.serveSecretsManager(w, r)
	case strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded"):
		s.serveSTS(w, r)
	default:
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"__type":"UnknownOperationException"}`)
	}
}

func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawStdEncoding.EncodeToString(b)
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
