package secret

import (
	"errors"
	"fmt"
)

// Sentinel errors that stores wrap so that callers can branch with
// [errors.Is] whatever the store. Provider packages also return their own
// typed errors (for [errors.As]) that wrap one of these.
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
