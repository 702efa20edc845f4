package wasm

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/logbuf"
	"github.com/latchkey/latchkey/internal/wasmtest"
	"github.com/latchkey/latchkey/secret"
)

// plantedAPIKey is the static input of the logins in these tests.
const plantedAPIKey = "api-key-Pl4nted-51d0e"

// loginServer issues a fresh token per login (POST /login with X-Api-Key)
// and serves /echo only to a current token, reflecting it (from X-Token,
// or decoded from Authorization: Token token="<base64>") in the encoding
// ?enc= names, behind ?pre=.
type loginServer struct {
	*httptest.Server
	host     string
	logins   atomic.Int64
	disabled atomic.Bool // logins refused, quoting the key
	mu       sync.Mutex
	valid    map[string]bool
	all      []string
}

func startLoginServer(t *testing.T) *loginServer {
	s := &loginServer{valid: map[string]bool{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/login":
			if s.disabled.Load() {
				http.Error(w, `{"error":"api key `+r.Header.Get("X-Api-Key")+` disabled"}`, http.StatusUnauthorized)
				return
			}
			if r.Method != http.MethodPost || r.Header.Get("X-Api-Key") != plantedAPIKey {
				http.Error(w, `{"error":"bad api key"}`, http.StatusUnauthorized)
				return
			}
			b := make([]byte, 18)
			rand.Read(b)
			tok := `tok-` + base64.RawURLEncoding.EncodeToString(b)
			s.mu.Lock()
			s.valid[tok] = true
			s.all = append(s.all, tok)
			s.mu.Unlock()
			s.logins.Add(1)
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"data":{"token":%q,"ttl":3600}}`, tok)
		default:
			tok := r.Header.Get("X-Token")
			if a, ok := strings.CutPrefix(r.Header.Get("Authorization"), `Token token="`); ok {
				raw, _ := base64.StdEncoding.DecodeString(strings.TrimSuffix(a, `"`))
				tok = string(raw)
			}
			s.mu.Lock()
			ok := s.valid[tok]
			s.mu.Unlock()
			if !ok {
				http.Error(w, "unauthorized: "+tok, http.StatusUnauthorized)
				return
			}
			q := r.URL.Query()
			enc := echoes[q.Get("enc")]
			if enc == nil {
				enc = echoes["raw"]
			}
			fmt.Fprintf(w, `{"echo":"%s","auth":"%s"}`, enc(q.Get("pre"), tok), enc(q.Get("pre"), r.Header.Get("Authorization")))
		}
	}))
	t.Cleanup(s.Close)
	s.host = strings.TrimPrefix(s.URL, "http://")
	return s
}

func (s *loginServer) revoke() {
	s.mu.Lock()
	s.valid = map[string]bool{}
	s.mu.Unlock()
}

func (s *loginServer) issued() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.all...)
}

