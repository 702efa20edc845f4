package runtime

import (
	"fmt"
	"strings"
)

// ErrBadPin is wrapped by the error for a sha256 pin that is not a SHA-256
// digest at all (as opposed to [ErrDigestMismatch], a digest of another
// file).
var ErrBadPin = fmt.Errorf("sha256 pin is not a SHA-256 digest")

// CheckPin reports whether pin, as written in a store's sha256 setting, has
// the form of a SHA-256 digest: 64 hex digits, optionally after "sha256:".
// The empty pin is valid (no pin).
func CheckPin(pin string) error {
	p := strings.TrimSpace(pin)
	p = strings.TrimPrefix(strings.ToLower(p), "sha256:")
	if p == "" && strings.TrimSpace(pin) == "" {
		return nil
	}
	if len(p) != 64 {
		return fmt.Errorf("%w: want 64 hex digits (optionally after \"sha256:\"), got %d characters; `latchkey module inspect FILE` prints the digest", ErrBadPin, len(p))
	}
	for i := 0; i < len(p); i++ {
		if c := p[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return fmt.Errorf("%w: %q at offset %d is not a hex digit; `latchkey module inspect FILE` prints the digest", ErrBadPin, c, i)
		}
	}
	return nil
}
