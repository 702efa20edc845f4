// Package vaultkvtest runs a loopback server that answers as HashiCorp
// Vault's KV version 2 read API documents, and builds the example module
// examples/stores/vault-kv, so that tests (the example's own, and the CLI's
// end-to-end tests) can resolve secrets through a real Wasm store whose
// token the module never sees.
package vaultkvtest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/wasmtest"
)

// Version is one version of a KV v2 secret.
type Version struct {
	Data map[string]any
	// Deleted marks a soft-deleted version (Vault keeps its metadata, with
	// a deletion_time, and can undelete it).
	Deleted bool
	// Destroyed marks a version whose data is gone for good.
	Destroyed bool
}

// Options configures a [Server]. Zero values are the documented defaults.
type Options struct {
	// Token is the only token the server accepts (default [DefaultToken]).
	Token string
	// Namespace, if set, is the Vault Enterprise namespace the token and
	// the secrets live in: requests must send it in X-Vault-Namespace.
	Namespace string
	// Mount is where the KV v2 engine is mounted (default "secret").
	Mount string
	// Secrets maps a path inside the mount ("app/db") to its versions,
	// oldest first (version 1 is Secrets[path][0]).
	Secrets map[string][]Version
	// Denied lists paths the token's policy does not grant read on.
	Denied []string
	// DeniedMetadata lists paths whose data the token may read but not
	// their metadata ({mount}/metadata/{path}), a common narrow policy.
	DeniedMetadata []string
	// EchoToken makes refusals quote the token they refused, as a badly
	// behaved proxy in front of Vault might: the module must receive it
	// redacted.
	EchoToken bool
	// Sealed makes every request answer 503 "Vault is sealed".
	Sealed bool
	// AppRole, if set, enables auth/approle: POST /v1/auth/approle/login
	// with this role_id and secret_id returns a new token (see auth.go).
	AppRole *AppRole
	// Kubernetes, if set, enables auth/kubernetes: POST
	// /v1/auth/kubernetes/login with this role and service-account JWT.
	Kubernetes *KubernetesRole
	// TokenTTL is the lifetime of the tokens logins issue (default 1h);
	// the server refuses them past it, as Vault does.
	TokenTTL time.Duration
}

// DefaultToken is the token the server accepts by default. Tests plant it
// and check that it never reaches the module or any output.
const DefaultToken = "hvs.vaultkvtest-Pl4nted-T0ken-e1d7"

// Server is a loopback Vault. It checks what Vault checks: the token
// (X-Vault-Token; 403 {"errors":["permission denied"]} without or with a
// wrong one), the namespace, the policy (403 with Vault's multi-error
// text), the method, the mount and the version; missing secrets and
// versions are 404 {"errors":[]}; deleted and destroyed versions are 404
// with their metadata, as Vault answers. GET /v1/auth/token/lookup-self
// answers with the token's own id, as Vault does: a module that calls it
// must receive it redacted. GET /v1/{mount}/metadata/{path} answers
// Vault's metadata read (current_version, versions with their
// deletion_time and destroyed), under the same token and namespace checks
// and its own policy ([Options.DeniedMetadata]).
type Server struct {
	// URL is Vault's address (VAULT_ADDR): http://127.0.0.1:PORT.
	URL string
	// Token is the token the server accepts.
	Token string

	opts      Options
	srv       *httptest.Server
	mu        sync.Mutex
	received  []string             // X-Vault-Token values received, for leak checks
	issued    map[string]time.Time // tokens logins issued, with their expiry
	allIssued []string
	// Logins counts the successful logins served.
	Logins atomic.Int64

	// DataCalls and MetadataCalls count the KV reads served (with any
	// answer), so that tests tell a fetch from a version probe.
	DataCalls, MetadataCalls atomic.Int64
}

// Put writes a new version of the secret at path, as `vault kv put` does,
// and returns its number.
func (s *Server) Put(path string, data map[string]any) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.opts.Secrets == nil {
		s.opts.Secrets = map[string][]Version{}
	}
	s.opts.Secrets[path] = append(s.opts.Secrets[path], Version{Data: data})
	return len(s.opts.Secrets[path])
}

// versions returns a copy of path's versions.
func (s *Server) versions(path string) []Version {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Version(nil), s.opts.Secrets[path]...)
}

