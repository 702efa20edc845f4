package oci

import (
	"errors"
	"fmt"
)

// Errors a caller may branch on with [errors.Is].
var (
	// ErrDigestMismatch: what the registry or the cache served has another
	// digest than the reference or the pin names.
	ErrDigestMismatch = errors.New("digest mismatch")
	// ErrTampered: a cached file no longer has the digest it is stored
	// under. It is not used; pull the module again.
	ErrTampered = errors.New("cached file does not match its digest")
	// ErrMediaType: the artifact is not a Wasm OCI artifact (config
	// application/vnd.wasm.config.v0+json, one layer application/wasm).
	ErrMediaType = errors.New("wrong media type")
	// ErrUnreachable: the registry could not be reached (a pull returns it
	// only when the cache has no copy).
	ErrUnreachable = errors.New("registry unreachable")
	// ErrNotFound: the registry has no such manifest.
	ErrNotFound = errors.New("not found in the registry")
	// ErrTooLarge: a manifest, config, module or bundle is larger than
	// this host accepts.
	ErrTooLarge = errors.New("too large")
)

// Error reports a failure about one reference: Op says what was being
// done ("pull", "push", "read cache"), Digest names the manifest or blob
// when known.
type Error struct {
	Ref    string
	Digest string
	Op     string
	Err    error
}

// Error returns "oci REF (DIGEST): OP: CAUSE".
func (e *Error) Error() string {
	d := ""
	if e.Digest != "" {
		d = " (" + e.Digest + ")"
	}
	return fmt.Sprintf("%s%s: %s: %v", e.Ref, d, e.Op, e.Err)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }
