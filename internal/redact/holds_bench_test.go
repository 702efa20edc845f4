package redact

import (
	"bytes"
	"encoding/base64"
	"testing"
)

// BenchmarkHoldsValue compares HoldsValue (which decodes the version)
// with the redactor built for the values it replaces, on the same
// inputs: the strings of a small JSON document against an honest version
// (a UUID: all of it base64 characters) and against one holding a value
// in base64. Compare the two in one run:
//
//	go test ./internal/redact -run XXX -bench HoldsValue -benchmem
func BenchmarkHoldsValue(b *testing.B) {
	values := [][]byte{[]byte(`{"username":"etl","password":"pw-S3cret-77aa11bb","host":"db.internal.example","port":5432}`),
		[]byte("pw-S3cret-77aa11bb"), []byte("db.internal.example")}
	for _, tc := range []struct {
		name, version string
		want          bool
	}{
		{"honest", "3f2a9c1e-0b7d-4e55-9a61-2c8d1e0f4b3a", false},
		{"leaky", "v1-" + base64.StdEncoding.EncodeToString([]byte("pw-S3cret-77aa11bb")), true},
	} {
		text := []byte(tc.version)
		// The values a version of this length is checked against.
		var vs [][]byte
		for _, v := range values {
			if len(v) <= 2*len(text)+1 {
				vs = append(vs, v)
			}
		}
		b.Run(tc.name+"/redactor", func(b *testing.B) {
			for b.Loop() {
				if !bytes.Equal(New(names(len(vs)), vs).Redact(text), text) != tc.want {
					b.Fatal("wrong answer")
				}
			}
		})
		b.Run(tc.name+"/decoded", func(b *testing.B) {
			for b.Loop() {
				if HoldsValue(text, vs) != tc.want {
					b.Fatal("wrong answer")
				}
			}
		})
	}
}

func names(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "value"
	}
	return out
}