// Start starts a server and stops it when the test ends.
func Start(tb testing.TB, opts Options) *Server {
	tb.Helper()
	if opts.Token == "" {
		opts.Token = DefaultToken
	}
	if opts.Mount == "" {
		opts.Mount = "secret"
	}
	s := &Server{Token: opts.Token, opts: opts}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	tb.Cleanup(s.srv.Close)
	s.URL = s.srv.URL
	return s
}

// HostPort returns the server's "127.0.0.1:PORT".
func (s *Server) HostPort() string { return strings.TrimPrefix(s.srv.URL, "http://") }

// ReceivedToken reports whether any request carried exactly the server's
// token: the proof that the host substituted it.
func (s *Server) ReceivedToken() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.received {
		if t == s.Token {
			return true
		}
	}
	return false
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func errorsBody(msgs ...string) map[string]any {
	if msgs == nil {
		msgs = []string{}
	}
	return map[string]any{"errors": msgs}
}

var created = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	tok := r.Header.Get("X-Vault-Token")
	s.mu.Lock()
	s.received = append(s.received, tok)
	s.mu.Unlock()
	if s.opts.Sealed {
		writeJSON(w, http.StatusServiceUnavailable, errorsBody("Vault is sealed"))
		return
	}
	path, ok := strings.CutPrefix(r.URL.Path, "/v1/")
	if !ok {
		writeJSON(w, http.StatusNotFound, errorsBody())
		return
	}
	// Vault Enterprise: the namespace comes from the header or a path
	// prefix; a token is valid only in its own namespace.
	ns := strings.Trim(r.Header.Get("X-Vault-Namespace"), "/")
	if s.opts.Namespace != "" && ns == "" {
		if rest, ok := strings.CutPrefix(path, s.opts.Namespace+"/"); ok {
			ns, path = s.opts.Namespace, rest
		}
	}
	if strings.HasPrefix(path, "auth/approle/login") || strings.HasPrefix(path, "auth/kubernetes/login") {
		s.login(w, r, path, ns)
		return
	}
	if tok == "" || (tok != s.opts.Token && !s.issuedValid(tok)) || ns != s.opts.Namespace {
		writeJSON(w, http.StatusForbidden, errorsBody("permission denied"))
		return
	}
	if path == "auth/token/lookup-self" {
		writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{
			"id": tok, "accessor": "accessor-not-secret", "policies": []string{"default", "read-kv"}, "ttl": 3600,
		}})
		return
	}
	if mount, rest, ok := strings.Cut(path, "/metadata/"); ok && mount == s.opts.Mount {
		s.MetadataCalls.Add(1)
		s.metadata(w, r, rest)
		return
	}
	mount, rest, _ := strings.Cut(path, "/data/")
	if mount == s.opts.Mount {
		s.DataCalls.Add(1)
	}
	if mount != s.opts.Mount {
		writeJSON(w, http.StatusNotFound, errorsBody(fmt.Sprintf("no handler for route %q. route entry not found.", path)))
		return
	}
	if r.Method != http.MethodGet {
		writeJSON(w, http.StatusMethodNotAllowed, errorsBody("unsupported operation"))
		return
	}
	for _, d := range s.opts.Denied {
		if d == rest {
			writeJSON(w, http.StatusForbidden, errorsBody("1 error occurred:\n\t* permission denied\n\n"))
			return
		}
	}
	versions := s.versions(rest)
	if len(versions) == 0 {
		writeJSON(w, http.StatusNotFound, errorsBody())
		return
	}
	n := len(versions)
	if q := r.URL.Query().Get("version"); q != "" {
		v, err := strconv.Atoi(q)
		if err != nil || v < 0 {
			writeJSON(w, http.StatusBadRequest, errorsBody("error converting input for field \"version\": strconv.ParseInt: parsing \""+q+"\": invalid syntax"))
			return
		}
		if v != 0 {
			n = v
		}
	}
	if n > len(versions) {
		writeJSON(w, http.StatusNotFound, errorsBody())
		return
	}
	v := versions[n-1]
	meta := map[string]any{
		"created_time":    created.Add(time.Duration(n) * time.Minute).Format(time.RFC3339Nano),
		"custom_metadata": nil, "deletion_time": "", "destroyed": v.Destroyed, "version": n,
	}
	status, data := http.StatusOK, any(v.Data)
	if v.Deleted || v.Destroyed {
		status, data = http.StatusNotFound, nil
		if v.Deleted {
			meta["deletion_time"] = created.Add(time.Hour).Format(time.RFC3339Nano)
		}
	}
	writeJSON(w, status, map[string]any{
		"request_id": "0b1e8f0e-5d4c-4b1e-9f1e-000000000001", "lease_id": "", "renewable": false, "lease_duration": 0,
		"data":      map[string]any{"data": data, "metadata": meta},
		"wrap_info": nil, "warnings": nil, "auth": nil,
	})
}