// loginStore is a credprobe store whose credential tok is a login
// exchange with srv, bound to srv; other is allowed but not bound.
func loginStore(t *testing.T, srv *loginServer, base, other string, header map[string]any, encoding string, logs *logbuf.Buffer) *Store {
	t.Helper()
	t.Setenv(credEnv, plantedAPIKey)
	hosts := []any{srv.host}
	if other != "" {
		hosts = append(hosts, other)
	}
	settings := map[string]any{
		"module":         wasmtest.Build(t, "providers/wasm/testdata/guests/credprobe"),
		"allow_unpinned": true,
		"config":         map[string]any{"url": base, "header": header},
		"allowed_hosts":  hosts,
		"allow_http":     hosts,
		"allow_networks": []any{"127.0.0.1/32"},
		"limits":         map[string]any{"instances": 1},
		"credentials": map[string]any{
			"api_key": map[string]any{"env": credEnv, "hosts": []any{"http://" + srv.host}},
			"tok": map[string]any{
				"login": map[string]any{
					"url":      srv.URL + "/login",
					"header":   map[string]any{"X-Api-Key": "{{latchkey.credential:api_key}}"},
					"token":    map[string]any{"json": "data.token"},
					"lifetime": map[string]any{"json": "data.ttl"},
					"encoding": encoding,
				},
				"hosts": []any{"http://" + srv.host},
			},
		},
	}
	spec := secret.Spec{Name: "probe", Type: "wasm", Settings: settings}
	if logs != nil {
		spec.Logger = slog.New(slog.NewTextHandler(logs, nil))
	}
	st, err := fromSpec(context.Background(), spec, sharedCache)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// assertNoBrokered checks text for the login's input and every token the
// server issued, in every encoding the leak oracle knows.
func assertNoBrokered(t *testing.T, srv *loginServer, what string, text []byte) {
	t.Helper()
	for _, v := range append(srv.issued(), plantedAPIKey) {
		if leak := wasmtest.FindLeak(text, []byte(v)); leak != "" {
			t.Errorf("%s holds a brokered value (%s form)", what, leak)
		}
	}
}

// TestLoginTokenEchoes runs the credprobe guest against a bound server
// that reflects the derived token in each encoding ABI.md lists, behind
// prefixes of 0 to 2 bytes, in the plain and the base64 (Conjur-style)
// encodings of the credential. The guest reads redactions; its linear
// memory, results and log never hold the token or the login's input.
func TestLoginTokenEchoes(t *testing.T) {
	for _, tc := range []struct {
		name, encoding string
		header         map[string]any
	}{
		{"as-is", "", map[string]any{"X-Token": "{{latchkey.credential:tok}}"}},
		{"base64-token-header", "base64", map[string]any{"Authorization": `Token token="{{latchkey.credential:tok}}"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startLoginServer(t)
			var logs logbuf.Buffer
			st := loginStore(t, srv, srv.URL, "", tc.header, tc.encoding, &logs)
			for enc := range echoes {
				for _, pre := range []string{"", "a", "ab"} {
					v, err := st.Get(context.Background(), secret.Request{Name: fmt.Sprintf("/echo?enc=%s&pre=%s", enc, pre)})
					if err != nil {
						t.Fatalf("%s %q: %v", enc, pre, err)
					}
					out := v.Value.RevealString()
					if !strings.Contains(out, "[REDACTED:tok]") || !strings.Contains(out, `"status":200`) {
						t.Errorf("%s %q: the guest read no redaction: %s", enc, pre, out)
					}
					assertNoBrokered(t, srv, "the guest's result", []byte(out))
				}
			}
			if n := srv.logins.Load(); n != 1 {
				t.Errorf("%d logins for %d fetches, want 1", n, len(echoes)*3)
			}
			assertNoBrokered(t, srv, "the log", []byte(logs.String()))
			if n := st.Module().ScanIdleMemory(func(mem []byte) { assertNoBrokered(t, srv, "the guest's linear memory", mem) }); n != 1 {
				t.Fatalf("scanned %d instances", n)
			}
		})
	}
}

// TestLoginUnboundHostRefused: a module that writes the brokered
// credential's placeholder in a request to an allowed host the credential
// is not bound to is refused, and no login happens on its behalf.
func TestLoginUnboundHostRefused(t *testing.T) {
	srv := startLoginServer(t)
	other := startEcho(t)
	var logs logbuf.Buffer
	// credprobe appends the name to its URL, here the scheme alone.
	st := loginStore(t, srv, "http://", other.host, map[string]any{"X-Token": "{{latchkey.credential:tok}}"}, "", &logs)
	if _, err := st.Get(context.Background(), secret.Request{Name: srv.host + "/echo"}); err != nil {
		t.Fatalf("the bound host: %v", err)
	}
	_, err := st.Get(context.Background(), secret.Request{Name: other.host + "/steal"})
	if err == nil {
		t.Fatal("a request to an unbound host carried the brokered credential")
	}
	if !strings.Contains(logs.String(), `credential \"tok\" is not bound to http://`+other.host) {
		t.Errorf("the refusal does not say why: %v\n%s", err, logs.String())
	}
	if n := srv.logins.Load(); n != 1 {
		t.Errorf("%d logins, want 1 (for the bound host only)", n)
	}
	for _, got := range other.received() {
		if strings.Contains(got, "tok-") {
			t.Errorf("the unbound host received %q", got)
		}
	}
}

// TestLoginRevokedMidCall: revocation between fetches costs exactly one
// re-login, and a login that keeps failing answers with an error naming
// the store, the credential and the step.
func TestLoginRevokedAndRefused(t *testing.T) {
	srv := startLoginServer(t)
	var logs logbuf.Buffer
	st := loginStore(t, srv, srv.URL, "", map[string]any{"X-Token": "{{latchkey.credential:tok}}"}, "", &logs)
	ctx := context.Background()
	for range 3 {
		if _, err := st.Get(ctx, secret.Request{Name: "/echo"}); err != nil {
			t.Fatal(err)
		}
	}
	srv.revoke()
	v, err := st.Get(ctx, secret.Request{Name: "/echo"})
	if err != nil || !strings.Contains(v.Value.RevealString(), `"status":200`) {
		t.Fatalf("after revocation: %v %s", err, v.Value.RevealString())
	}
	if n := srv.logins.Load(); n != 2 {
		t.Fatalf("%d logins, want 2", n)
	}
	// The API key stops working: the next revocation's re-login fails.
	srv.disabled.Store(true)
	srv.revoke()
	v, err = st.Get(ctx, secret.Request{Name: "/echo"})
	all := logs.String()
	if err == nil && !strings.Contains(v.Value.RevealString(), `"status":401`) {
		t.Fatalf("a failing login went unnoticed: %s", v.Value.RevealString())
	}
	for _, want := range []string{`store \"probe\"`, `credential \"tok\"`, "login refused", "[REDACTED:api_key]"} {
		if !strings.Contains(all, want) {
			t.Errorf("the log lacks %q:\n%s", want, all)
		}
	}
	assertNoBrokered(t, srv, "the log", []byte(all))
}

// TestOAuth2ClientCredentials: the host gets an access token from a
// token endpoint that checks what an OAuth2 server checks (HTTP Basic
// client authentication, grant_type, scope), uses it for 100 fetches with
// one token request, and asks again once when the API rejects it.
func TestOAuth2ClientCredentials(t *testing.T) {
	const clientID, clientSecret = "client-Pl4nted-id", "client-Pl4nted-secret"
	var tokens atomic.Int64
	var mu sync.Mutex
	valid := map[string]bool{}
	var issued []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/oauth/token" {
			id, sec, ok := r.BasicAuth()
			r.ParseForm()
			if !ok || id != clientID || sec != clientSecret {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(401)
				io.WriteString(w, `{"error":"invalid_client"}`)
				return
			}
			if r.PostForm.Get("grant_type") != "client_credentials" || r.PostForm.Get("scope") != "secrets.read" {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(400)
				io.WriteString(w, `{"error":"invalid_request"}`)
				return
			}
			b := make([]byte, 18)
			rand.Read(b)
			tok := "at-" + base64.RawURLEncoding.EncodeToString(b)
			mu.Lock()
			valid[tok] = true
			issued = append(issued, tok)
			mu.Unlock()
			tokens.Add(1)
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"access_token":%q,"token_type":"Bearer","expires_in":3600}`, tok)
			return
		}
		tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		mu.Lock()
		ok := valid[tok]
		mu.Unlock()
		if !ok {
			w.WriteHeader(401)
			return
		}
		fmt.Fprintf(w, `{"you":%q}`, tok)
	}))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	t.Setenv("OAUTH_TEST_ID", clientID)
	t.Setenv("OAUTH_TEST_SECRET", clientSecret)
	bound := []any{"http://" + host}
	settings := map[string]any{
		"module":         wasmtest.Build(t, "providers/wasm/testdata/guests/credprobe"),
		"allow_unpinned": true,
		"config":         map[string]any{"url": srv.URL, "header": map[string]any{"Authorization": "Bearer {{latchkey.credential:api}}"}},
		"allowed_hosts":  []any{host},
		"allow_http":     []any{host},
		"allow_networks": []any{"127.0.0.1/32"},
		"limits":         map[string]any{"instances": 1},
		"credentials": map[string]any{
			"cid":    map[string]any{"env": "OAUTH_TEST_ID", "hosts": bound},
			"csec":   map[string]any{"env": "OAUTH_TEST_SECRET", "hosts": bound},
			"api":    map[string]any{"oauth2": map[string]any{"token_url": srv.URL + "/oauth/token", "client_id": "cid", "client_secret": "csec", "scopes": []any{"secrets.read"}}, "hosts": bound},
			"unused": map[string]any{"env": "OAUTH_TEST_ID", "hosts": []any{"https://elsewhere.example"}},
		},
	}
	st, err := fromSpec(context.Background(), secret.Spec{Name: "oauth", Type: "wasm", Settings: settings}, sharedCache)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var note secret.FetchInfo
	for i := range 100 {
		v, err := st.Get(context.Background(), secret.Request{Name: "/api"})
		if err != nil || !strings.Contains(v.Value.RevealString(), "[REDACTED:api]") {
			t.Fatalf("fetch %d: %v %s", i, err, v.Value.RevealString())
		}
		if i == 0 {
			note = v.FetchInfo
		}
	}
	var audit []string
	for _, o := range note.Outbound {
		audit = append(audit, fmt.Sprintf("%s %s %d %v", o.Method, o.Path, o.Status, o.Credentials))
	}
	if want := "POST /oauth/token 200 [api cid csec]\nGET /api 200 [api]"; strings.Join(audit, "\n") != want {
		t.Errorf("the first fetch's audit:\n%s\nwant:\n%s", strings.Join(audit, "\n"), want)
	}
	if n := tokens.Load(); n != 1 {
		t.Fatalf("100 fetches made %d token requests, want 1", n)
	}
	mu.Lock()
	valid = map[string]bool{}
	mu.Unlock()
	if _, err := st.Get(context.Background(), secret.Request{Name: "/api"}); err != nil {
		t.Fatal(err)
	}
	if n := tokens.Load(); n != 2 {
		t.Fatalf("a rejected token made %d token requests in all, want 2", n)
	}
	st.Module().ScanIdleMemory(func(mem []byte) {
		mu.Lock()
		defer mu.Unlock()
		for _, v := range append(issued, clientID, clientSecret) {
			if leak := wasmtest.FindLeak(mem, []byte(v)); leak != "" {
				t.Errorf("linear memory holds a brokered value (%s form)", leak)
			}
		}
	})
}

// pki writes a CA, a server certificate for 127.0.0.1 and a client
// certificate (valid until notAfter) in dir.
func pki(t *testing.T, dir string, notAfter time.Time) (pool *x509.CertPool, server tls.Certificate, certFile, keyFile string, keyPEM []byte) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"}, IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	caDER, _ := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	ca, _ := x509.ParseCertificate(caDER)
	pool = x509.NewCertPool()
	pool.AddCert(ca)
	os.WriteFile(filepath.Join(dir, "ca.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600)
	leaf := func(cn string, usage x509.ExtKeyUsage, until time.Time, ip bool) ([]byte, *ecdsa.PrivateKey) {
		k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
			ExtKeyUsage: []x509.ExtKeyUsage{usage}, NotBefore: time.Now().Add(-2 * time.Hour), NotAfter: until}
		if ip {
			tmpl.IPAddresses = append(tmpl.IPAddresses, []byte{127, 0, 0, 1})
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return der, k
	}
	sDER, sKey := leaf("127.0.0.1", x509.ExtKeyUsageServerAuth, time.Now().Add(time.Hour), true)
	server = tls.Certificate{Certificate: [][]byte{sDER}, PrivateKey: sKey}
	cDER, cKey := leaf("latchkey-client", x509.ExtKeyUsageClientAuth, notAfter, false)
	kb, _ := x509.MarshalECPrivateKey(cKey)
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
	certFile, keyFile = filepath.Join(dir, "client.crt"), filepath.Join(dir, "client.key")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cDER}), 0o600)
	os.WriteFile(keyFile, keyPEM, 0o600)
	return pool, server, certFile, keyFile, keyPEM
}

// TestClientCertificate: an mTLS server that refuses a connection without
// a client certificate answers the store whose bound client_cert the host
// presents, and refuses the same module without it; the key is never in
// the guest's memory; an expired certificate is refused at load, naming
// the step.
func TestClientCertificate(t *testing.T) {
	dir := t.TempDir()
	pool, serverCert, certFile, keyFile, keyPEM := pki(t, dir, time.Now().Add(time.Hour))
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"client":%q}`, r.TLS.PeerCertificates[0].Subject.CommonName)
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{serverCert}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "https://")
	build := func(creds map[string]any) (*Store, error) {
		settings := map[string]any{
			"module":         wasmtest.Build(t, "providers/wasm/testdata/guests/credprobe"),
			"allow_unpinned": true,
			"config":         map[string]any{"url": srv.URL},
			"allowed_hosts":  []any{host},
			"allow_networks": []any{"127.0.0.1/32"},
			"ca_file":        filepath.Join(dir, "ca.pem"), // the server's CA, besides the system's
			"limits":         map[string]any{"instances": 1},
			"credentials":    creds,
		}
		st, err := fromSpec(context.Background(), secret.Spec{Name: "mtls", Type: "wasm", Settings: settings}, sharedCache)
		if err == nil {
			t.Cleanup(func() { st.Close() })
		}
		return st, err
	}
	with, err := build(map[string]any{"client": map[string]any{"client_cert": map[string]any{"cert": certFile, "key": keyFile}, "hosts": []any{host}}})
	if err != nil {
		t.Fatal(err)
	}
	v, err := with.Get(context.Background(), secret.Request{Name: "/who"})
	note := v.FetchInfo
	if err != nil || !strings.Contains(v.Value.RevealString(), "latchkey-client") {
		t.Fatalf("with the certificate: %v %s", err, v.Value.RevealString())
	}
	if o := note.Outbound; len(o) != 1 || fmt.Sprint(o[0].Credentials) != "[client]" {
		t.Errorf("audit %+v, want the request naming credential client", o)
	}
	without, err := build(nil)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := without.Get(context.Background(), secret.Request{Name: "/who"}); err == nil {
		t.Fatalf("the mTLS server answered a connection without a certificate: %s", v.Value.RevealString())
	}
	block, _ := pem.Decode(keyPEM)
	with.Module().ScanIdleMemory(func(mem []byte) {
		for _, v := range [][]byte{keyPEM, block.Bytes} {
			if leak := wasmtest.FindLeak(mem, v); leak != "" {
				t.Errorf("the client key is in the guest's memory (%s form)", leak)
			}
		}
	})

	_, _, oldCert, oldKey, _ := pki(t, t.TempDir(), time.Now().Add(-time.Minute))
	_, err = build(map[string]any{"client": map[string]any{"client_cert": map[string]any{"cert": oldCert, "key": oldKey}, "hosts": []any{host}}})
	if err == nil || !strings.Contains(err.Error(), "expired certificate") || !strings.Contains(err.Error(), "credentials.client.client_cert") {
		t.Errorf("an expired certificate: %v", err)
	}
}

