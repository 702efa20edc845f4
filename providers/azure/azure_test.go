package azure_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/providers/azure"
	"github.com/latchkey/latchkey/providers/azure/azuretest"
	"github.com/latchkey/latchkey/resolver"
	"github.com/latchkey/latchkey/secret"
	"github.com/latchkey/latchkey/storetest"
)

// Values planted in the fake vault; no error or log may contain them.
const (
	plainValue = "plain-planted-value-1f3a"
	jsonValue  = `{"username":"admin","password":"json-planted-pw-9c2e"}`
	oldValue   = "old-planted-value-77b0"
)

// fastRetries keeps a failing test from waiting on the SDK's back-off.
func fastRetries(o *azure.Options) {
	o.MaxRetries = 2
	o.RetryDelay = 5 * time.Millisecond
	o.IdentityMaxRetries = -1
	o.IdentityTimeout = 5 * time.Second
}

// spOptions returns Options for srv's service principal, naming the vault
// by DNS name (resolved by srv.Dial) so that the challenge check stays on.
func spOptions(srv *azuretest.Server) azure.Options {
	o := azure.Options{
		VaultName:        srv.VaultName,
		VaultDomain:      srv.VaultDomain,
		AuthMethod:       azure.ServicePrincipal,
		TenantID:         srv.TenantID,
		ClientID:         srv.ClientID,
		ClientSecretFile: srv.ClientSecretFile,
		AuthorityHost:    srv.AuthorityHost,
		CAFile:           srv.CAFile,
		Dial:             srv.Dial,
		LookupEnv:        noEnv,
	}
	fastRetries(&o)
	return o
}

// miOptions returns Options for srv's managed identity; the caller must
// have called srv.SetEnv.
func miOptions(srv *azuretest.Server) azure.Options {
	o := azure.Options{
		VaultName:   srv.VaultName,
		VaultDomain: srv.VaultDomain,
		CAFile:      srv.CAFile,
		Dial:        srv.Dial,
		LookupEnv:   noEnv,
	}
	fastRetries(&o)
	return o
}

func noEnv(string) (string, bool) { return "", false }

func newStore(t *testing.T, o azure.Options) *azure.Store {
	t.Helper()
	st, err := azure.New("kv", o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

// planted are the values no error may contain; the service principal's
// secret is added per server.
func noLeak(t *testing.T, srv *azuretest.Server, err error) {
	t.Helper()
	if err == nil {
		return
	}
	storetest.NoLeak(t, "error", err.Error(), []byte(plainValue), []byte(jsonValue), []byte("json-planted-pw-9c2e"),
		[]byte(oldValue), []byte(srv.ClientSecret), []byte(srv.IdentityHeader))
}

func fill(srv *azuretest.Server) (plainV1 string) {
	plainV1 = srv.SetSecret("plain", oldValue)
	srv.SetSecret("plain", plainValue)
	srv.SetSecret("doc", jsonValue)
	srv.Block("slow")
	return plainV1
}

func TestConformance(t *testing.T) {
	methods := []struct {
		name string
		opts func(t *testing.T, srv *azuretest.Server) azure.Options
	}{
		{"service_principal", func(t *testing.T, srv *azuretest.Server) azure.Options { return spOptions(srv) }},
		{"managed_identity", func(t *testing.T, srv *azuretest.Server) azure.Options { srv.SetEnv(t); return miOptions(srv) }},
	}
	for _, m := range methods {
		t.Run(m.name, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T) *storetest.Fixture {
				srv := azuretest.Start(t)
				fill(srv)
				return &storetest.Fixture{
					Store: newStore(t, m.opts(t, srv)),
					Plain: secret.Request{Name: "plain"}, PlainValue: []byte(plainValue),
					JSON: secret.Request{Name: "https://" + srv.VaultName + "." + srv.VaultDomain + "/secrets/doc"}, JSONValue: []byte(jsonValue),
					JSONKey: "password", JSONKeyValue: "json-planted-pw-9c2e",
					// Key Vault holds only text (see README): no Binary.
					Missing: secret.Request{Name: "no-such-secret"},
					Slow:    secret.Request{Name: "slow"},
					Upstream: func() int {
						s := srv.Stats()
						return s.VaultRequests + s.TokenRequests + s.DiscoveryRequests + s.IdentityRequests
					},
				}
			})
		})
	}
}

