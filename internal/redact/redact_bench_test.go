package redact

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"testing"
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
	short := New([]string{"short"}, [][]byte{[]byte("Sh0rt-8b")})
	b.Run("8-byte credential", func(b *testing.B) { benchRedact(b, short) })
}

func benchRedact(b *testing.B, creds *Redactor) {
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
