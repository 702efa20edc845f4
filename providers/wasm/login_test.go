package wasm

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchkey/latchkey/hostfuncs"
	"github.com/latchkey/latchkey/internal/egress"
	"github.com/latchkey/latchkey/secret"
)

// TestLoginAnswers: where the token and its lifetime are in the answer
// (a JSON path, a header, the whole body; seconds as a number, a string, a
// header; fixed), and the errors naming the step when they are missing.
func TestLoginAnswers(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if string(body) != "key=input-Pl4nted-value" {
			http.Error(w, "bad input "+string(body), http.StatusForbidden)
			return
		}
		switch r.URL.Path {
		case "/json":
			io.WriteString(w, `{"auth":{"client_token":"json-token-value","lease_duration":"120"}}`)
		case "/header":
			w.Header().Set("X-Subject-Token", "header-token-value")
			w.Header().Set("X-Expires-In", "60")
			io.WriteString(w, `{}`)
		case "/body":
			io.WriteString(w, "  body-token-value\n")
		case "/short":
			io.WriteString(w, `{"token":"short"}`)
		case "/array":
			io.WriteString(w, `{"items":[{"t":"array-token-value"}],"ttl":0}`)
		}
	}))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	creds, err := hostfuncs.NewCredentials([]hostfuncs.Credential{
		{Name: "input", Value: secret.StringValue("input-Pl4nted-value"), Hosts: []string{"http://" + host}},
	})
	if err != nil {
		t.Fatal(err)
	}
	cl, err := egress.NewClient(hostfuncs.HTTPOptions{AllowedHosts: []string{host}, AllowHTTP: []string{host}, AllowPrivateNetworks: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	deps := &atomic.Pointer[brokerDeps]{}
	deps.Store(&brokerDeps{transport: cl.Transport(), creds: creds})
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		path     string
		token    func(*loginSettings)
		lifetime func(*loginSettings)
		body     string
		want     string
		life     time.Duration
		err      string
	}{
		{"json path, string seconds", "/json", func(l *loginSettings) { l.Token.JSON = "auth.client_token" },
			func(l *loginSettings) { l.Lifetime.JSON = "auth.lease_duration" }, "", "json-token-value", 120 * time.Second, ""},
		{"header and header seconds", "/header", func(l *loginSettings) { l.Token.Header = "X-Subject-Token" },
			func(l *loginSettings) { l.Lifetime.Header = "X-Expires-In" }, "", "header-token-value", time.Minute, ""},
		{"whole body, fixed", "/body", func(l *loginSettings) { l.Token.Body = true },
			func(l *loginSettings) { l.Lifetime.Fixed = "8m" }, "", "body-token-value", 8 * time.Minute, ""},
		{"array index, ttl 0 never expires", "/array", func(l *loginSettings) { l.Token.JSON = "items.0.t" },
			func(l *loginSettings) { l.Lifetime.JSON = "ttl" }, "", "array-token-value", 100 * 365 * 24 * time.Hour, ""},
		{"token path missing", "/json", func(l *loginSettings) { l.Token.JSON = "auth.nope" },
			func(l *loginSettings) { l.Lifetime.Fixed = "1m" }, "", "", 0, `credential "tok": token path missing`},
		{"lifetime path missing", "/json", func(l *loginSettings) { l.Token.JSON = "auth.client_token" },
			func(l *loginSettings) { l.Lifetime.JSON = "auth.ttl" }, "", "", 0, "lifetime path missing"},
		{"token too short", "/short", func(l *loginSettings) { l.Token.JSON = "token" },
			func(l *loginSettings) { l.Lifetime.Fixed = "1m" }, "", "", 0, "token missing"},
		{"refused, answer redacted", "/json", func(l *loginSettings) { l.Token.JSON = "auth.client_token" },
			func(l *loginSettings) { l.Lifetime.Fixed = "1m" }, "key=wrong {{latchkey.credential:input}}", "", 0, "login refused: POST http://" + host + "/json answered 403: bad input key=wrong [REDACTED:input]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := loginSettings{Method: "POST", URL: srv.URL + tc.path, Body: "key={{latchkey.credential:input}}"}
			if tc.body != "" {
				s.Body = tc.body
			}
			tc.token(&s)
			tc.lifetime(&s)
			var fixed time.Duration
			if s.Lifetime.Fixed != "" {
				fixed, _ = time.ParseDuration(s.Lifetime.Fixed)
			}
			l := &loginSource{exchanger: newExchanger("st", "tok", exchangeLimits{PerMinute: 600, Burst: 100}, deps), s: s, fixed: fixed,
				now: func() time.Time { return now }}
			v, err := l.Value(context.Background())
			if tc.err != "" {
				var se *stepError
				if err == nil || !errors.As(err, &se) || !strings.Contains(err.Error(), tc.err) || !strings.HasPrefix(err.Error(), `store "st": credential "tok": `) {
					t.Fatalf("error %v, want one with %q", err, tc.err)
				}
				if strings.Contains(err.Error(), "input-Pl4nted") {
					t.Errorf("the error holds the input: %v", err)
				}
				return
			}
			if err != nil || v.RevealString() != tc.want {
				t.Fatalf("value %q, %v; want %q", v.RevealString(), err, tc.want)
			}
			if got := l.expires.Sub(now); got != tc.life {
				t.Errorf("lifetime %v, want %v", got, tc.life)
			}
		})
	}
}

