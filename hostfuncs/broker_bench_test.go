package hostfuncs

import (
	"bytes"
	"context"
	"net/http"
	"testing"

	"github.com/latchkey/latchkey/secret"

	"github.com/latchkey/latchkey/internal/egress"
)

// fixedSource is a Source with one value, as a login exchange is between
// renewals.
type fixedSource struct{ v secret.Value }

func (f fixedSource) Value(context.Context) (secret.Value, error) { return f.v, nil }
func (f fixedSource) Rejected(secret.Value) bool                  { return false }

// BenchmarkBrokeredHop compares, in one run, what the host adds to one hop
// for a credential: substituting its placeholder into a request header and
// redacting a 4 KiB answer, for a static value and for a brokered one (a
// Source asked for its value on every hop, the value learnt by the
// redactor).
func BenchmarkBrokeredHop(b *testing.B) {
	const value = "hvs.CAESIBenchmarkTokenValue0123456789abcdef"
	answer := bytes.Repeat([]byte(`{"data":{"password":"not-the-token","n":12345}},`), 85)
	for _, bc := range []struct {
		name string
		cred Credential
	}{
		{"static", Credential{Name: "tok", Value: secret.StringValue(value), Hosts: []string{"vault.example.com"}}},
		{"brokered", Credential{Name: "tok", Source: fixedSource{secret.StringValue(value)}, Hosts: []string{"vault.example.com"}}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			c, err := NewCredentials([]Credential{bc.cred})
			if err != nil {
				b.Fatal(err)
			}
			hs := &egress.Hop{}
			ctx := egress.WithHop(context.Background(), hs)
			req, _ := http.NewRequest("GET", "https://vault.example.com/v1/secret/data/app", nil)
			for b.Loop() {
				hs.Creds, hs.Used = hs.Creds[:0], hs.Used[:0]
				req.Header = http.Header{"X-Vault-Token": {"{{latchkey.credential:tok}}"}}
				if err := c.Hook(ctx, req); err != nil {
					b.Fatal(err)
				}
				c.Redact(answer)
			}
		})
	}
}
