package secret

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Sentinel errors that stores wrap so that callers can branch with
// [errors.Is] whatever the store. A store's failure to serve a secret is a
// [*StoreError] whose Kind is one of these.
var (
	// ErrNotFound: the secret, version or key does not exist.
	ErrNotFound = errors.New("secret not found")
	// ErrPermissionDenied: the store refused the identity Latchkey used.
	ErrPermissionDenied = errors.New("permission denied")
	// ErrUnavailable: the store could not be reached or kept failing.
	ErrUnavailable = errors.New("store unavailable")
	// ErrInvalidConfig: a store's settings or a request are malformed.
	ErrInvalidConfig = errors.New("invalid configuration")
	// ErrNotAllowed: policy (an allow list) forbids the request.
	ErrNotAllowed = errors.New("not allowed")
)

// ConfigError reports one bad setting of a store. Stores return it, usually
// joined with others by [errors.Join], from their constructors.
type ConfigError struct {
	Store string // the store's name in the agent config
	Key   string // the setting, e.g. "region" or "auth.role_arn"
	Msg   string // what is wrong and what to do
}

// Error implements error. The message names what failed and never holds a secret value.
func (e *ConfigError) Error() string {
	if e.Key == "" {
		return fmt.Sprintf("store %q: %s", e.Store, e.Msg)
	}
	return fmt.Sprintf("store %q: setting %q: %s", e.Store, e.Key, e.Msg)
}

// Unwrap returns [ErrInvalidConfig].
func (e *ConfigError) Unwrap() error { return ErrInvalidConfig }

// StoreError reports that a store failed to serve a secret: the one error
// shape of the cloud providers (aws, azure, gcp), in the manner of
// [os.PathError]. Callers branch on its Kind with [errors.Is]
// ([ErrNotFound], [ErrPermissionDenied], [ErrUnavailable]…) and read the
// few facts a program acts on with [errors.As]: the identity refused, the
// backend's Retry-After. Everything else the provider knows is rendered
// into Msg, which says what failed and what to do.
//
// A StoreError never holds a secret value or a credential.
//
// A WebAssembly module's failure (loading, pinning, a crash) is the
// runtime package's own Error instead: it concerns a module, not one
// secret, and an embedder of the runtime branches on the runtime's kinds
// (digest mismatch, unpinned, incompatible) as well as these; its Kind is
// one of these sentinels all the same.
type StoreError struct {
	Type   string // the store type, e.g. "aws"; empty for a failure that names no store
	Store  string // the store's name in the agent config
	Secret string // the secret as asked for or as the service names it: a name, ARN, URL or resource name
	// Msg is the rest of the message after `TYPE store "NAME": `: what
	// failed, what the service answered and what to do.
	Msg string
	// Kind is the sentinel above that the failure stands for, or nil when
	// only Err says (a deadline that cut the call short).
	Kind error
	// Err is the cause (the SDK's or the service's error, the context's
	// error), or nil. Msg already says what of it a user needs.
	Err error
	// Principal is the identity the store acted as, or that the service
	// named, when the service refused it; empty otherwise.
	Principal string
	// Wait is how long the backend asked the client to wait before trying
	// again (its Retry-After), or 0.
	Wait time.Duration
}

// Error returns `TYPE store "NAME": MSG` (MSG alone when Type is empty).
// The message never holds a secret value.
func (e *StoreError) Error() string {
	if e.Type == "" {
		return e.Msg
	}
	return e.Type + " store " + strconv.Quote(e.Store) + ": " + e.Msg
}

// Unwrap returns Kind and Err, those that are set, so that [errors.Is]
// answers for both.
func (e *StoreError) Unwrap() []error {
	switch {
	case e.Kind == nil && e.Err == nil:
		return nil
	case e.Kind == nil:
		return []error{e.Err}
	case e.Err == nil:
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

// RetryAfter returns Wait: how long the backend asked the client to wait
// before trying again, or 0. The protection layer honours it.
func (e *StoreError) RetryAfter() time.Duration { return e.Wait }