// TestNamesAndVersions covers bare names and URLs, versions given by the
// request or the URL, and the by-IP vault URL with the challenge check off.
func TestNamesAndVersions(t *testing.T) {
	srv := azuretest.Start(t)
	v1 := fill(srv)
	byName := newStore(t, spOptions(srv))
	o := spOptions(srv)
	o.VaultName, o.VaultDomain, o.Dial = "", "", nil
	o.VaultURL = srv.VaultURL
	o.DisableChallengeResourceVerification = true
	byIP := newStore(t, o)
	host := "https://" + srv.VaultName + "." + srv.VaultDomain

	tests := []struct {
		name  string
		store *azure.Store
		req   secret.Request
		want  string
	}{
		{"bare name", byName, secret.Request{Name: "plain"}, plainValue},
		{"bare name, request version", byName, secret.Request{Name: "plain", Version: v1}, oldValue},
		{"URL", byName, secret.Request{Name: host + "/secrets/plain"}, plainValue},
		{"URL trailing slash", byName, secret.Request{Name: host + "/secrets/plain/"}, plainValue},
		{"URL with version", byName, secret.Request{Name: host + "/secrets/plain/" + v1}, oldValue},
		{"URL and same request version", byName, secret.Request{Name: host + "/secrets/plain/" + v1, Version: v1}, oldValue},
		{"URL, request version", byName, secret.Request{Name: host + "/secrets/plain", Version: v1}, oldValue},
		{"upper-case host", byName, secret.Request{Name: strings.ToUpper(host[:8]) + strings.ToUpper(host[8:]) + "/secrets/plain"}, plainValue},
		{"by IP, bare name", byIP, secret.Request{Name: "plain"}, plainValue},
		{"by IP, URL with version", byIP, secret.Request{Name: srv.SecretURL("plain", v1)}, oldValue},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := tc.store.Get(ctx(t), tc.req)
			if err != nil {
				t.Fatalf("Get(%+v): %v", tc.req, err)
			}
			if v.Value.RevealString() != tc.want {
				t.Fatalf("Get(%+v) returned the wrong value (%d bytes)", tc.req, v.Value.Len())
			}
		})
	}
}

// TestBadNames covers names refused before any request.
func TestBadNames(t *testing.T) {
	srv := azuretest.Start(t)
	fill(srv)
	st := newStore(t, spOptions(srv))
	o := spOptions(srv)
	o.VaultName = ""
	noVault := newStore(t, o)
	host := "https://" + srv.VaultName + "." + srv.VaultDomain
	domainHost, port, _ := net.SplitHostPort(srv.VaultDomain)
	tests := []struct {
		name  string
		store *azure.Store
		req   secret.Request
		want  error
		msg   string
	}{
		{"bad characters", st, secret.Request{Name: "db_password"}, secret.ErrInvalidConfig, "not a Key Vault secret name"},
		{"empty", st, secret.Request{Name: ""}, secret.ErrInvalidConfig, "not a Key Vault secret name"},
		{"bad version", st, secret.Request{Name: "plain", Version: "v/1"}, secret.ErrInvalidConfig, "not a Key Vault version"},
		{"http URL", st, secret.Request{Name: "http://" + srv.VaultName + "." + srv.VaultDomain + "/secrets/plain"}, secret.ErrInvalidConfig, "https"},
		{"URL wrong path", st, secret.Request{Name: host + "/keys/plain"}, secret.ErrInvalidConfig, "wrong path"},
		{"URL with query", st, secret.Request{Name: host + "/secrets/plain?x=1"}, secret.ErrInvalidConfig, "no user, query"},
		{"URL versions disagree", st, secret.Request{Name: host + "/secrets/plain/abc123", Version: "def456"}, secret.ErrInvalidConfig, "asks for version"},
		{"host outside vault domain", st, secret.Request{Name: "https://evil.example.com/secrets/plain"}, secret.ErrNotAllowed, "not a vault in the store's vault domain"},
		{"look-alike host", st, secret.Request{Name: "https://" + srv.VaultName + "." + domainHost + ".evil.example:" + port + "/secrets/plain"}, secret.ErrNotAllowed, "vault domain"},
		{"nested subdomain", st, secret.Request{Name: "https://a.b." + srv.VaultDomain + "/secrets/plain"}, secret.ErrNotAllowed, "vault domain"},
		{"bare name without vault", noVault, secret.Request{Name: "plain"}, secret.ErrInvalidConfig, "no vault_name or vault_url"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.store.Get(ctx(t), tc.req)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) || !strings.Contains(err.Error(), `"kv"`) {
				t.Fatalf("got %v, want %v mentioning %q and the store", err, tc.want, tc.msg)
			}
		})
	}
	if n := srv.Stats().VaultRequests; n != 0 {
		t.Errorf("refused names reached the vault %d times", n)
	}
	// A URL to another vault of the domain is fetched with a client of its own.
	v, err := noVault.Get(ctx(t), secret.Request{Name: host + "/secrets/plain"})
	if err != nil || v.Value.RevealString() != plainValue {
		t.Fatalf("URL-only store: %v", err)
	}
}

