package runtime

import (
	"errors"
	"fmt"

	"github.com/latchkey/latchkey/hostfuncs"
	"github.com/latchkey/latchkey/secret"
)

// Errors a caller may branch on with [errors.Is]. Each [*Error] also wraps
// the matching sentinel of package secret.
var (
	// ErrDigestMismatch: the module's SHA-256 differs from its pin. The
	// module was not compiled.
	ErrDigestMismatch = errors.New("module digest does not match its sha256 pin")
	// ErrUnpinned: the module has no sha256 pin and unpinned modules were
	// not allowed.
	ErrUnpinned = errors.New("module is not pinned by sha256")
	// ErrIncompatible: the module imports something the host does not
	// provide, lacks a required export, or speaks another ABI version.
	ErrIncompatible = errors.New("module is incompatible with this host")
	// ErrCrashed: an instance trapped, exited, or broke a limit; it was
	// discarded.
	ErrCrashed = errors.New("module instance crashed")
	// ErrClosed: the module was closed.
	ErrClosed = errors.New("module is closed")
	// ErrUndeclaredPolicy: the module declares (in its capability section)
	// a host the store's network policy does not allow. It was not
	// compiled.
	ErrUndeclaredPolicy = errors.New("module declares a host the store does not allow")
)

// Error reports a failure of one module: Module names it (the store's name
// or the file's), Op says what failed ("load", `get "db"`).
type Error struct {
	Module string
	Op     string
	Err    error
	// Kind is the sentinel of package secret the error matches
	// (secret.ErrInvalidConfig, secret.ErrUnavailable…).
	Kind error
}

// Error returns `wasm module "NAME": OP: CAUSE`.
func (e *Error) Error() string {
	return fmt.Sprintf("wasm module %q: %s: %v", e.Module, e.Op, e.Err)
}

// Unwrap returns the cause and the sentinel of package secret.
func (e *Error) Unwrap() []error {
	if e.Kind == nil {
		return []error{e.Err}
	}
	return []error{e.Err, e.Kind}
}

// GuestError is a typed error the module reported for a secret: not
// found, permission denied, unavailable, invalid config or not allowed.
// Msg is the module's text; the host never adds a value to it.
type GuestError struct {
	Code int32
	Msg  string
}

// Error returns "KIND: MSG", e.g. "not found: secret \"db\"".
func (e *GuestError) Error() string {
	return codeText(e.Code) + ": " + e.Msg
}

// Unwrap returns the sentinel of package secret matching Code.
func (e *GuestError) Unwrap() error { return codeSentinel(e.Code) }

func codeSentinel(code int32) error {
	switch code {
	case hostfuncs.CodeNotFound:
		return secret.ErrNotFound
	case hostfuncs.CodePermissionDenied:
		return secret.ErrPermissionDenied
	case hostfuncs.CodeInvalidConfig:
		return secret.ErrInvalidConfig
	case hostfuncs.CodeNotAllowed:
		return secret.ErrNotAllowed
	}
	return secret.ErrUnavailable
}

func codeText(code int32) string {
	switch code {
	case hostfuncs.CodeNotFound:
		return "not found"
	case hostfuncs.CodePermissionDenied:
		return "permission denied"
	case hostfuncs.CodeInvalidConfig:
		return "invalid config"
	case hostfuncs.CodeNotAllowed:
		return "not allowed"
	}
	return "unavailable"
}