// metadata answers GET /v1/{mount}/metadata/{path} as Vault does: the
// secret's versions (never their data) and current_version.
func (s *Server) metadata(w http.ResponseWriter, r *http.Request, path string) {
	if r.Method != http.MethodGet {
		writeJSON(w, http.StatusMethodNotAllowed, errorsBody("unsupported operation"))
		return
	}
	for _, d := range s.opts.DeniedMetadata {
		if d == path {
			msg := "1 error occurred:\n\t* permission denied\n\n"
			if s.opts.EchoToken {
				msg = "permission denied for token " + r.Header.Get("X-Vault-Token")
			}
			writeJSON(w, http.StatusForbidden, errorsBody(msg))
			return
		}
	}
	versions := s.versions(path)
	if len(versions) == 0 {
		writeJSON(w, http.StatusNotFound, errorsBody())
		return
	}
	byNumber := map[string]any{}
	for i, v := range versions {
		n := i + 1
		del := ""
		if v.Deleted {
			del = created.Add(time.Hour).Format(time.RFC3339Nano)
		}
		byNumber[strconv.Itoa(n)] = map[string]any{
			"created_time":  created.Add(time.Duration(n) * time.Minute).Format(time.RFC3339Nano),
			"deletion_time": del, "destroyed": v.Destroyed,
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"request_id": "0b1e8f0e-5d4c-4b1e-9f1e-000000000002", "lease_id": "", "renewable": false, "lease_duration": 0,
		"data": map[string]any{
			"cas_required": false, "created_time": created.Add(time.Minute).Format(time.RFC3339Nano),
			"current_version": len(versions), "custom_metadata": nil, "delete_version_after": "0s",
			"max_versions": 0, "oldest_version": 0,
			"updated_time": created.Add(time.Duration(len(versions)) * time.Minute).Format(time.RFC3339Nano),
			"versions":     byNumber,
		},
		"wrap_info": nil, "warnings": nil, "auth": nil,
	})
}

// BuildModule builds examples/stores/vault-kv (once per source version) and
// returns the .wasm file's path.
func BuildModule(tb testing.TB) string {
	tb.Helper()
	return wasmtest.Build(tb, "examples/stores/vault-kv")
}

// TokenEnv is the environment variable [Server.Settings] reads the token
// from; tests set it to [Server.Token].
const TokenEnv = "VAULTKVTEST_TOKEN"

// Settings returns the settings of a "wasm" store (an agent config's store
// block without type) that reads this server through the module at
// modulePath, pinned by its digest, with the token declared as credential
// "vault_token" read from the environment variable [TokenEnv] and bound to
// this server. config adds to or overrides the module's config
// (vault_addr, mount, namespace).
func (s *Server) Settings(tb testing.TB, modulePath string, config map[string]any) map[string]any {
	tb.Helper()
	b, err := os.ReadFile(modulePath)
	if err != nil {
		tb.Fatal(err)
	}
	sum := sha256.Sum256(b)
	cfg := map[string]any{"vault_addr": s.URL, "mount": s.opts.Mount}
	if s.opts.Namespace != "" {
		cfg["namespace"] = s.opts.Namespace
	}
	for k, v := range config {
		cfg[k] = v
	}
	return map[string]any{
		"module": modulePath,
		"sha256": hex.EncodeToString(sum[:]),
		"config": cfg,
		"credentials": map[string]any{
			"vault_token": map[string]any{"env": TokenEnv, "hosts": []any{"http://" + s.HostPort()}},
		},
		"allowed_hosts":  []any{s.HostPort()},
		"allow_http":     []any{s.HostPort()},
		"allow_networks": []any{"127.0.0.1/32"},
		"cache_dir":      wasmtest.CacheDir(tb),
	}
}
