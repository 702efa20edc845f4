package runtime

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckPin(t *testing.T) {
	hex64 := strings.Repeat("ab", 32)
	tests := []struct {
		name, pin, want string // want "" means valid
	}{
		{"empty", "", ""},
		{"hex", hex64, ""},
		{"prefixed upper", "SHA256:" + strings.ToUpper(hex64), ""},
		{"spaces", "  " + hex64 + "\n", ""},
		{"short", "3be1", "got 4 characters"},
		{"not hex", strings.Repeat("zz", 32), `'z' at offset 0 is not a hex digit`},
		{"number rounded by yaml", "1.2345678901234568e+63", "got 22 characters"},
		{"prefix only", "sha256:", "got 0 characters"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckPin(tc.pin)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("CheckPin(%q): %v", tc.pin, err)
				}
				return
			}
			if !errors.Is(err, ErrBadPin) || !strings.Contains(err.Error(), tc.want) || errors.Is(err, ErrDigestMismatch) {
				t.Fatalf("CheckPin(%q) = %v, want ErrBadPin containing %q", tc.pin, err, tc.want)
			}
		})
	}
}
