package hostfuncs

import (
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/redact"
)

// FuzzVersionCheck feeds arbitrary versions and values to the checks a
// module's version passes: they never panic, an accepted version is
// printable ASCII within MaxVersion, and a version holding a value of 8 to
// 2*MaxVersion bytes verbatim (or half of it) is always found.
func FuzzVersionCheck(f *testing.F) {
	f.Add("v1", "secret-value-1234")
	f.Add("secret-value-1234", "secret-value-1234")
	f.Add("%73%65%63%72%65%74%2d%76", "secret-v")
	f.Add("c2VjcmV0LXZhbHVlLTEyMzQ=", "secret-value-1234")
	f.Add("v1\n", "")
	f.Fuzz(func(t *testing.T, v, value string) {
		if err := CheckVersion(v); err == nil {
			if v == "" || len(v) > MaxVersion {
				t.Fatalf("accepted a version of %d bytes", len(v))
			}
			for i := 0; i < len(v); i++ {
				if v[i] < '!' || v[i] > '~' {
					t.Fatalf("accepted byte 0x%02x", v[i])
				}
			}
		}
		if len(value) > 2*MaxVersion {
			value = value[:2*MaxVersion]
		}
		held := redact.HoldsValue([]byte(v), [][]byte{[]byte(value)})
		if len(value) >= MinCredentialLen && strings.Contains(v, value) && !held {
			t.Fatalf("HoldsValue missed a verbatim value")
		}
		if half := max(MinCredentialLen, (len(value)+1)/2); len(value) >= MinCredentialLen && strings.Contains(v, value[:half]) && !held {
			t.Fatalf("HoldsValue missed half of a value")
		}
	})
}
