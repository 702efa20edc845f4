package hostfuncs

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/latchkey/latchkey/internal/redact"
	"github.com/latchkey/latchkey/secret"

	"github.com/latchkey/latchkey/internal/egress"
)

// Planted credential values: they must reach the bound server and appear
// in no response, refusal or log.
const (
	plantedToken = `tok-Pl4nted/"quoted"\back+slash=`
	plantedPass  = "pass-Pl4nted-9f2c"
)

// credServer is a loopback server that records what it received and
// echoes credentials back, as a careless (or compromised) API might.
type credServer struct {
	srv  *httptest.Server
	host string
	mu   sync.Mutex
	seen []string // "path header-value body"
}

func startCredServer(t *testing.T, other **credServer) *credServer {
	t.Helper()
	s := &credServer{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.seen = append(s.seen, r.URL.Path+" "+r.Header.Get("X-Token")+" "+string(body))
		s.mu.Unlock()
		switch r.URL.Path {
		case "/redirect-away":
			http.Redirect(w, r, (*other).srv.URL+"/echo", http.StatusTemporaryRedirect)
		case "/redirect-here":
			http.Redirect(w, r, "/echo", http.StatusFound)
		case "/login":
			var in struct{ Password string }
			if json.Unmarshal(body, &in) != nil || in.Password != plantedPass {
				http.Error(w, "bad login", http.StatusUnauthorized)
				return
			}
			w.Write([]byte(`{"token":"session-ok","echo":"` + in.Password + `"}`))
		default: // echo the header in every form a server might
			v := r.Header.Get("X-Token")
			w.Header().Set("X-Echo", v)
			enc, _ := json.Marshal(map[string]string{"token": v, "b64": base64.StdEncoding.EncodeToString([]byte(v))})
			w.Write(enc)
		}
	}))
	t.Cleanup(s.srv.Close)
	s.host = strings.TrimPrefix(s.srv.URL, "http://")
	return s
}

func (s *credServer) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.seen...)
}