// TestVaultErrors covers the vault's refusals with both auth methods.
func TestVaultErrors(t *testing.T) {
	for _, method := range []azure.AuthMethod{azure.ServicePrincipal, azure.ManagedIdentity} {
		t.Run(string(method), func(t *testing.T) {
			srv := azuretest.Start(t)
			fill(srv)
			srv.SetSecret("off", "disabled-planted-value")
			srv.Disable("off", "")
			srv.SetSecret("denied", "denied-planted-value")
			srv.Forbid("denied")
			o := spOptions(srv)
			if method == azure.ManagedIdentity {
				srv.SetEnv(t)
				o = miOptions(srv)
				o.ManagedIdentityClientID = srv.ManagedIdentityClientID
			}
			st := newStore(t, o)

			_, err := st.Get(ctx(t), secret.Request{Name: "no-such"})
			if nf := asStoreError(t, err); !errors.Is(err, secret.ErrNotFound) || nf.Secret != "no-such" || !strings.Contains(err.Error(), srv.VaultDomain) {
				t.Errorf("missing secret: got %v", err)
			}
			noLeak(t, srv, err)

			_, err = st.Get(ctx(t), secret.Request{Name: "plain", Version: "0123456789abcdef0123456789abcdef"})
			if asStoreError(t, err); !errors.Is(err, secret.ErrNotFound) || !strings.Contains(err.Error(), `with version "0123456789abcdef0123456789abcdef"`) {
				t.Errorf("missing version: got %v", err)
			}

			_, err = st.Get(ctx(t), secret.Request{Name: "off"})
			if de := asStoreError(t, err); !errors.Is(err, secret.ErrPermissionDenied) || de.Secret != "off" || !strings.Contains(err.Error(), "disabled") {
				t.Errorf("disabled secret: got %v", err)
			}

			_, err = st.Get(ctx(t), secret.Request{Name: "denied"})
			fe := asStoreError(t, err)
			if !errors.Is(err, secret.ErrPermissionDenied) || !strings.Contains(err.Error(), "(HTTP 403") || fe.Secret != "denied" {
				t.Fatalf("forbidden: got %v", err)
			}
			wantWho := "service principal " + srv.ClientID + " in tenant " + srv.TenantID
			if method == azure.ManagedIdentity {
				wantWho = "managed identity (user-assigned, client ID " + srv.ManagedIdentityClientID + ")"
			}
			if fe.Principal != wantWho || !strings.Contains(err.Error(), wantWho) || !strings.Contains(err.Error(), "Caller: appid=") {
				t.Errorf("forbidden error does not name the identity %q: %v", wantWho, err)
			}
			noLeak(t, srv, err)
		})
	}
}

