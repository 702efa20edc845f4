package resolver

import (
	"fmt"
	"strings"
)

// Error is the error of a failed resolution: one [*FieldError] per field
// that failed. errors.Is and errors.As see each field's cause.
type Error struct {
	Fields []*FieldError
}

// Error implements error. The message names what failed and never holds a secret value.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d field(s) failed to resolve:", len(e.Fields))
	for _, f := range e.Fields {
		b.WriteString("\n  ")
		b.WriteString(f.Error())
	}
	return b.String()
}

// Unwrap returns the field errors.
func (e *Error) Unwrap() []error {
	out := make([]error, len(e.Fields))
	for i, f := range e.Fields {
		out[i] = f
	}
	return out
}

// FieldError says which field failed, with which store, secret and key.
type FieldError struct {
	Field  string
	Store  string
	Secret string
	Key    []string
	Err    error
}

// Error implements error. The message names what failed and never holds a secret value.
func (e *FieldError) Error() string {
	s := fmt.Sprintf("field %q: store %q: secret %q", e.Field, e.Store, e.Secret)
	return s + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *FieldError) Unwrap() error { return e.Err }
