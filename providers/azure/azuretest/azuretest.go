// Package azuretest runs, on loopback, fakes of the three services the azure
// store talks to, so that tests drive the real Azure SDK over real sockets:
//
//   - a Key Vault (TLS) that speaks the secrets REST API, GET
//     /secrets/{name}[/{version}]?api-version=…, with Key Vault's JSON and
//     error bodies and its bearer-challenge flow: an unauthenticated request
//     gets 401 with WWW-Authenticate: Bearer authorization="…/{tenant}",
//     resource="…"; afterwards only a token this Server issued, for that
//     tenant and resource, is accepted;
//   - a Microsoft Entra ID authority (TLS) that serves
//     /{tenant}/v2.0/.well-known/openid-configuration and the
//     client-credentials grant at /{tenant}/oauth2/v2.0/token, checking the
//     tenant, the client ID, the client secret or certificate assertion, and
//     the scope;
//   - an App Service style managed identity endpoint (plain HTTP on
//     loopback, as on App Service), found by the SDK through
//     IDENTITY_ENDPOINT and IDENTITY_HEADER, checking the header, the API
//     version, the resource and the user-assigned identity asked for.
//
// Both TLS servers present a certificate signed by a CA made for the
// Server, written to [Server.CAFile] for the store's ca_file setting.
//
// Every Server has its own vault domain, tenant, client and identity IDs,
// so that tokens cached by the SDK in one test (MSAL keeps managed identity
// tokens in a process-wide cache) never meet another test's Server.
package azuretest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"maps"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Server is a running set of fakes. Its exported fields are fixed once
// [Start] returns; its methods are safe for concurrent use.
type Server struct {
	// VaultURL is the vault's base URL by IP address, https://127.0.0.1:PORT,
	// usable without DNS. Its host does not lie under Resource, so a store
	// pointed at it needs disable_challenge_resource_verification.
	VaultURL string
	// VaultName and VaultDomain name the same vault by DNS name, as
	// https://VaultName.VaultDomain (the domain holds the port). Only
	// [Server.Dial] resolves these names, so they serve Go tests that pass
	// Dial to azure.New; with them the challenge check stays on.
	VaultName   string
	VaultDomain string
	// Resource is what the vault's challenge names and what tokens must be
	// issued for: https://VaultDomain.
	Resource string

	// AuthorityHost is the Entra ID fake's base URL, https://127.0.0.1:PORT/.
	AuthorityHost string
	// TenantID, ClientID and ClientSecret are the registered service
	// principal; ClientSecretFile holds the secret (no trailing newline).
	TenantID         string
	ClientID         string
	ClientSecret     string
	ClientSecretFile string

	// IdentityEndpoint and IdentityHeader are the values of the
	// IDENTITY_ENDPOINT and IDENTITY_HEADER variables (see [Server.Env]).
	IdentityEndpoint string
	IdentityHeader   string
	// ManagedIdentityClientID and ManagedIdentityResourceID name the one
	// user-assigned identity the endpoint knows, besides the
	// system-assigned one.
	ManagedIdentityClientID   string
	ManagedIdentityResourceID string

	// CAFile is a PEM file holding the CA that signed both TLS servers'
	// certificates.
	CAFile string

	dir      string
	ca       *authority
	vault    *httptest.Server
	entra    *httptest.Server
	identity *httptest.Server

	mu             sync.Mutex
	secrets        map[string]*storedSecret
	tokens         map[string]grant
	forbidden      map[string]bool
	blocked        map[string]bool
	failNext       int
	identityTenant string
	systemClientID string
	certFile       string
	certDER        []byte
	stats          Stats
	throttleNext   int
	retryAfter     string
	federated      []FederatedCredential
}

// Stats counts the requests each fake received.
type Stats struct {
	// VaultRequests counts requests to the vault, Unauthenticated those
	// without a bearer token (each elicits a challenge), Rejected those
	// whose token was refused.
	VaultRequests   int
	Unauthenticated int
	Rejected        int
	// SecretGets counts authenticated GET /secrets/… requests: the Key
	// Vault transactions made (each a fetch or a version probe).
	SecretGets int
	// TokenRequests counts client-credentials grants asked of Entra ID
	// (successful or not), DiscoveryRequests its openid-configuration
	// fetches, IdentityRequests the managed identity endpoint's requests.
	TokenRequests     int
	DiscoveryRequests int
	IdentityRequests  int
}

