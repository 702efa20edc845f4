package hostfuncs

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/latchkey/latchkey/secret"
)

// benchBody is a 1 MiB JSON response of the kind a secret store returns,
// without escapes (plain) or with JSON and percent escapes throughout.
func benchBody(escaped bool) []byte {
	var b bytes.Buffer
	b.WriteString(`{"items":[`)
	for i := 0; b.Len() < 1<<20; i++ {
		v := fmt.Sprintf("value-%08d-abcdefghijklmnop", i)
		if escaped {
			v = fmt.Sprintf(`https:\/\/svc.example\/v1\/item%%2F%d \u00e9`, i)
		}
		fmt.Fprintf(&b, `{"name":"item-%d","value":"%s"},`, i, v)
	}
	b.WriteString(`{}]}`)
	return b.Bytes()
}

// oldRedact is the redaction this package did before: literal search for
// the raw, JSON-, URL- and base64-encoded forms. It is the baseline.
func oldRedact(forms [][]byte, repl []byte, b []byte) []byte {
	for _, f := range forms {
		if bytes.Contains(b, f) {
			b = bytes.ReplaceAll(b, f, repl)
		}
	}
	return b
}

func oldForms(v []byte) [][]byte {
	j, _ := json.Marshal(string(v))
	out := [][]byte{v, j[1 : len(j)-1], []byte(url.QueryEscape(string(v))), []byte(url.PathEscape(string(v)))}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		out = append(out, []byte(enc.EncodeToString(v)))
	}
	return out
}

// BenchmarkRedact compares, over a 1 MiB response, a plain copy of the
// body, the old literal search and the redactor, on a body without escapes
// and one full of them. Read the ratios, not the absolute times.
func BenchmarkRedact(b *testing.B) {
	b.Run("29-byte credential", func(b *testing.B) { benchRedact(b, echoCreds(b)) })
	short, err := NewCredentials([]Credential{{Name: "short", Value: secret.StringValue("Sh0rt-8b"), Hosts: []string{"h"}}})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("8-byte credential", func(b *testing.B) { benchRedact(b, short) })
}

func benchRedact(b *testing.B, creds *Credentials) {
	forms := oldForms([]byte(echoCred))
	repl := []byte("[REDACTED:tok]")
	for _, escaped := range []bool{false, true} {
		body := benchBody(escaped)
		kind := map[bool]string{false: "plain", true: "escaped"}[escaped]
		b.Run(kind+"/copy", func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				_ = bytes.Clone(body)
			}
		})
		b.Run(kind+"/old", func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				_ = oldRedact(forms, repl, body)
			}
		})
		b.Run(kind+"/new", func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				_ = creds.Redact(body)
			}
		})
	}
}

// BenchmarkRequest makes one request over loopback for a 256 KiB response
// through a client without credentials (the baseline) and through one whose
// credential the request carries and whose response is redacted: the
// ratio is what redaction adds to a real request.
func BenchmarkRequest(b *testing.B) {
	srv := startEchoServer(b)
	for _, tc := range []struct {
		name   string
		header string
		client func(*httptest.Server) (*Client, error)
	}{
		{"no credentials", "X-Token: plain-value-of-29-bytes-xxxxx\n", func(srv *httptest.Server) (*Client, error) {
			host := srv.Listener.Addr().String()
			return NewClient(HTTPOptions{AllowedHosts: []string{host}, AllowHTTP: []string{host}, AllowPrivateNetworks: true})
		}},
		{"credential and redaction", "X-Token: {{latchkey.credential:tok}}\n", func(srv *httptest.Server) (*Client, error) {
			return echoClientB(b, srv), nil
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			c, err := tc.client(srv)
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			for b.Loop() {
				call := &Call{Module: "bench", HTTP: c}
				if _, st := c.do(context.Background(), call, "GET", srv.URL+"/big", tc.header, nil); st != 200 {
					b.Fatalf("status %d: %s", st, call.Refusal())
				}
			}
		})
	}
}