// TestBrokeredConfigErrors: every bad brokered setting is reported,
// naming its key, and none is a panic.
func TestBrokeredConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		cred map[string]any
		want string
	}{
		{"login without token", map[string]any{"login": map[string]any{"url": "https://a.example/l", "lifetime": map[string]any{"fixed": "8m"}}, "hosts": []any{"a.example"}}, "credentials.x.login.token"},
		{"login without lifetime", map[string]any{"login": map[string]any{"url": "https://a.example/l", "token": map[string]any{"body": true}}, "hosts": []any{"a.example"}}, "credentials.x.login.lifetime"},
		{"login bad url", map[string]any{"login": map[string]any{"url": "/relative", "token": map[string]any{"body": true}, "lifetime": map[string]any{"fixed": "8m"}}, "hosts": []any{"a.example"}}, "credentials.x.login.url"},
		{"login bad encoding", map[string]any{"login": map[string]any{"url": "https://a.example/l", "token": map[string]any{"body": true}, "lifetime": map[string]any{"fixed": "8m"}, "encoding": "rot13"}, "hosts": []any{"a.example"}}, "credentials.x.login.encoding"},
		{"login unbound", map[string]any{"login": map[string]any{"url": "https://a.example/l", "token": map[string]any{"body": true}, "lifetime": map[string]any{"fixed": "8m"}}}, "credentials.x.hosts"},
		{"two kinds", map[string]any{"env": "HOME", "token_file": "/etc/hostname", "hosts": []any{"a.example"}}, "credentials.x"},
		{"oauth2 without client", map[string]any{"oauth2": map[string]any{"token_url": "https://a.example/t"}, "hosts": []any{"a.example"}}, "credentials.x.oauth2"},
		{"missing token file", map[string]any{"token_file": "/nonexistent/token", "hosts": []any{"a.example"}}, "credentials.x.token_file"},
		{"cert without key", map[string]any{"client_cert": map[string]any{"cert": "/x.crt"}, "hosts": []any{"a.example"}}, "credentials.x.client_cert"},
		{"sigv4 without service", map[string]any{"aws_sigv4": map[string]any{"region": "eu-west-1"}, "hosts": []any{"a.example"}}, "credentials.x.aws_sigv4.service"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := fromSpec(context.Background(), secret.Spec{Name: "bad", Type: "wasm", Settings: map[string]any{
				"module": "/nonexistent.wasm", "allow_unpinned": true, "credentials": map[string]any{"x": tc.cred},
			}}, sharedCache)
			if err == nil || !strings.Contains(err.Error(), `"`+tc.want) || !strings.Contains(err.Error(), `store "bad"`) {
				t.Errorf("error %v, want one naming %s", err, tc.want)
			}
		})
	}
}

