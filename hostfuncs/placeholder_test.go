package hostfuncs

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/latchkey/latchkey/secret"

	"github.com/latchkey/latchkey/internal/egress"
)

// TestUnknownPlaceholderRefused sends credential placeholders that name no
// credential — in the URL (raw and percent-encoded, path and query), in
// a header, in the body — from a store without a credentials section and
// from one with credentials: every request is refused with
// StatusCredential and a log line naming the placeholder, and the loopback
// server never receives a byte of the placeholder in any form.
func TestUnknownPlaceholderRefused(t *testing.T) {
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var b strings.Builder
		r.Header.Write(&b)
		mu.Lock()
		got = append(got, r.RequestURI+"\n"+b.String()+"\n"+string(body))
		mu.Unlock()
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	base := HTTPOptions{AllowedHosts: []string{host}, AllowHTTP: []string{host}, AllowPrivateNetworks: true}
	withCreds := base
	creds, err := NewCredentials([]Credential{{Name: "tok", Value: secret.StringValue(plantedPass), Hosts: []string{"http://" + host}, BodyPaths: []string{"/login"}}})
	if err != nil {
		t.Fatal(err)
	}
	creds.Install(&withCreds)

	tests := []struct {
		name, method, url, header, body string
		reason                          string // in the refusal, beside the placeholder's name
	}{
		{"header", "GET", "/echo", "X-Token: {{latchkey.credential:nope}}", "", "header X-Token"},
		{"header with a filter", "GET", "/echo", "Authorization: Basic {{latchkey.credential:nope|base64}}", "", "header Authorization"},
		{"body", "POST", "/login", "", `{"password":"{{latchkey.credential:nope|json}}"}`, "the body"},
		{"path", "GET", "/a/{{latchkey.credential:nope}}", "", "", "URL"},
		{"percent-encoded path", "GET", "/a/%7B%7Blatchkey.credential:nope%7D%7D", "", "", "URL"},
		{"percent-encoded path, lower case", "GET", "/a/%7b%7blatchkey.credential%3anope%7d%7d", "", "", "URL"},
		{"query", "GET", "/echo?t={{latchkey.credential:nope}}", "", "", "URL"},
		{"percent-encoded query", "GET", "/echo?t=%7B%7Blatchkey.credential%3Anope%7D%7D", "", "", "URL"},
		{"malformed", "GET", "/echo", "X-Token: {{latchkey.credential:no pe}}", "", "malformed"},
	}
	for _, setup := range []struct {
		name string
		opts HTTPOptions
	}{{"no credentials section", base}, {"with credentials", withCreds}} {
		client, err := egress.NewClient(setup.opts)
		if err != nil {
			t.Fatal(err)
		}
		defer client.Close()
		for _, tc := range tests {
			t.Run(setup.name+"/"+tc.name, func(t *testing.T) {
				var logs bytes.Buffer
				call := &Call{Module: "phmod", HTTP: client, Logger: slog.New(slog.NewTextHandler(&logs, nil))}
				mu.Lock()
				before := len(got)
				mu.Unlock()
				_, status := doOn(client, context.Background(), call, tc.method, srv.URL+tc.url, tc.header, []byte(tc.body))
				if status != StatusCredential {
					t.Fatalf("status %d, want %d (refusal %q)", status, StatusCredential, call.Refusal())
				}
				want := []string{tc.reason}
				if tc.reason != "malformed" {
					want = append(want, "nope")
				}
				if setup.name == "with credentials" {
					// The credential hook refuses first, in its own words:
					// the name for a header or a body, the rule for a URL.
					switch {
					case tc.reason == "URL":
						want = []string{"never in the URL"}
					case tc.reason != "malformed":
						want = []string{"unknown credential", "nope"}
					}
				}
				for _, w := range want {
					if !strings.Contains(call.Refusal(), w) || !strings.Contains(logs.String(), w) {
						t.Errorf("refusal %q / log %q lacks %q", call.Refusal(), logs.String(), w)
					}
				}
				if !strings.Contains(logs.String(), "phmod") {
					t.Errorf("the log does not name the module: %s", logs.String())
				}
				mu.Lock()
				sent := got[before:]
				mu.Unlock()
				if len(sent) > 0 {
					t.Fatalf("the server received the request: %q", sent)
				}
			})
		}
	}
	// The control: the same server answers a request without a
	// placeholder, so a refusal above is the host's doing.
	client, _ := egress.NewClient(base)
	defer client.Close()
	if _, status := doOn(client, context.Background(), &Call{HTTP: client}, "GET", srv.URL+"/echo", "X-Token: plain", nil); status != 200 {
		t.Fatalf("a plain request: status %d", status)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, r := range got {
		if strings.Contains(strings.ToLower(r), "latchkey.credential") || strings.Contains(strings.ToLower(r), "latchkey.credential%3a") {
			t.Errorf("the server received a placeholder: %q", r)
		}
	}
}
