package resolver

import (
	"errors"
	"strings"

	"github.com/latchkey/latchkey/secret"
)

// ErrorJSON is one problem in machine-readable form: `latchkey check
// --format json` prints a list of them, and the resident agent's API
// answers with the same schema. Fields that do not apply are omitted. No
// field ever holds a secret value.
//
// Kind is [ErrorKind] of the cause ("not_found", "permission_denied",
// "not_allowed", "invalid_config", "unavailable", "deadline", "canceled",
// "other"). Field, Store, Secret and Key say which workflow field failed,
// through which store, for which secret and key; Setting names the agent
// config key or store setting of a configuration problem. Message is the
// cause in words, on one line.
type ErrorJSON struct {
	Kind    string `json:"kind"`
	Field   string `json:"field,omitempty"`
	Store   string `json:"store,omitempty"`
	Secret  string `json:"secret,omitempty"`
	Key     string `json:"key,omitempty"`
	Setting string `json:"setting,omitempty"`
	Message string `json:"message"`
}

// ErrorsJSON returns err as a list of [ErrorJSON]: one per failed field of
// a [*Error] (or a [*FieldError]), one per [*secret.ConfigError] among
// joined errors, and one for any other error. It returns nil for nil.
func ErrorsJSON(err error) []ErrorJSON {
	if err == nil {
		return nil
	}
	var out []ErrorJSON
	var walk func(error)
	walk = func(e error) {
		switch e := e.(type) {
		case *Error:
			for _, f := range e.Fields {
				out = append(out, FieldErrorJSON(f))
			}
			return
		case *FieldError:
			out = append(out, FieldErrorJSON(e))
			return
		case *secret.ConfigError:
			out = append(out, ErrorJSON{Kind: ErrorKind(e), Store: e.Store, Setting: e.Key, Message: oneLine(e.Msg)})
			return
		case interface{ Unwrap() []error }:
			for _, inner := range e.Unwrap() {
				walk(inner)
			}
			return
		}
		// A wrapper ("agent config x.yaml: …") around a structured error is
		// unwrapped; around anything else it is kept whole, for its context.
		if inner := errors.Unwrap(e); inner != nil && structured(inner) {
			walk(inner)
			return
		}
		out = append(out, ErrorJSON{Kind: ErrorKind(e), Message: oneLine(e.Error())})
	}
	walk(err)
	return out
}

// structured reports whether err is, or wraps, an error ErrorsJSON splits
// into entries of their own.
func structured(err error) bool {
	for err != nil {
		switch err.(type) {
		case *Error, *FieldError, *secret.ConfigError, interface{ Unwrap() []error }:
			return true
		}
		err = errors.Unwrap(err)
	}
	return false
}

// FieldErrorJSON returns the machine-readable form of one failed field.
// Its Message is the cause alone: the field, store, secret and key are
// fields of their own.
func FieldErrorJSON(fe *FieldError) ErrorJSON {
	msg := ""
	if fe.Err != nil {
		msg = oneLine(fe.Err.Error())
	}
	return ErrorJSON{
		Kind:    ErrorKind(fe.Err),
		Field:   fe.Field,
		Store:   fe.Store,
		Secret:  fe.Secret,
		Key:     strings.Join(fe.Key, "."),
		Message: msg,
	}
}

// oneLine folds a multi-line message onto one line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