// Start starts the three fakes and stops them when t ends. It writes
// CAFile and ClientSecretFile to t.TempDir(). It does not set any
// environment variable: call [Server.SetEnv] for managed identity.
func Start(t testing.TB) *Server {
	t.Helper()
	s := &Server{
		VaultName:                 "testvault",
		TenantID:                  uuid(),
		ClientID:                  uuid(),
		ClientSecret:              "sp-secret-" + randHex(12),
		IdentityHeader:            randHex(16),
		ManagedIdentityClientID:   uuid(),
		ManagedIdentityResourceID: "/subscriptions/" + uuid() + "/resourceGroups/latchkey-test/providers/Microsoft.ManagedIdentity/userAssignedIdentities/latchkey-agent",
		dir:                       t.TempDir(),
		secrets:                   map[string]*storedSecret{},
		tokens:                    map[string]grant{},
		forbidden:                 map[string]bool{},
		blocked:                   map[string]bool{},
		systemClientID:            uuid(),
	}
	s.identityTenant = s.TenantID
	label := randHex(4)
	var err error
	if s.ca, err = newAuthority("*." + label + ".vault.azure.test"); err != nil {
		t.Fatalf("azuretest: %v", err)
	}
	s.CAFile = filepath.Join(s.dir, "ca.pem")
	s.ClientSecretFile = filepath.Join(s.dir, "client-secret")
	for name, b := range map[string][]byte{s.CAFile: s.ca.certPEM, s.ClientSecretFile: []byte(s.ClientSecret)} {
		if err := os.WriteFile(name, b, 0o600); err != nil {
			t.Fatalf("azuretest: %v", err)
		}
	}

	// Handshakes cut short by tests that distrust the CA or stop early are
	// expected; keep the servers' logs out of test output.
	quiet := log.New(io.Discard, "", 0)
	s.vault = httptest.NewUnstartedServer(s.vaultHandler())
	s.vault.TLS = s.ca.serverTLS()
	s.vault.Config.ErrorLog = quiet
	s.vault.StartTLS()
	s.entra = httptest.NewUnstartedServer(s.entraHandler())
	s.entra.TLS = s.ca.serverTLS()
	s.entra.Config.ErrorLog = quiet
	s.entra.StartTLS()
	s.identity = httptest.NewUnstartedServer(s.identityHandler())
	s.identity.Config.ErrorLog = quiet
	s.identity.Start()
	t.Cleanup(s.Close)

	_, port, _ := net.SplitHostPort(s.vault.Listener.Addr().String())
	s.VaultURL = s.vault.URL
	s.VaultDomain = label + ".vault.azure.test:" + port
	s.Resource = "https://" + s.VaultDomain
	s.AuthorityHost = s.entra.URL + "/"
	s.IdentityEndpoint = s.identity.URL + "/msi/token"
	return s
}

// Close stops the servers. Start arranges for it to run when the test ends.
func (s *Server) Close() {
	s.vault.Close()
	s.entra.Close()
	s.identity.Close()
}

// Env returns the environment variables through which the SDK finds the
// managed identity endpoint.
func (s *Server) Env() map[string]string {
	return map[string]string{"IDENTITY_ENDPOINT": s.IdentityEndpoint, "IDENTITY_HEADER": s.IdentityHeader}
}

// SetEnv sets [Server.Env] with t.Setenv (so t and its parents must not be
// parallel), and clears the variables of other managed identity sources so
// that the SDK picks this endpoint.
func (s *Server) SetEnv(t testing.TB) {
	t.Helper()
	for _, k := range []string{"IDENTITY_SERVER_THUMBPRINT", "MSI_ENDPOINT", "MSI_SECRET", "IMDS_ENDPOINT"} {
		t.Setenv(k, "")
	}
	for k, v := range s.Env() {
		t.Setenv(k, v)
	}
}

// Dial connects like net.Dialer, except that every host under VaultDomain
// reaches the vault fake. Pass it as azure.Options.Dial.
func (s *Server) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	domain, _, _ := strings.Cut(s.VaultDomain, ":")
	_, vaultPort, _ := net.SplitHostPort(s.vault.Listener.Addr().String())
	if (strings.HasSuffix(strings.ToLower(host), "."+domain) || strings.EqualFold(host, domain)) && port == vaultPort {
		addr = s.vault.Listener.Addr().String()
	}
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}

// SecretURL returns the URL of a secret (and version, when not empty) in
// the by-IP form of VaultURL.
func (s *Server) SecretURL(name, version string) string {
	u := s.VaultURL + "/secrets/" + name
	if version != "" {
		u += "/" + version
	}
	return u
}

// Settings returns the settings of an "azure" store pointed at the fakes,
// for auth_method method ("managed_identity" or "service_principal"): the
// vault by IP (with the challenge check off, see VaultURL), the CA file, the
// authority host, the service principal's IDs and secret file, and retry
// budgets small enough for tests. Managed identity also needs [Server.Env].
func (s *Server) Settings(method string) map[string]any {
	m := map[string]any{
		"vault_url":   s.VaultURL,
		"auth_method": method,
		"ca_file":     s.CAFile,
		"disable_challenge_resource_verification": true,
		"max_retries":          2,
		"retry_delay":          "10ms",
		"identity_max_retries": 1,
		"identity_retry_delay": "10ms",
		"identity_timeout":     "5s",
	}
	if method == "service_principal" {
		m["authority_host"] = s.AuthorityHost
		m["tenant_id"] = s.TenantID
		m["client_id"] = s.ClientID
		m["client_secret_file"] = s.ClientSecretFile
	}
	return m
}

