package secret

import (
	"errors"
	"fmt"
)

// MaxVersionLen caps a version any store reports, in bytes. It leaves
// room for the longest version a built-in store gives (a GCP version's
// full resource name); a Wasm module's versions have a cap of 256 bytes
// of their own (hostfuncs.MaxVersion).
const MaxVersionLen = 512

// ErrBadVersion: a store reported a version that breaks the rules of
// [CheckVersion]. The version was not used.
var ErrBadVersion = errors.New("version refused")

// CheckVersion reports whether v may be used as a version: 1 to
// [MaxVersionLen] bytes of printable ASCII, '!' (0x21) to '~' (0x7e).
//
// A version is what a store says, so it is untrusted, and it is written to
// audit records, logs and the SM Agent endpoint's answers. Control
// characters could forge audit lines, spaces could forge fields of a text
// log, and non-ASCII text could hide behind look-alike or bidirectional
// characters; no real store's version needs them (UUIDs, hex digests,
// integers, resource names, ETags). The error wraps [ErrBadVersion] and
// names the rule broken, never the version.
func CheckVersion(v string) error {
	switch {
	case v == "":
		return fmt.Errorf("%w: it is empty", ErrBadVersion)
	case len(v) > MaxVersionLen:
		return fmt.Errorf("%w: it has %d bytes, over the limit of %d", ErrBadVersion, len(v), MaxVersionLen)
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < '!' || c > '~' {
			return fmt.Errorf("%w: byte %d is %s; a version is printable ASCII ('!' to '~', no space)", ErrBadVersion, i, describeByte(c))
		}
	}
	return nil
}

func describeByte(c byte) string {
	switch {
	case c == ' ':
		return "a space"
	case c < ' ' || c == 0x7f:
		return fmt.Sprintf("the control character 0x%02x", c)
	}
	return "not ASCII"
}
