package units

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// benchSettings is a store's settings as a provider declares them.
type benchSettings struct {
	Region      string        `json:"region"`
	AuthMethod  string        `json:"auth_method"`
	RoleARN     string        `json:"role_arn"`
	Duration    time.Duration `json:"duration"`
	Endpoint    string        `json:"endpoint"`
	MaxAttempts int           `json:"max_attempts"`
	Allow       []string      `json:"allow"`
}

var benchSrc = map[string]any{"region": "eu-west-1", "auth_method": "assume_role",
	"role_arn": "arn:aws:iam::123456789012:role/r", "duration": "1h", "endpoint": "https://sm.example",
	"max_attempts": 3, "allow": []any{"app/*", "db/*"}}

// BenchmarkDecode compares Decode with the encoding/json round trip that
// secret.Spec.Decode made before it (which left the duration a string).
// Run: go test -bench Decode -benchmem ./internal/units
func BenchmarkDecode(b *testing.B) {
	b.Run("units.Decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var s benchSettings
			if err := Decode(benchSrc, &s); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json round trip", func(b *testing.B) {
		type jsonSettings struct {
			benchSettings
			Duration string `json:"duration"`
		}
		b.ReportAllocs()
		for b.Loop() {
			var s jsonSettings
			raw, _ := json.Marshal(benchSrc)
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&s); err != nil {
				b.Fatal(err)
			}
		}
	})
}