// StoreYAML returns an agent config's "stores:" section declaring one store
// named name with [Server.Settings] for method, for CLI tests that write a
// config file.
func (s *Server) StoreYAML(name, method string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "stores:\n  %s:\n    type: azure\n", name)
	m := s.Settings(method)
	for _, k := range slices.Sorted(maps.Keys(m)) {
		v, _ := json.Marshal(m[k]) // JSON scalars are YAML scalars
		fmt.Fprintf(&b, "    %s: %s\n", k, v)
	}
	return b.String()
}

// Stats returns the request counts so far.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// SetSecret stores value as a new, current and enabled version of the
// secret name, and returns the version's ID (32 hex digits).
func (s *Server) SetSecret(name, value string) (version string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sec := s.secrets[name]
	if sec == nil {
		sec = &storedSecret{versions: map[string]*storedVersion{}}
		s.secrets[name] = sec
	}
	version = randHex(16)
	sec.versions[version] = &storedVersion{value: value, enabled: true, created: time.Now().Unix()}
	sec.current = version
	return version
}

// Disable disables a version of a secret ("" for the current one), so that
// the vault answers 403 SecretDisabled for it.
func (s *Server) Disable(name, version string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sec := s.secrets[name]
	if sec == nil {
		panic("azuretest: Disable of unknown secret " + name)
	}
	if version == "" {
		version = sec.current
	}
	sec.versions[version].enabled = false
}

// Forbid makes the vault refuse the secret name to every caller with 403
// ForbiddenByRbac, as when no role assignment covers it.
func (s *Server) Forbid(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forbidden[name] = true
}

// Block makes requests for the secret name hang until the client gives up.
func (s *Server) Block(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.blocked[name] = true
}

// FailNext makes the next n authenticated secret requests fail with 503
// ServiceUnavailable.
func (s *Server) FailNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext = n
}

// Throttle makes the next n authenticated secret requests fail with 429
// Throttled, as Key Vault does past its service limits, with the header
// Retry-After: retryAfter (seconds) unless retryAfter is empty.
func (s *Server) Throttle(n int, retryAfter string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.throttleNext, s.retryAfter = n, retryAfter
}

// SetIdentityTenant makes the managed identity endpoint issue tokens in
// tenant instead of the vault's, which the vault then rejects (401
// AKV10032 invalid issuer), as for an identity from another directory.
func (s *Server) SetIdentityTenant(tenant string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.identityTenant = tenant
}

// RevokeTokens forgets every token issued so far, so that the vault
// rejects them (401) as it does a token whose signing key was rolled over.
func (s *Server) RevokeTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.tokens)
}

// grant is what a token stands for.
type grant struct {
	tenant   string
	audience string
	appID    string
	expires  time.Time
}

// issue records and returns a new access token. s.mu must be held.
//
// The token is shaped as Entra ID's are, a JWT whose claims say whom it was
// issued to (aud, iss, tid, appid, oid, exp); its signature is random: the
// vault accepts only tokens this Server recorded.
func (s *Server) issue(g grant) string {
	enc := base64.RawURLEncoding
	header, _ := json.Marshal(map[string]string{"typ": "JWT", "alg": "RS256", "kid": "azuretest"})
	claims, _ := json.Marshal(map[string]any{
		"aud": g.audience, "iss": "https://sts.windows.net/" + g.tenant + "/", "tid": g.tenant,
		"appid": g.appID, "oid": ObjectIDOf(g.appID), "iat": time.Now().Unix(), "exp": g.expires.Unix(),
	})
	tok := enc.EncodeToString(header) + "." + enc.EncodeToString(claims) + "." + randHex(32)
	s.tokens[tok] = g
	return tok
}

// ObjectIDOf returns the object ID the Server gives the service principal
// or managed identity whose application (client) ID is appID, as the oid
// claim of its tokens.
func ObjectIDOf(appID string) string {
	h := sha256.Sum256([]byte("oid:" + appID))
	x := hex.EncodeToString(h[:16])
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}

type storedSecret struct {
	current  string
	versions map[string]*storedVersion
}

type storedVersion struct {
	value   string
	enabled bool
	created int64
}

func randHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

func uuid() string {
	h := randHex(16)
	return fmt.Sprintf("%s-%s-%s-%s-%s", h[:8], h[8:12], h[12:16], h[16:20], h[20:])
}
