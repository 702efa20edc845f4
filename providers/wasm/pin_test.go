package wasm

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	lkruntime "github.com/latchkey/latchkey/runtime"
	"github.com/latchkey/latchkey/secret"
)

// TestPinFormat checks that a pin that YAML read as a number says to quote
// it, and that a pin that is no digest is a format error naming the
// setting, not a digest mismatch.
func TestPinFormat(t *testing.T) {
	tests := []struct {
		name string
		pin  any
		want string
	}{
		{"all digits read as a number", float64(1234567890123456789), `setting "sha256": must be a string, not a number: quote it`},
		{"not hex", strings.Repeat("g", 64), `setting "sha256": sha256 pin is not a SHA-256 digest`},
		{"truncated", "3be1", "want 64 hex digits"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := factory(context.Background(), secret.Spec{Name: "custom", Type: "wasm", Logger: slog.New(slog.DiscardHandler),
				Settings: map[string]any{"module": "testdata/none.wasm", "sha256": tc.pin}})
			if err == nil || !strings.Contains(err.Error(), tc.want) || errors.Is(err, lkruntime.ErrDigestMismatch) {
				t.Fatalf("error %v, want one containing %q (and no digest mismatch)", err, tc.want)
			}
		})
	}
}
