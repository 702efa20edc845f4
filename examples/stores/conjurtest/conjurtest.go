// Package conjurtest runs a loopback server that answers as CyberArk
// Conjur's REST API does — authn (an API key for an access token) and
// secret retrieval under `Authorization: Token token="<base64>"` — and
// builds the example module examples/stores/conjur.
package conjurtest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/wasmtest"
)

// Options configures a [Server].
type Options struct {
	// Account is the organization account (default "myorg").
	Account string
	// Login is the host identity that may authenticate (default
	// "host/latchkey"); APIKey its API key (default [DefaultAPIKey]).
	Login, APIKey string
	// Variables maps a variable ID to its values, oldest first.
	Variables map[string][]string
	// Denied lists variables the host's role may not execute.
	Denied []string
	// TokenTTL is how long access tokens live (default 8 minutes, Conjur's).
	TokenTTL time.Duration
}

// DefaultAPIKey is the API key tests plant and look for in outputs.
const DefaultAPIKey = "3x4m9le-Pl4nted-conjur-api-key-1b0f2e"

// Server is a loopback Conjur.
type Server struct {
	URL  string
	opts Options
	srv  *httptest.Server

	mu     sync.Mutex
	tokens map[string]time.Time // signature → expiry
	issued []string             // every token JSON issued
	// Logins counts successful authentications; Retrievals the secret
	// reads answered 200.
	Logins, Retrievals atomic.Int64
}

// Start starts a server and stops it when the test ends.
func Start(tb testing.TB, opts Options) *Server {
	tb.Helper()
	if opts.Account == "" {
		opts.Account = "myorg"
	}
	if opts.Login == "" {
		opts.Login = "host/latchkey"
	}
	if opts.APIKey == "" {
		opts.APIKey = DefaultAPIKey
	}
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = 8 * time.Minute
	}
	s := &Server{opts: opts, tokens: map[string]time.Time{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	tb.Cleanup(s.srv.Close)
	s.URL = s.srv.URL
	return s
}

// HostPort returns "127.0.0.1:PORT".
func (s *Server) HostPort() string { return strings.TrimPrefix(s.URL, "http://") }

// Revoke invalidates every access token issued so far.
func (s *Server) Revoke() {
	s.mu.Lock()
	s.tokens = map[string]time.Time{}
	s.mu.Unlock()
}

// Issued returns every access token issued, as JSON and as the base64
// form the header carries.
func (s *Server) Issued() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, t := range s.issued {
		out = append(out, t, base64.StdEncoding.EncodeToString([]byte(t)))
	}
	return out
}

func b64url(b []byte) string { return base64.URLEncoding.EncodeToString(b) }

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	path := r.URL.EscapedPath()
	switch {
	case strings.HasPrefix(path, "/authn/"):
		s.authn(w, r, path)
	case strings.HasPrefix(path, "/secrets/"):
		s.retrieve(w, r, path)
	default:
		http.NotFound(w, r)
	}
}

