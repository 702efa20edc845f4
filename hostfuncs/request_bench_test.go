package hostfuncs

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/latchkey/latchkey/internal/egress"
)

// BenchmarkRequest makes one request over loopback for a 256 KiB response
// through a client without credentials (the baseline) and through one whose
// credential the request carries and whose response is redacted: the
// ratio is what redaction adds to a real request.
func BenchmarkRequest(b *testing.B) {
	srv := startEchoServer(b)
	for _, tc := range []struct {
		name   string
		header string
		client func(*httptest.Server) (*egress.Client, error)
	}{
		{"no credentials", "X-Token: plain-value-of-29-bytes-xxxxx\n", func(srv *httptest.Server) (*egress.Client, error) {
			host := srv.Listener.Addr().String()
			return egress.NewClient(HTTPOptions{AllowedHosts: []string{host}, AllowHTTP: []string{host}, AllowPrivateNetworks: true})
		}},
		{"credential and redaction", "X-Token: {{latchkey.credential:tok}}\n", func(srv *httptest.Server) (*egress.Client, error) {
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
				if _, st := doOn(c, context.Background(), call, "GET", srv.URL+"/big", tc.header, nil); st != 200 {
					b.Fatalf("status %d: %s", st, call.Refusal())
				}
			}
		})
	}
}