func TestCredentials(t *testing.T) {
	var a, b *credServer
	a = startCredServer(t, &b)
	b = startCredServer(t, &a)
	creds, err := NewCredentials([]Credential{
		{Name: "tok", Value: secret.StringValue(plantedToken), Hosts: []string{"http://" + a.host}},
		{Name: "pass", Value: secret.StringValue(plantedPass), Hosts: []string{"http://" + a.host}, BodyPaths: []string{"/login"}},
		{Name: "tls_only", Value: secret.StringValue(plantedPass + "-tls"), Hosts: []string{a.host}},
	})
	if err != nil {
		t.Fatal(err)
	}
	opts := HTTPOptions{AllowedHosts: []string{a.host, b.host}, AllowHTTP: []string{a.host, b.host}, AllowPrivateNetworks: true}
	creds.Install(&opts)
	client, err := egress.NewClient(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	var logs bytes.Buffer
	var logMu sync.Mutex
	logger := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		logMu.Lock()
		defer logMu.Unlock()
		return logs.Write(p)
	}), nil)).With("module", "credmod")

	tests := []struct {
		name    string
		method  string
		url     string
		header  string
		body    string
		status  int32
		refusal []string // substrings of the refusal
		server  string   // what server a or b must have received, if anything
		want    []string // substrings of what the guest gets back
	}{
		{name: "bound host", url: a.srv.URL + "/echo", header: "X-Token: {{latchkey.credential:tok}}",
			status: 200, server: "/echo " + plantedToken, want: []string{"X-Echo: [REDACTED:tok]", `"token":"[REDACTED:tok]"`, `"b64":"[REDACTED:tok]"`}},
		{name: "value inside a header", url: a.srv.URL + "/echo", header: "X-Token: pre {{latchkey.credential:tok}} post",
			status: 200, server: "/echo pre " + plantedToken + " post"},
		{name: "redirect on the bound host", url: a.srv.URL + "/redirect-here", header: "X-Token: {{latchkey.credential:tok}}",
			status: 200, server: "/echo " + plantedToken},
		{name: "base64", url: a.srv.URL + "/echo", header: "X-Token: {{latchkey.credential:tok|base64}}",
			status: 200, server: "/echo " + base64.StdEncoding.EncodeToString([]byte(plantedToken)), want: []string{"X-Echo: [REDACTED:tok]"}},
		{name: "unknown credential", url: a.srv.URL + "/echo", header: "X-Token: {{latchkey.credential:nope}}",
			status: StatusCredential, refusal: []string{`unknown credential "nope"`, "pass, tls_only, tok"}},
		{name: "unbound host", url: b.srv.URL + "/echo", header: "X-Token: {{latchkey.credential:tok}}",
			status: StatusCredential, refusal: []string{`credential "tok" is not bound to http://` + b.host}},
		{name: "redirect to an unbound host", url: a.srv.URL + "/redirect-away", header: "X-Token: {{latchkey.credential:tok}}",
			status: StatusCredential, refusal: []string{`credential "tok" is not bound to http://` + b.host}, server: "/redirect-away " + plantedToken},
		{name: "https-only binding over http", url: a.srv.URL + "/echo", header: "X-Token: {{latchkey.credential:tls_only}}",
			status: StatusCredential, refusal: []string{`credential "tls_only" is not bound to http://` + a.host}},
		{name: "placeholder in the query", url: a.srv.URL + "/echo?t={{latchkey.credential:tok}}",
			status: StatusCredential, refusal: []string{"never in the URL"}},
		{name: "escaped placeholder in the path", url: a.srv.URL + "/%7B%7Blatchkey.credential:tok%7D%7D",
			status: StatusCredential, refusal: []string{"never in the URL"}},
		{name: "malformed", url: a.srv.URL + "/echo", header: "X-Token: {{latchkey.credential:tok",
			status: StatusCredential, refusal: []string{"malformed credential placeholder"}},
		{name: "unknown encoding", url: a.srv.URL + "/echo", header: "X-Token: {{latchkey.credential:tok|hex}}",
			status: StatusCredential, refusal: []string{`unknown encoding "hex"`}},
		{name: "body on an allowed path", method: "POST", url: a.srv.URL + "/login",
			body:   `{"name":"root","password":"{{latchkey.credential:pass|json}}"}`,
			status: 200, want: []string{`"token":"session-ok"`, `"echo":"[REDACTED:pass]"`}},
		{name: "body on another path", method: "POST", url: a.srv.URL + "/echo",
			body:   `{"password":"{{latchkey.credential:pass|json}}"}`,
			status: StatusCredential, refusal: []string{`credential "pass" may not be sent in the body of a request to path /echo`}},
		{name: "body of a credential without body paths", method: "POST", url: a.srv.URL + "/login",
			body:   `{"password":"{{latchkey.credential:tok|json}}"}`,
			status: StatusCredential, refusal: []string{`credential "tok" may not be sent in the body`}},
		{name: "no placeholder", url: b.srv.URL + "/echo", header: "X-Token: plain", status: 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			beforeA, beforeB := len(a.requests()), len(b.requests())
			call := &Call{Module: "credmod", HTTP: client, Logger: logger}
			method := tc.method
			if method == "" {
				method = "GET"
			}
			resp, status := doOn(client, context.Background(), call, method, tc.url, tc.header, []byte(tc.body))
			if status != tc.status {
				t.Fatalf("status %d, want %d (refusal %q)", status, tc.status, call.Refusal())
			}
			for _, want := range tc.refusal {
				if !strings.Contains(call.Refusal(), want) {
					t.Errorf("refusal %q lacks %q", call.Refusal(), want)
				}
			}
			var got string
			if resp != nil {
				got = string(resp.Header) + string(resp.Body)
			}
			for _, want := range tc.want {
				if !strings.Contains(got, want) {
					t.Errorf("guest would read %q, lacking %q", got, want)
				}
			}
			for _, v := range []string{plantedToken, plantedPass, base64.StdEncoding.EncodeToString([]byte(plantedToken))} {
				if strings.Contains(got, v) || strings.Contains(call.Refusal(), v) {
					t.Errorf("a credential value reached the guest or the refusal: %q / %q", got, call.Refusal())
				}
			}
			newA, newB := a.requests()[beforeA:], b.requests()[beforeB:]
			if tc.server != "" && !hasPrefixIn(newA, tc.server) {
				t.Errorf("bound server received %q, want %q", newA, tc.server)
			}
			if tc.status < 0 && tc.server == "" && len(newA) > 0 {
				t.Errorf("a refused request reached the bound server: %q", newA)
			}
			for _, r := range newB {
				if strings.Contains(r, plantedToken) || strings.Contains(r, plantedPass) {
					t.Errorf("the unbound server received a credential: %q", r)
				}
			}
		})
	}
	logMu.Lock()
	defer logMu.Unlock()
	out := logs.String()
	if !strings.Contains(out, "module=credmod") || !strings.Contains(out, `credential \"tok\" is not bound`) {
		t.Errorf("refusals must be logged under the module's name, naming the credential: %s", out)
	}
	for _, v := range []string{plantedToken, plantedPass} {
		if strings.Contains(out, v) {
			t.Errorf("the log holds a credential value: %s", out)
		}
	}
}