// authn answers POST /authn/{account}/{login}/authenticate: the body is the
// API key; the answer is the access token, a JSON document (base64 when
// the request says Accept-Encoding: base64), or 401 with no body.
func (s *Server) authn(w http.ResponseWriter, r *http.Request, path string) {
	parts := strings.Split(strings.TrimPrefix(path, "/authn/"), "/")
	if r.Method != http.MethodPost || len(parts) != 3 || parts[2] != "authenticate" {
		http.NotFound(w, r)
		return
	}
	login, err := url.PathUnescape(parts[1])
	key, _ := io.ReadAll(io.LimitReader(r.Body, 4096))
	if err != nil || parts[0] != s.opts.Account || login != s.opts.Login || string(key) != s.opts.APIKey {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	now := time.Now()
	sig := make([]byte, 32)
	rand.Read(sig)
	payload, _ := json.Marshal(map[string]any{"sub": login, "iat": now.Unix(), "exp": now.Add(s.opts.TokenTTL).Unix()})
	header, _ := json.Marshal(map[string]string{"alg": "conjur.org/slosilo/v2", "kid": hex.EncodeToString(sha256.New().Sum(nil))[:32]})
	tok, _ := json.Marshal(map[string]string{"protected": b64url(header), "payload": b64url(payload), "signature": b64url(sig)})
	s.mu.Lock()
	s.tokens[b64url(sig)] = now.Add(s.opts.TokenTTL)
	s.issued = append(s.issued, string(tok))
	s.mu.Unlock()
	s.Logins.Add(1)
	if r.Header.Get("Accept-Encoding") == "base64" {
		w.Header().Set("Content-Encoding", "base64")
		io.WriteString(w, base64.StdEncoding.EncodeToString(tok))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(tok)
}

// retrieve answers GET /secrets/{account}/variable/{id}[?version=N] under
// a valid access token.
func (s *Server) retrieve(w http.ResponseWriter, r *http.Request, path string) {
	auth, ok := strings.CutPrefix(r.Header.Get("Authorization"), `Token token="`)
	auth, ok2 := strings.CutSuffix(auth, `"`)
	raw, err := base64.StdEncoding.DecodeString(auth)
	var tok struct{ Protected, Payload, Signature string }
	if !ok || !ok2 || err != nil || json.Unmarshal(raw, &tok) != nil {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	s.mu.Lock()
	exp, valid := s.tokens[tok.Signature]
	s.mu.Unlock()
	var claims struct{ Sub string }
	pb, _ := base64.URLEncoding.DecodeString(tok.Payload)
	if !valid || time.Now().After(exp) || json.Unmarshal(pb, &claims) != nil || claims.Sub != s.opts.Login {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	parts := strings.SplitN(strings.TrimPrefix(path, "/secrets/"), "/", 3)
	if r.Method != http.MethodGet || len(parts) != 3 || parts[0] != s.opts.Account || parts[1] != "variable" {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	id, err := url.PathUnescape(parts[2])
	if err != nil {
		w.WriteHeader(http.StatusUnprocessableEntity)
		return
	}
	for _, d := range s.opts.Denied {
		if d == id {
			w.WriteHeader(http.StatusForbidden)
			return
		}
	}
	notFound := func() {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": "not_found",
			"message": "CONJ00076E Variable " + s.opts.Account + ":variable:" + id + " is empty or not found."}})
	}
	values := s.opts.Variables[id]
	if len(values) == 0 {
		notFound()
		return
	}
	n := len(values)
	if v := r.URL.Query().Get("version"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			w.WriteHeader(http.StatusUnprocessableEntity)
			return
		}
		if n > len(values) {
			notFound()
			return
		}
	}
	s.Retrievals.Add(1)
	w.Header().Set("Content-Type", "application/octet-stream")
	io.WriteString(w, values[n-1])
}

// BuildModule builds examples/stores/conjur and returns the .wasm path.
func BuildModule(tb testing.TB) string {
	tb.Helper()
	return wasmtest.Build(tb, "examples/stores/conjur")
}

// APIKeyEnv is the variable [Server.Settings] reads the API key from.
const APIKeyEnv = "CONJURTEST_API_KEY"

// Settings returns a "wasm" store's settings reading this server through
// the module: conjur_api_key from [APIKeyEnv], and conjur_token a login
// exchange at authn whose token (the answer's body) is written base64.
func (s *Server) Settings(tb testing.TB, modulePath string) map[string]any {
	tb.Helper()
	bound := []any{"http://" + s.HostPort()}
	return map[string]any{
		"module":         modulePath,
		"allow_unpinned": true,
		"config":         map[string]any{"appliance_url": s.URL, "account": s.opts.Account},
		"allowed_hosts":  []any{s.HostPort()},
		"allow_http":     []any{s.HostPort()},
		"allow_networks": []any{"127.0.0.1/32"},
		"cache_dir":      wasmtest.CacheDir(tb),
		"credentials": map[string]any{
			"conjur_api_key": map[string]any{"env": APIKeyEnv, "hosts": bound},
			"conjur_token": map[string]any{
				"login": map[string]any{
					"url":      s.URL + "/authn/" + url.PathEscape(s.opts.Account) + "/" + url.PathEscape(s.opts.Login) + "/authenticate",
					"header":   map[string]any{"Content-Type": "text/plain"},
					"body":     "{{latchkey.credential:conjur_api_key}}",
					"token":    map[string]any{"body": true},
					"lifetime": map[string]any{"fixed": "8m"},
					"encoding": "base64",
				},
				"hosts": bound,
			},
		},
	}
}