// TestLoginRenewal: the value is reused until two thirds of its life,
// renewed after; a renewal that fails while the old value lives returns
// the old value; the rate limit refuses a burst of logins, naming it.
func TestLoginRenewal(t *testing.T) {
	var n, fail atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fail.Load() != 0 {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, `{"t":"token-number-`+string(rune('0'+n.Add(1)))+`"}`)
	}))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	creds, _ := hostfuncs.NewCredentials(nil)
	cl, _ := egress.NewClient(hostfuncs.HTTPOptions{AllowedHosts: []string{host}, AllowHTTP: []string{host}, AllowPrivateNetworks: true})
	t.Cleanup(cl.Close)
	deps := &atomic.Pointer[brokerDeps]{}
	deps.Store(&brokerDeps{transport: cl.Transport(), creds: creds})
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := loginSettings{Method: "POST", URL: srv.URL}
	s.Token.JSON = "t"
	l := &loginSource{exchanger: newExchanger("st", "tok", exchangeLimits{PerMinute: 1, Burst: 4}, deps), s: s, fixed: 90 * time.Second,
		now: func() time.Time { return now }}
	get := func() string {
		t.Helper()
		v, err := l.Value(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return v.RevealString()
	}
	if first, second := get(), get(); first != "token-number-1" || second != "token-number-1" {
		t.Fatal("the first value was not reused")
	}
	now = now.Add(59 * time.Second)
	if get() != "token-number-1" {
		t.Fatal("renewed before two thirds of the lifetime")
	}
	now = now.Add(2 * time.Second)
	if get() != "token-number-2" {
		t.Fatal("not renewed after two thirds of the lifetime")
	}
	fail.Store(1)
	now = now.Add(61 * time.Second)
	if get() != "token-number-2" {
		t.Fatal("a failed renewal did not keep the living value")
	}
	now = now.Add(30 * time.Second) // past the expiry
	if _, err := l.Value(context.Background()); err == nil || !strings.Contains(err.Error(), "login refused") {
		t.Fatalf("an expired value with a failing login: %v", err)
	}
	// The burst of 4 is spent (two logins, two failed ones), at one a
	// minute: the next exchange is refused by the rate limit.
	fail.Store(0)
	if _, err := l.Value(context.Background()); err == nil || !strings.Contains(err.Error(), "rate limit") {
		t.Fatalf("a burst of logins: %v, want the rate limit", err)
	}
}

type answerTransport struct {
	status int
	header http.Header
	body   []byte
}

func (a answerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: a.status, Header: a.header, Body: io.NopCloser(strings.NewReader(string(a.body))), Request: r}, nil
}

// FuzzLoginAnswer feeds a login exchange answers a server controls
// (status, headers, body) for each way of finding the token and its
// lifetime: never a panic, and an error always names the store and the
// credential.
func FuzzLoginAnswer(f *testing.F) {
	f.Add(200, `{"auth":{"client_token":"hvs.token-value","lease_duration":3600}}`, "X-Subject-Token", "abcdefghijkl", "60", uint8(0))
	f.Add(200, `{"token":"x"}`, "", "", "", uint8(1))
	f.Add(401, `{"errors":["permission denied"]}`, "", "", "", uint8(2))
	f.Add(200, "  token-in-body  ", "X-Expires-In", "", "-5", uint8(3))
	creds, _ := hostfuncs.NewCredentials(nil)
	f.Fuzz(func(t *testing.T, status int, body, hname, hvalue, life string, mode uint8) {
		if status < 100 || status > 999 {
			status = 200
		}
		h := http.Header{}
		if hname != "" && validToken(hname) {
			h.Set(hname, hvalue)
			h.Set("X-Life", life)
		}
		deps := &atomic.Pointer[brokerDeps]{}
		deps.Store(&brokerDeps{transport: answerTransport{status, h, []byte(body)}, creds: creds})
		s := loginSettings{Method: "POST", URL: "https://login.example/v1/login"}
		switch mode % 4 {
		case 0:
			s.Token.JSON, s.Lifetime.JSON = "auth.client_token", "auth.lease_duration"
		case 1:
			s.Token.Header, s.Lifetime.Header = hname, "X-Life"
		case 2:
			s.Token.Body, s.Lifetime.Fixed = true, "1m"
		case 3:
			s.Token.JSON, s.Lifetime.Header = "token", "X-Life"
		}
		l := &loginSource{exchanger: newExchanger("st", "tok", exchangeLimits{PerMinute: 1 << 20, Burst: 1 << 20}, deps), s: s,
			fixed: time.Minute, now: time.Now}
		v, err := l.Value(context.Background())
		if err != nil && !strings.HasPrefix(err.Error(), `store "st": credential "tok": `) {
			t.Fatalf("error without store and credential: %v", err)
		}
		if err == nil && v.Len() < hostfuncs.MinCredentialLen {
			t.Fatalf("a value of %d bytes was accepted", v.Len())
		}
	})
}

func validToken(s string) bool {
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