func hasPrefixIn(list []string, prefix string) bool {
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func TestNewCredentialsErrors(t *testing.T) {
	tests := []struct {
		name  string
		cred  Credential
		wants []string
	}{
		{"short value", Credential{Name: "a", Value: secret.StringValue("short"), Hosts: []string{"h"}}, []string{`"a"`, "at least 8"}},
		{"bad name", Credential{Name: "a.b", Value: secret.StringValue(plantedPass), Hosts: []string{"h"}}, []string{"letters, digits"}},
		{"no host", Credential{Name: "a", Value: secret.StringValue(plantedPass)}, []string{"bound to no host"}},
		{"bad host", Credential{Name: "a", Value: secret.StringValue(plantedPass), Hosts: []string{"ftp://h", "h/path", "x.*.com"}}, []string{"ftp://h", "h/path", "x.*.com"}},
		{"bad body path", Credential{Name: "a", Value: secret.StringValue(plantedPass), Hosts: []string{"h"}, BodyPaths: []string{"login", "/x?y"}}, []string{`"login"`, `"/x?y"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewCredentials([]Credential{tc.cred})
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %s: %v", w, err)
				}
			}
			if strings.Contains(err.Error(), plantedPass) {
				t.Errorf("error holds the value: %v", err)
			}
		})
	}
	if _, err := NewCredentials([]Credential{
		{Name: "a", Value: secret.StringValue(plantedPass), Hosts: []string{"h"}},
		{Name: "a", Value: secret.StringValue(plantedPass), Hosts: []string{"h"}},
	}); err == nil || !strings.Contains(err.Error(), "declared twice") {
		t.Errorf("duplicate: %v", err)
	}
}

func TestRedact(t *testing.T) {
	creds, err := NewCredentials([]Credential{
		{Name: "long", Value: secret.StringValue("abcdefgh-ijkl"), Hosts: []string{"h"}},
		{Name: "short", Value: secret.StringValue("abcdefgh"), Hosts: []string{"h"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, in, want string }{
		{"none", "nothing here", "nothing here"},
		{"longest first", "x abcdefgh-ijkl y abcdefgh", "x [REDACTED:long] y [REDACTED:short]"},
		{"base64", base64.StdEncoding.EncodeToString([]byte("abcdefgh-ijkl")), "[REDACTED:long]"},
		{"raw base64", base64.RawURLEncoding.EncodeToString([]byte("abcdefgh")), "[REDACTED:short]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(creds.Redact([]byte(tc.in))); got != tc.want {
				t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// FuzzCredentialHook feeds arbitrary header values and bodies to the hook:
// it must never panic, and a request it lets through to an unbound host
// never carries the value.
func FuzzCredentialHook(f *testing.F) {
	creds, err := NewCredentials([]Credential{{Name: "tok", Value: secret.StringValue(plantedPass), Hosts: []string{"bound.example"}, BodyPaths: []string{"/login"}}})
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"{{latchkey.credential:tok}}", "{{latchkey.credential:tok|json}}{{latchkey.credential:", "{{latchkey.credential:tok|}}", "x"} {
		f.Add(s, s, true)
	}
	f.Fuzz(func(t *testing.T, header, body string, bound bool) {
		host := "https://other.example/login"
		if bound {
			host = "https://bound.example/login"
		}
		req, err := http.NewRequest("POST", host, strings.NewReader(body))
		if err != nil {
			t.Skip()
		}
		req.Header["X-Token"] = []string{header}
		err = creds.Hook(context.Background(), req)
		if err != nil || bound {
			return
		}
		got, _ := io.ReadAll(req.Body)
		if strings.Contains(req.Header.Get("X-Token"), plantedPass) && !strings.Contains(header, plantedPass) ||
			strings.Contains(string(got), plantedPass) && !strings.Contains(body, plantedPass) {
			t.Fatalf("the value was substituted for an unbound host")
		}
	})
}

// TestMinCredentialLenIsRedacted: every value NewCredentials accepts is
// long enough for the redactor to blank out of a response.
func TestMinCredentialLenIsRedacted(t *testing.T) {
	if MinCredentialLen < redact.MinLen {
		t.Fatalf("MinCredentialLen is %d, but the redactor ignores values under %d bytes", MinCredentialLen, redact.MinLen)
	}
	v := strings.Repeat("k", MinCredentialLen)
	c, err := NewCredentials([]Credential{{Name: "k", Value: secret.StringValue(v), Hosts: []string{"h"}}})
	if err != nil {
		t.Fatal(err)
	}
	if out := c.Redact([]byte("<" + v + ">")); bytes.Contains(out, []byte(v)) {
		t.Errorf("a value of MinCredentialLen bytes survives: %q", out)
	}
}
