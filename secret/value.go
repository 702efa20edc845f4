package secret

import (
	"fmt"
	"log/slog"
)

// Redacted is what a [Value] prints in place of its contents.
const Redacted = "[REDACTED]"

// Value is a secret's contents. Every way of printing it (String, GoString,
// fmt verbs, JSON, text and slog) yields [Redacted]; only [Value.Reveal] and
// [Value.RevealString] yield the bytes. The zero Value is empty.
//
// A Value is immutable and safe for concurrent use.
type Value struct {
	b []byte
}

// NewValue returns a Value holding a copy of b.
func NewValue(b []byte) Value {
	return Value{b: append([]byte(nil), b...)}
}

// StringValue returns a Value holding s.
func StringValue(s string) Value {
	return Value{b: []byte(s)}
}

// Reveal returns a copy of the secret's bytes. Call it only where the value
// must leave Latchkey: the environment of a child process, an output file.
func (v Value) Reveal() []byte {
	return append([]byte(nil), v.b...)
}

// RevealString returns the secret as a string.
func (v Value) RevealString() string { return string(v.b) }

// Len returns the length of the secret in bytes; it is not itself secret.
func (v Value) Len() int { return len(v.b) }

// String returns [Redacted].
func (v Value) String() string { return Redacted }

// GoString returns [Redacted], so %#v does not print the bytes.
func (v Value) GoString() string { return Redacted }

// Format prints [Redacted] for every verb.
func (v Value) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(Redacted)) }

// MarshalJSON encodes [Redacted] as a JSON string.
func (v Value) MarshalJSON() ([]byte, error) { return []byte(`"` + Redacted + `"`), nil }

// MarshalText returns [Redacted].
func (v Value) MarshalText() ([]byte, error) { return []byte(Redacted), nil }

// LogValue makes slog print [Redacted].
func (v Value) LogValue() slog.Value { return slog.StringValue(Redacted) }

var (
	_ fmt.Formatter  = Value{}
	_ fmt.GoStringer = Value{}
	_ slog.LogValuer = Value{}
)