// FuzzJSONPath feeds a login answer a server controls, and a path, to
// the token finder: never a panic.
func FuzzJSONPath(f *testing.F) {
	f.Add([]byte(`{"auth":{"client_token":"hvs.x","lease_duration":3600}}`), "auth.client_token")
	f.Add([]byte(`{"a":[{"b":"c"}]}`), "a.0.b")
	f.Add([]byte(`[1,2]`), "-1")
	f.Fuzz(func(t *testing.T, doc []byte, path string) {
		v, ok := jsonPath(doc, path)
		seconds(v, ok)
		_, _ = json.Marshal(v)
	})
}

// TestCAFileErrors: a ca_file that cannot be read or holds no certificate
// is refused, naming the setting.
func TestCAFileErrors(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "empty.pem")
	os.WriteFile(empty, []byte("not a certificate"), 0o600)
	for _, f := range []string{"/nonexistent/ca.pem", empty} {
		_, err := fromSpec(context.Background(), secret.Spec{Name: "ca", Type: "wasm", Settings: map[string]any{
			"module": "/nonexistent.wasm", "allow_unpinned": true, "ca_file": f}}, sharedCache)
		if err == nil || !strings.Contains(err.Error(), `setting "ca_file"`) {
			t.Errorf("ca_file %s: %v", f, err)
		}
	}
}
