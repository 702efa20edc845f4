package api

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNewClientAddresses(t *testing.T) {
	tests := []struct {
		name, addr, token string
		wantErr           string // "" for none
	}{
		{"unix path", "unix:///run/x.sock", "", ""},
		{"unix default", "unix://", "", ""},
		{"tcp with a token", "tcp://127.0.0.1:2773", "t", ""},
		{"tcp without a token", "tcp://127.0.0.1:2773", "", "TCP needs a token"},
		{"tcp without a port", "tcp://127.0.0.1", "t", "want tcp://HOST:PORT"},
		{"http scheme", "http://127.0.0.1:2773", "t", "want unix:///PATH or tcp://HOST:PORT"},
		{"bare path", "/run/x.sock", "", "want unix:///PATH or tcp://HOST:PORT"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := NewClient(tc.addr, tc.token)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				c.Close()
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), tc.addr) {
				t.Fatalf("error %v, want one naming %q and saying %q", err, tc.addr, tc.wantErr)
			}
			if tc.token != "" && strings.Contains(err.Error(), tc.token+"\"") {
				t.Errorf("the error holds the token: %v", err)
			}
		})
	}
}

func TestValueBytes(t *testing.T) {
	s := "text"
	tests := []struct {
		name    string
		v       Value
		want    string
		wantErr bool
	}{
		{"string", Value{String: &s}, "text", false},
		{"base64", Value{Base64: "AP8="}, "\x00\xff", false},
		{"empty", Value{}, "", false},
		{"bad base64", Value{Base64: "%%%"}, "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := tc.v.Bytes()
			if (err != nil) != tc.wantErr || string(b) != tc.want {
				t.Fatalf("Bytes() = %q, %v", b, err)
			}
		})
	}
}

// serveUnix answers every request on a new unix socket with h and returns
// the socket's address for NewClient.
func serveUnix(t *testing.T, h http.HandlerFunc) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "lkapi")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "s.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return "unix://" + path
}

// TestClientAnswers: what a Client makes of each kind of answer, from a
// server on a real unix socket: the API's error body is a ResponseError
// with its code, anything else that is not 200 is one with code internal
// naming the status, a 200 that is not the endpoint's JSON is an error
// naming the address, and no server at all wraps ErrUnreachable.
func TestClientAnswers(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		body     string
		wantCode string // the ResponseError's code; "" when the error is not one
		wantErr  string
	}{
		{"API error", 422, `{"error":{"code":"resolution_failed","message":"1 field(s) failed","errors":[{"kind":"not_found","field":"a","message":"m"}]}}`, CodeResolutionFailed, "1 field(s) failed"},
		{"not JSON", 502, "<html>bad gateway</html>", CodeInternal, "answered 502 Bad Gateway"},
		{"JSON without a code", 500, `{"error":{}}`, CodeInternal, "answered 500"},
		{"200 not JSON", 200, "healthy", "", "the answer is not what latchkey serve sends"},
		{"ok", 200, `{"workflow":"w","fields":[{"name":"a","value":"v","secret":true}]}`, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			addr := serveUnix(t, func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodPost || r.URL.Path != "/v1/resolve" || r.URL.Query().Get("name") != "wf.yaml" {
					http.Error(w, "unexpected request "+r.Method+" "+r.URL.String(), http.StatusTeapot)
					return
				}
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			})
			c, err := NewClient(addr, "")
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			resp, err := c.Resolve(context.Background(), "wf.yaml", []byte("fields: {}"))
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				res, err := resp.Result()
				if v, ok := res.Get("a"); err != nil || !ok || string(v.Reveal()) != "v" || !res.Fields[0].Secret {
					t.Fatalf("result %+v, %v", res, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want %q", err, tc.wantErr)
			}
			var re *ResponseError
			switch {
			case tc.wantCode == "" && errors.As(err, &re):
				t.Fatalf("a ResponseError for a 200: %+v", re)
			case tc.wantCode != "" && (!errors.As(err, &re) || re.Code != tc.wantCode || re.Status != tc.status):
				t.Fatalf("error %#v, want a ResponseError %d %q", err, tc.status, tc.wantCode)
			}
		})
	}
	t.Run("no server", func(t *testing.T) {
		c, err := NewClient("unix://"+filepath.Join(t.TempDir(), "none.sock"), "")
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Check(context.Background(), "wf.yaml", nil, true)
		if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "none.sock") {
			t.Fatalf("error %v, want ErrUnreachable naming the socket", err)
		}
	})
}
