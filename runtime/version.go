package runtime

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/latchkey/latchkey/hostfuncs"
	"github.com/latchkey/latchkey/internal/redact"
	"github.com/latchkey/latchkey/secret"
)

// ErrBadVersion: a module reported a version the host refused — one that
// breaks [secret.CheckVersion]'s rules or that carries a bound credential
// or the value its fetch returned. The fetch or probe fails; the version
// is never shown. It is [secret.ErrBadVersion].
var ErrBadVersion = secret.ErrBadVersion

// checkVersion says why v, a version the module reported with version_set
// (value is what the call returned) or from latchkey_version (value is
// nil), may not be used, or nil. A version reaches the audit trail, logs
// and the SM Agent endpoint in clear, so it must be printable ASCII
// within its cap, hold no bound credential in any form the redactor
// recognises, and hold neither the value nor any string or number of a
// JSON value, of 8 bytes or more — as they are, or, for those up to twice
// the version's length (all of them: [redact.HoldsValue] decodes the
// version rather than encoding them), in the encodings the redactor
// recognises. The error names the rule, never v.
func (m *Module) checkVersion(v string, value []byte) error {
	if err := hostfuncs.CheckVersion(v); err != nil {
		return err
	}
	if m.redact != nil {
		if red := string(m.redact([]byte(v))); red != v {
			return fmt.Errorf("%w: it holds a credential bound to the store (%s); a version must never carry a secret", ErrBadVersion, credentialNames(red))
		}
	}
	vb := []byte(v)
	strs := valueStrings(value)
	near := make([][]byte, 0, len(strs))
	for _, s := range strs {
		// Shorter strings are too likely to sit in an honest version by
		// chance (a port 5432 in etcd revision 1054321).
		if len(s) < hostfuncs.MinCredentialLen {
			continue
		}
		if bytes.Contains(vb, s) {
			return fmt.Errorf("%w: it holds the value the call returned, or a string of it; a version must never carry a secret", ErrBadVersion)
		}
		// Every form of s the redactor knows is at least as long as s once
		// decoded, and a match is a run of half a form: a string more than
		// twice as long as v cannot be in it.
		if len(s) <= 2*len(v)+1 {
			near = append(near, s)
		}
	}
	if redact.HoldsValue(vb, near) {
		return fmt.Errorf("%w: it holds the value the call returned, or a string of it, encoded; a version must never carry a secret", ErrBadVersion)
	}
	return nil
}

// valueStrings returns the value and each string and number literal in
// it (not the keys of objects): every string secretsIn finds, and more.
// Strings without escapes or non-ASCII bytes are slices of value; the
// others are decoded as encoding/json would (the check sees what a client
// sees), or left out when they are not valid JSON strings. It does not
// validate the value first (that alone would cost more than the walk):
// in a value that is not JSON, quoted text is looked for on its own too,
// which only makes the check stricter; in a JSON value (or a JSON value
// followed by other text, which secretsIn reads) the walk sees exactly
// its literals, and each of an object's duplicate keys' values, where
// secretsIn keeps the last one only.
func valueStrings(value []byte) [][]byte {
	out := make([][]byte, 1, 8)
	out[0] = value
	// The open arrays and objects: a string is a key only in an object.
	var stackBuf [16]byte
	open := stackBuf[:0]
	for i := 0; i < len(value); {
		switch c := value[i]; {
		case c == '{' || c == '[':
			open = append(open, c)
			i++
		case c == '}' || c == ']':
			if len(open) > 0 {
				open = open[:len(open)-1]
			}
			i++
		case c == '"':
			j, plain := i+1, true
			for ; j < len(value) && value[j] != '"'; j++ {
				if value[j] == '\\' {
					j++
					plain = false
				} else if value[j] >= 0x80 {
					plain = false
				}
			}
			if j >= len(value) {
				return out // an unterminated string: not JSON
			}
			lit := value[i : j+1]
			for i = j + 1; i < len(value) && (value[i] == ' ' || value[i] == '\t' || value[i] == '\n' || value[i] == '\r'); i++ {
			}
			if i < len(value) && value[i] == ':' && len(open) > 0 && open[len(open)-1] == '{' {
				continue // a key
			}
			if plain {
				out = append(out, lit[1:len(lit)-1])
			} else {
				var s string
				if json.Unmarshal(lit, &s) == nil {
					out = append(out, []byte(s))
				}
			}
		case c == '-' || c >= '0' && c <= '9':
			j := numberEnd(value, i)
			out = append(out, value[i:j])
			i = j
		default:
			i++
		}
	}
	return out
}

// numberEnd returns where the number literal at value[i] ends, as
// encoding/json's scanner reads it: an optional minus, 0 or digits, a
// fraction only when a digit follows the point, an exponent only when a
// digit follows its e and sign. So "1000+" and "0.00." hold the numbers
// 1000 and 0.00, as a json.Decoder reads them before the junk. A lone
// minus is a literal of its own (i+1), which only makes the check
// stricter.
func numberEnd(value []byte, i int) int {
	digits := func(j int) int {
		for j < len(value) && value[j] >= '0' && value[j] <= '9' {
			j++
		}
		return j
	}
	isDigit := func(j int) bool { return j < len(value) && value[j] >= '0' && value[j] <= '9' }
	j := i
	if value[j] == '-' {
		j++
	}
	switch {
	case j < len(value) && value[j] == '0':
		j++
	case isDigit(j):
		j = digits(j)
	default:
		return i + 1
	}
	if j < len(value) && value[j] == '.' && isDigit(j+1) {
		j = digits(j + 1)
	}
	if j < len(value) && (value[j] == 'e' || value[j] == 'E') {
		k := j + 1
		if k < len(value) && (value[k] == '+' || value[k] == '-') {
			k++
		}
		if isDigit(k) {
			j = digits(k)
		}
	}
	return j
}

// credentialNames lists the [REDACTED:NAME] labels in red, the redacted
// version: the names are the operator's, so they may be shown.
func credentialNames(red string) string {
	var names []string
	for rest := red; ; {
		i := strings.Index(rest, "[REDACTED:")
		if i < 0 {
			break
		}
		rest = rest[i+len("[REDACTED:"):]
		j := strings.IndexByte(rest, ']')
		if j < 0 {
			break
		}
		if n := rest[:j]; !slices.Contains(names, n) {
			names = append(names, n)
		}
		rest = rest[j:]
	}
	if len(names) == 0 {
		return "credential"
	}
	return "credential " + strings.Join(names, ", ")
}

// versionError is the error of a call whose version was refused.
func (m *Module) versionError(op, source string, err error) error {
	return &Error{Module: m.name, Op: op, Kind: secret.ErrUnavailable,
		Err: fmt.Errorf("%s: %w", source, err)}
}
