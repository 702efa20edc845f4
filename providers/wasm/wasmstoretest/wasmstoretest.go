// Package wasmstoretest runs a loopback HTTP secret store that speaks what
// the example module examples/stores/http-json expects, and builds that
// module (and its Rust twin, examples/stores/http-json-rs), so that tests (the wasm store's own, and the CLI's end-to-end
// tests) can resolve secrets through a real Wasm store.
package wasmstoretest

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/latchkey/latchkey/internal/wasmtest"
)

// SlowSecret names a secret whose request blocks until the client gives up.
const SlowSecret = "slow"

// Server is a loopback secret store: GET /secrets/NAME returns the secret's
// bytes, GET /secrets/NAME?version=V the version V. It checks what a real
// store checks: the bearer token (401 without it, 403 with a wrong one),
// the method, and that the Host header is the server's own.
type Server struct {
	// URL is the store_url to configure: http://127.0.0.1:PORT/secrets.
	URL string
	// Token is the bearer token the server requires.
	Token string
	// Requests counts the requests served.
	Requests atomic.Int64

	srv     *httptest.Server
	mu      sync.Mutex
	secrets map[string][]byte
}

// Start starts a server holding secrets (name, or name@version, to value)
// and stops it when the test ends.
func Start(tb testing.TB, secrets map[string][]byte) *Server {
	tb.Helper()
	s := &Server{Token: "test-token-0f3a", secrets: map[string][]byte{}}
	for k, v := range secrets {
		s.secrets[k] = append([]byte(nil), v...)
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	tb.Cleanup(s.srv.Close)
	s.URL = s.srv.URL + "/secrets"
	return s
}

// Set adds or replaces a secret.
func (s *Server) Set(name string, value []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.secrets[name] = append([]byte(nil), value...)
}

// HostPort returns the server's "127.0.0.1:PORT".
func (s *Server) HostPort() string { return strings.TrimPrefix(s.srv.URL, "http://") }

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.Requests.Add(1)
	switch auth := r.Header.Get("Authorization"); {
	case auth == "":
		http.Error(w, "missing bearer token", http.StatusUnauthorized)
		return
	case auth != "Bearer "+s.Token:
		http.Error(w, "wrong token", http.StatusForbidden)
		return
	}
	if r.Method != http.MethodGet {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if r.Host != s.HostPort() {
		http.Error(w, "Host header was tampered with: "+r.Host, http.StatusBadRequest)
		return
	}
	name, ok := strings.CutPrefix(r.URL.Path, "/secrets/")
	if !ok || name == "" {
		http.NotFound(w, r)
		return
	}
	if name == SlowSecret {
		<-r.Context().Done()
		return
	}
	if v := r.URL.Query().Get("version"); v != "" {
		name += "@" + v
	}
	s.mu.Lock()
	v, ok := s.secrets[name]
	s.mu.Unlock()
	if !ok {
		http.Error(w, "no such secret", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	_, _ = w.Write(v)
}

// BuildHTTPJSON builds examples/stores/http-json (once per source version,
// cached in the temporary directory) and returns the .wasm file's path.
func BuildHTTPJSON(tb testing.TB) string {
	tb.Helper()
	return wasmtest.Build(tb, "examples/stores/http-json")
}

// BuildHTTPJSONRust builds examples/stores/http-json-rs, the same store in
// Rust, and returns the .wasm file's path. It skips the test when no rustc
// with the wasm32-wasi target is installed.
func BuildHTTPJSONRust(tb testing.TB) string {
	tb.Helper()
	return wasmtest.BuildRust(tb, "examples/stores/http-json-rs")
}

// Guest is one build of the http-json store.
type Guest struct {
	Lang  string                  // "go" or "rust"
	Build func(testing.TB) string // builds it (or skips) and returns the .wasm path
}

// Guests lists the builds of the http-json store, by language, for tests
// that run against each.
func Guests() []Guest {
	return []Guest{{"go", BuildHTTPJSON}, {"rust", BuildHTTPJSONRust}}
}

// Settings returns the settings of a "wasm" store (the agent config's
// store block without type) that reads this server through the module at
// modulePath, pinned by its digest. field, if not empty, selects a JSON
// field of each secret.
func (s *Server) Settings(tb testing.TB, modulePath, field string) map[string]any {
	tb.Helper()
	b, err := os.ReadFile(modulePath)
	if err != nil {
		tb.Fatal(err)
	}
	sum := sha256.Sum256(b)
	cfg := map[string]any{
		"store_url": s.URL,
		"header":    map[string]any{"Authorization": "Bearer " + s.Token},
	}
	if field != "" {
		cfg["field"] = field
	}
	return map[string]any{
		"module":         modulePath,
		"sha256":         hex.EncodeToString(sum[:]),
		"config":         cfg,
		"allow_http":     []any{s.HostPort()},
		"allow_networks": []any{"127.0.0.1/32"},
		"cache_dir":      wasmtest.CacheDir(tb),
	}
}
