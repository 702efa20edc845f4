package resolver

import (
	"fmt"
	"strings"

	"github.com/latchkey/latchkey/secret"
)

// Error is the error of a failed resolution: one [*FieldError] per field
// that failed. errors.Is and errors.As see each field's cause.
type Error struct {
	Fields []*FieldError
}

// Error implements error. The message names what failed and never holds a
// secret value. It has one line per failing secret, listing the fields that
// use it, and names the store and secret only where the cause does not
// already: `fields "username", "password": aws store "aws": secret
// "prod/db": …`, not the same prefix once per field.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d field(s) failed to resolve:", len(e.Fields))
	type group struct {
		fields []string
		first  *FieldError
	}
	var groups []*group
	index := map[[3]string]*group{}
	for _, f := range e.Fields {
		cause := ""
		if f.Err != nil {
			cause = f.Err.Error()
		}
		k := [3]string{f.Store, f.Secret, cause}
		g, ok := index[k]
		if !ok {
			g = &group{first: f}
			index[k] = g
			groups = append(groups, g)
		}
		g.fields = append(g.fields, fmt.Sprintf("%q", f.Field))
	}
	for _, g := range groups {
		b.WriteString("\n  ")
		if len(g.fields) == 1 {
			b.WriteString("field ")
		} else {
			b.WriteString("fields ")
		}
		b.WriteString(strings.Join(g.fields, ", "))
		b.WriteString(": ")
		b.WriteString(g.first.cause())
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

// cause is the cause's message behind the store and secret, each left out
// when the cause already names it (providers' errors do).
func (e *FieldError) cause() string {
	msg := ""
	if e.Err != nil {
		msg = e.Err.Error()
	}
	var b strings.Builder
	if q := fmt.Sprintf("%q", e.Store); !strings.Contains(msg, "store "+q) {
		fmt.Fprintf(&b, "store %s: ", q)
	}
	if q := fmt.Sprintf("%q", e.Secret); !strings.Contains(msg, q) {
		fmt.Fprintf(&b, "secret %s: ", q)
	}
	return b.String() + msg
}

// namesStore reports whether err is a [*secret.ConfigError] of store name,
// or errors joined that all are: such an error needs no prefix naming the
// store again.
func namesStore(err error, name string) bool {
	switch e := err.(type) {
	case *secret.ConfigError:
		return e.Store == name
	case interface{ Unwrap() []error }:
		list := e.Unwrap()
		for _, inner := range list {
			if !namesStore(inner, name) {
				return false
			}
		}
		return len(list) > 0
	}
	return false
}
