package server

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// rawRequest sends text on a new connection to addr and reads the answer
// as a response to method.
func rawRequest(t *testing.T, network, addr, method, text string) (int, string, http.Header) {
	t.Helper()
	c, err := net.Dial(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, text); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), &http.Request{Method: method})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// TestRouting pins what the router answers to requests that are not a
// plain call of an endpoint: a wrong method is the API's 405 with Allow
// (not the mux's), a GET endpoint answers HEAD, a path that is no
// endpoint's once decoded — unclean, with a trailing slash, "*", a
// CONNECT — is the API's 404 (never a redirect), a TCP caller without a
// token learns neither (401), and each is counted under its endpoint's
// name.
func TestRouting(t *testing.T) {
	h := start(t, "", nil)
	const token = "X-Latchkey-Token: " + testToken + "\r\n"
	tests := []struct {
		name    string
		network string // "unix" or "tcp"
		method  string
		text    string // the request line and headers
		status  int
		code    string // the JSON error's code, for errors
		allow   string
	}{
		{"GET of a POST endpoint", "unix", "GET", "GET /v1/resolve HTTP/1.1\r\nHost: l\r\n", 405, "method_not_allowed", "POST"},
		{"PUT of a GET endpoint", "unix", "PUT", "PUT /healthz HTTP/1.1\r\nHost: l\r\n", 405, "method_not_allowed", "GET"},
		{"POST of ping", "unix", "POST", "POST /ping HTTP/1.1\r\nHost: l\r\nContent-Length: 0\r\n", 405, "method_not_allowed", "GET"},
		{"HEAD of a GET endpoint", "unix", "HEAD", "HEAD /healthz HTTP/1.1\r\nHost: l\r\n", 200, "", ""},
		{"HEAD of a POST endpoint", "unix", "HEAD", "HEAD /v1/check HTTP/1.1\r\nHost: l\r\n", 405, "", "POST"},
		{"double slash", "unix", "GET", "GET /v1//secret?ref=x HTTP/1.1\r\nHost: l\r\n", 404, "no_such_endpoint", ""},
		{"dot segment", "unix", "GET", "GET /v1/./secret HTTP/1.1\r\nHost: l\r\n", 404, "no_such_endpoint", ""},
		{"dot-dot segment", "unix", "GET", "GET /x/../healthz HTTP/1.1\r\nHost: l\r\n", 404, "no_such_endpoint", ""},
		{"trailing slash", "unix", "GET", "GET /healthz/ HTTP/1.1\r\nHost: l\r\n", 404, "no_such_endpoint", ""},
		{"prefix of an endpoint", "unix", "GET", "GET /v1 HTTP/1.1\r\nHost: l\r\n", 404, "no_such_endpoint", ""},
		{"escaped letter", "unix", "GET", "GET /health%7A HTTP/1.1\r\nHost: l\r\n", 200, "", ""},
		{"escaped slash", "unix", "GET", "GET /v1%2Fsecret HTTP/1.1\r\nHost: l\r\n", 400, "bad_request", ""},
		{"absolute form", "unix", "GET", "GET http://elsewhere/healthz HTTP/1.1\r\nHost: l\r\n", 200, "", ""},
		{"asterisk", "unix", "GET", "GET * HTTP/1.1\r\nHost: l\r\n", 404, "no_such_endpoint", ""},
		{"connect", "unix", "CONNECT", "CONNECT l:443 HTTP/1.1\r\nHost: l:443\r\n", 404, "no_such_endpoint", ""},
		{"wrong method without a token", "tcp", "GET", "GET /v1/resolve HTTP/1.1\r\nHost: l\r\n", 401, "unauthorized", ""},
		{"unknown path without a token", "tcp", "DELETE", "DELETE /nothing HTTP/1.1\r\nHost: l\r\n", 401, "unauthorized", ""},
		{"unclean path without a token", "tcp", "GET", "GET /v1//secret HTTP/1.1\r\nHost: l\r\n", 401, "unauthorized", ""},
		{"wrong method with the token", "tcp", "GET", "GET /v1/watch HTTP/1.1\r\nHost: l\r\n" + token, 405, "method_not_allowed", "POST"},
		{"unclean path with the token", "tcp", "GET", "GET /v1//secret HTTP/1.1\r\nHost: l\r\n" + token, 404, "no_such_endpoint", ""},
		{"wrong method of ping without a token", "tcp", "PUT", "PUT /ping HTTP/1.1\r\nHost: l\r\nContent-Length: 0\r\n", 405, "method_not_allowed", "GET"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			addr := h.sock
			if tc.network == "tcp" {
				addr = h.tcp
			}
			status, body, hdr := rawRequest(t, tc.network, addr, tc.method, tc.text+"\r\n")
			if status != tc.status {
				t.Fatalf("status %d, want %d: %s", status, tc.status, body)
			}
			if tc.code != "" {
				var eb struct {
					Error struct{ Code, Message string }
				}
				if err := json.Unmarshal([]byte(body), &eb); err != nil || eb.Error.Code != tc.code || eb.Error.Message == "" {
					t.Errorf("body %q, want the JSON error %q", body, tc.code)
				}
			}
			if got := hdr.Get("Allow"); got != tc.allow {
				t.Errorf("Allow = %q, want %q", got, tc.allow)
			}
			if got := hdr.Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control = %q", got)
			}
		})
	}
	m := h.overUnix("GET", "/metrics", "").body
	for _, want := range []string{
		`latchkey_http_requests_total{code="405",endpoint="resolve"} 1`,
		`latchkey_http_requests_total{code="405",endpoint="healthz"} 1`,
		`latchkey_http_requests_total{code="405",endpoint="ping"} 2`,
		`latchkey_http_requests_total{code="405",endpoint="watch"} 1`,
		`latchkey_http_requests_total{code="404",endpoint="unknown"} 8`,
		`latchkey_http_requests_total{code="401",endpoint="unknown"} 2`,
		`latchkey_http_requests_total{code="401",endpoint="resolve"} 1`,
		`latchkey_http_requests_total{code="400",endpoint="secret"} 1`,
		`latchkey_http_requests_total{code="200",endpoint="healthz"} 3`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s:\n%s", want, grep(m, "latchkey_http_requests_total"))
		}
	}
}