// TestTokenRejected covers a 401 to a token: from another tenant, and
// revoked after use.
func TestTokenRejected(t *testing.T) {
	t.Run("identity from another tenant", func(t *testing.T) {
		srv := azuretest.Start(t)
		fill(srv)
		srv.SetEnv(t)
		srv.SetIdentityTenant("11111111-2222-3333-4444-555555555555")
		st := newStore(t, miOptions(srv))
		_, err := st.Get(ctx(t), secret.Request{Name: "plain"})
		if asStoreError(t, err); !strings.Contains(err.Error(), "(HTTP 401") || !errors.Is(err, secret.ErrPermissionDenied) || !strings.Contains(err.Error(), "AKV10032") ||
			!strings.Contains(err.Error(), "managed identity (system-assigned)") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("revoked", func(t *testing.T) {
		srv := azuretest.Start(t)
		fill(srv)
		st := newStore(t, spOptions(srv))
		if _, err := st.Get(ctx(t), secret.Request{Name: "plain"}); err != nil {
			t.Fatal(err)
		}
		srv.RevokeTokens()
		_, err := st.Get(ctx(t), secret.Request{Name: "plain"})
		if asStoreError(t, err); !strings.Contains(err.Error(), "(HTTP 401") || !strings.Contains(err.Error(), "rejected the token") {
			t.Fatalf("got %v", err)
		}
		if r := srv.Stats().Rejected; r < 1 {
			t.Errorf("the vault saw no rejected token (%d)", r)
		}
	})
}

// TestTokenErrors covers failures to get a token at all.
func TestTokenErrors(t *testing.T) {
	tests := []struct {
		name        string
		setup       func(t *testing.T, srv *azuretest.Server) azure.Options
		unreachable bool
		msg         []string
	}{
		{"wrong client secret", func(t *testing.T, srv *azuretest.Server) azure.Options {
			o := spOptions(srv)
			o.ClientSecretFile, o.ClientSecretEnv = "", "WRONG_SECRET"
			o.LookupEnv = func(k string) (string, bool) { return "wrong-planted-secret", k == "WRONG_SECRET" }
			return o
		}, false, []string{"service_principal", "HTTP 401", "invalid_client", "AADSTS7000215"}},
		{"unknown client", func(t *testing.T, srv *azuretest.Server) azure.Options {
			o := spOptions(srv)
			o.ClientID = "99999999-9999-9999-9999-999999999999"
			return o
		}, false, []string{"HTTP 400", "unauthorized_client", "99999999-9999-9999-9999-999999999999"}},
		{"unknown user-assigned identity", func(t *testing.T, srv *azuretest.Server) azure.Options {
			srv.SetEnv(t)
			o := miOptions(srv)
			o.ManagedIdentityClientID = "99999999-9999-9999-9999-999999999999"
			return o
		}, false, []string{"managed_identity", "client ID 99999999-9999-9999-9999-999999999999"}},
		{"wrong identity header", func(t *testing.T, srv *azuretest.Server) azure.Options {
			srv.SetEnv(t)
			t.Setenv("IDENTITY_HEADER", "wrong")
			return miOptions(srv)
		}, false, []string{"managed identity (system-assigned)", "HTTP 401", "X-IDENTITY-HEADER"}},
		{"dead identity endpoint", func(t *testing.T, srv *azuretest.Server) azure.Options {
			srv.SetEnv(t)
			t.Setenv("IDENTITY_ENDPOINT", "http://"+closedAddr(t)+"/msi/token")
			return miOptions(srv)
		}, true, []string{"managed identity (system-assigned)", "connection refused"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := azuretest.Start(t)
			fill(srv)
			st := newStore(t, tc.setup(t, srv))
			start := time.Now()
			_, err := st.Get(ctx(t), secret.Request{Name: "plain"})
			te := asStoreError(t, err)
			if te.Principal == "" || !strings.Contains(err.Error(), "acquiring a token with auth_method") {
				t.Fatalf("want a token failure naming the identity, got %v", err)
			}
			want := secret.ErrPermissionDenied
			if tc.unreachable {
				want = secret.ErrUnavailable
			}
			if !errors.Is(err, want) || te.Kind != want {
				t.Errorf("want %v, got %v", want, err)
			}
			for _, m := range tc.msg {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error does not mention %q: %v", m, err)
				}
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
			if took := time.Since(start); took > 3*time.Second {
				t.Errorf("took %v: the retry budget was not applied", took)
			}
			noLeak(t, srv, err)
			storetest.NoLeak(t, "error", err.Error(), []byte("wrong-planted-secret"))
		})
	}
}

// closedAddr returns a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// TestUnreachable covers vaults that cannot be reached or keep failing.
func TestUnreachable(t *testing.T) {
	t.Run("503 then success", func(t *testing.T) {
		srv := azuretest.Start(t)
		fill(srv)
		st := newStore(t, spOptions(srv))
		srv.FailNext(2)
		v, err := st.Get(ctx(t), secret.Request{Name: "plain"})
		if err != nil || v.Value.RevealString() != plainValue {
			t.Fatalf("a 503 was not retried: %v", err)
		}
	})
	t.Run("503 past the retry budget", func(t *testing.T) {
		srv := azuretest.Start(t)
		fill(srv)
		st := newStore(t, spOptions(srv))
		srv.FailNext(10)
		_, err := st.Get(ctx(t), secret.Request{Name: "plain"})
		if asStoreError(t, err); !strings.Contains(err.Error(), "unavailable: HTTP 503") || !errors.Is(err, secret.ErrUnavailable) || !strings.Contains(err.Error(), "ServiceUnavailable") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("no such vault", func(t *testing.T) {
		srv := azuretest.Start(t)
		o := spOptions(srv)
		o.Dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, _ := net.SplitHostPort(addr)
			return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
		}
		o.VaultName = "nosuchvault"
		st := newStore(t, o)
		_, err := st.Get(ctx(t), secret.Request{Name: "plain"})
		if asStoreError(t, err); !strings.Contains(err.Error(), "does not resolve") || !errors.Is(err, secret.ErrUnavailable) || !strings.Contains(err.Error(), "nosuchvault") ||
			!strings.Contains(err.Error(), "not found") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("connection refused", func(t *testing.T) {
		srv := azuretest.Start(t)
		o := spOptions(srv)
		o.VaultName, o.VaultDomain, o.Dial = "", "", nil
		o.VaultURL = "https://" + closedAddr(t)
		o.MaxRetries = -1
		st := newStore(t, o)
		_, err := st.Get(ctx(t), secret.Request{Name: "plain"})
		if asStoreError(t, err); strings.Contains(err.Error(), "does not resolve") || !strings.Contains(err.Error(), "unreachable") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("untrusted certificate", func(t *testing.T) {
		srv := azuretest.Start(t)
		o := spOptions(srv)
		o.CAFile = ""
		o.MaxRetries = -1
		st := newStore(t, o)
		_, err := st.Get(ctx(t), secret.Request{Name: "plain"})
		if asStoreError(t, err); !errors.Is(err, secret.ErrUnavailable) || !strings.Contains(err.Error(), "certificate") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("challenge for another domain", func(t *testing.T) {
		srv := azuretest.Start(t)
		fill(srv)
		o := spOptions(srv)
		o.VaultName, o.VaultDomain, o.Dial = "", "", nil
		o.VaultURL = srv.VaultURL // the challenge's resource is not a parent of 127.0.0.1
		st := newStore(t, o)
		_, err := st.Get(ctx(t), secret.Request{Name: "plain"})
		if !errors.Is(err, secret.ErrInvalidConfig) || !strings.Contains(err.Error(), "disable_challenge_resource_verification") {
			t.Fatalf("got %v", err)
		}
		if s := srv.Stats(); s.TokenRequests != 0 {
			t.Errorf("a token was requested for a mismatched challenge")
		}
	})
}

// TestReuse checks that one store authenticates once and reuses its client
// and token, and keeps one client per vault.
func TestReuse(t *testing.T) {
	srv := azuretest.Start(t)
	fill(srv)
	st := newStore(t, spOptions(srv))
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if _, err := st.Get(ctx(t), secret.Request{Name: "plain"}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	s := srv.Stats()
	if s.TokenRequests != 1 || s.DiscoveryRequests != 1 {
		t.Errorf("20 Gets asked for %d tokens and %d discoveries, want 1 and 1", s.TokenRequests, s.DiscoveryRequests)
	}
	if s.Unauthenticated > 20 || s.Unauthenticated < 1 {
		t.Errorf("%d challenges", s.Unauthenticated)
	}
	before := s.Unauthenticated
	for range 5 {
		if _, err := st.Get(ctx(t), secret.Request{Name: "plain"}); err != nil {
			t.Fatal(err)
		}
	}
	if s := srv.Stats(); s.Unauthenticated != before || s.TokenRequests != 1 {
		t.Errorf("later Gets were challenged again (%d→%d) or asked for tokens (%d)", before, s.Unauthenticated, s.TokenRequests)
	}
	// Another vault of the domain gets its own client, hence its own challenge.
	other := "https://othervault." + srv.VaultDomain + "/secrets/plain"
	for range 3 {
		if _, err := st.Get(ctx(t), secret.Request{Name: other}); err != nil {
			t.Fatal(err)
		}
	}
	if s := srv.Stats(); s.Unauthenticated != before+1 {
		t.Errorf("a second vault was challenged %d times, want once", s.Unauthenticated-before)
	}
}

func TestClientCertificate(t *testing.T) {
	srv := azuretest.Start(t)
	fill(srv)
	cert, err := srv.ClientCertificateFile()
	if err != nil {
		t.Fatal(err)
	}
	o := spOptions(srv)
	o.ClientSecretFile, o.ClientCertificateFile = "", cert
	st := newStore(t, o)
	v, err := st.Get(ctx(t), secret.Request{Name: "plain"})
	if err != nil || v.Value.RevealString() != plainValue {
		t.Fatalf("certificate credential: %v", err)
	}
}

// TestDefaultCredential runs the default chain with the service principal
// given through the SDK's environment variables.
func TestDefaultCredential(t *testing.T) {
	srv := azuretest.Start(t)
	fill(srv)
	for k, v := range map[string]string{
		"AZURE_TENANT_ID": srv.TenantID, "AZURE_CLIENT_ID": srv.ClientID, "AZURE_CLIENT_SECRET": srv.ClientSecret,
		"AZURE_AUTHORITY_HOST": srv.AuthorityHost, "AZURE_TOKEN_CREDENTIALS": "EnvironmentCredential",
	} {
		t.Setenv(k, v)
	}
	o := miOptions(srv)
	o.AuthMethod = azure.Default
	o.LookupEnv = nil // read AZURE_AUTHORITY_HOST from the environment
	st := newStore(t, o)
	v, err := st.Get(ctx(t), secret.Request{Name: "plain"})
	if err != nil || v.Value.RevealString() != plainValue {
		t.Fatalf("default credential: %v", err)
	}
}

// TestThroughResolver builds stores from settings, as an agent config does,
// with the helper's settings for the CLI test, and looks up JSON keys.
func TestThroughResolver(t *testing.T) {
	srv := azuretest.Start(t)
	v1 := fill(srv)
	srv.SetEnv(t)
	r, err := resolver.New(ctx(t), resolver.Config{Stores: map[string]resolver.StoreConfig{
		"sp": {Type: "azure", Settings: srv.Settings("service_principal"), Secret: "doc"},
		"mi": {Type: "azure", Settings: srv.Settings("managed_identity")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	field := func(name, ref string) resolver.Field {
		f, err := resolver.ParseField(name, ref)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	res, err := r.Resolve(ctx(t), resolver.Workflow{Name: "wf", Fields: []resolver.Field{
		field("user", "secret://sp/#username"),
		field("password", "secret://mi/doc#password"),
		field("old", "secret://mi/plain?version="+v1),
		field("url", "secret://mi/"+srv.SecretURL("plain", "")),
	}})
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"user": "admin", "password": "json-planted-pw-9c2e", "old": oldValue, "url": plainValue} {
		if v, _ := res.Get(name); v.RevealString() != want {
			t.Errorf("field %s: wrong value (%d bytes)", name, v.Len())
		}
	}
	id, _ := r.Description("sp")
	if !strings.Contains(id.Summary, "service principal "+srv.ClientID) {
		t.Errorf("summary %q", id.Summary)
	}
}

// asStoreError returns err's *secret.StoreError of this provider, failing
// the test when there is none.
func asStoreError(t *testing.T, err error) *secret.StoreError {
	t.Helper()
	var se *secret.StoreError
	if !errors.As(err, &se) || se.Type != "azure" {
		t.Fatalf("want an azure *secret.StoreError, got %v", err)
	}
	return se
}
