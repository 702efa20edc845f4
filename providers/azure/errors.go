package azure

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/latchkey/latchkey/secret"
)

// The errors below are the ones a user can act on. Each names the store, the
// vault and (where there is one) the secret, and wraps a sentinel of package
// secret so that errors.Is works whatever the store. None holds a secret
// value or a credential.

// VaultUnreachableError reports a vault that could not be reached: its host
// name does not resolve (usually a misspelt vault name or the wrong
// vault_domain), the connection or TLS handshake failed, or the vault kept
// answering with server errors after the retry budget was spent. It wraps
// [secret.ErrUnavailable].
type VaultUnreachableError struct {
	Store string
	Vault string // the vault's base URL
	// NoSuchHost is true when the vault's host name does not resolve, which
	// for Key Vault means that no vault of that name exists.
	NoSuchHost bool
	// StatusCode is the vault's last HTTP status, or 0 when none came back.
	StatusCode int
	// Wait is the vault's Retry-After on a 429 or 503 answer, or 0.
	Wait time.Duration
	Err  error
}

// RetryAfter returns how long the vault asked the client to wait before
// trying again (its Retry-After header), or 0.
func (e *VaultUnreachableError) RetryAfter() time.Duration { return e.Wait }

// Error implements error. The message names what failed and never holds a secret value.
func (e *VaultUnreachableError) Error() string {
	switch {
	case e.NoSuchHost:
		return fmt.Sprintf("azure store %q: vault %s not found: its host name does not resolve (check vault_name, vault_domain or the secret URL): %v",
			e.Store, e.Vault, e.Err)
	case e.StatusCode == http.StatusTooManyRequests:
		return fmt.Sprintf("azure store %q: vault %s throttled the request (Key Vault allows 4,000 secret transactions per 10 s per vault; lower protection.rate or spread secrets over vaults): %v", e.Store, e.Vault, e.Err)
	case e.StatusCode != 0:
		return fmt.Sprintf("azure store %q: vault %s unavailable: %v", e.Store, e.Vault, e.Err)
	}
	return fmt.Sprintf("azure store %q: vault %s unreachable: %v", e.Store, e.Vault, e.Err)
}

// Unwrap returns [secret.ErrUnavailable] and the cause.
func (e *VaultUnreachableError) Unwrap() []error { return []error{secret.ErrUnavailable, e.Err} }

// SecretNotFoundError reports a secret, or a version of it, that the vault
// does not hold. It wraps [secret.ErrNotFound].
type SecretNotFoundError struct {
	Store   string
	Vault   string
	Secret  string
	Version string // empty for the current version
}

// Error implements error. The message names what failed and never holds a secret value.
func (e *SecretNotFoundError) Error() string {
	if e.Version != "" {
		return fmt.Sprintf("azure store %q: vault %s has no secret %q with version %q", e.Store, e.Vault, e.Secret, e.Version)
	}
	return fmt.Sprintf("azure store %q: vault %s has no secret %q", e.Store, e.Vault, e.Secret)
}

// Unwrap returns [secret.ErrNotFound].
func (e *SecretNotFoundError) Unwrap() error { return secret.ErrNotFound }

// ForbiddenError reports that the vault refused the store's identity: it
// answered 403 (the identity lacks the "Get" secret permission or a role such
// as Key Vault Secrets User on the vault or the secret), or 401 to a token
// it does not accept (issued for another tenant or audience). It wraps
// [secret.ErrPermissionDenied].
type ForbiddenError struct {
	Store      string
	Vault      string
	Secret     string
	Identity   string // how the store authenticated, e.g. "managed identity (system-assigned)"
	StatusCode int    // 401 or 403
	Code       string // Key Vault's error code, e.g. "Forbidden"
	Message    string // Key Vault's message, which names the caller's app and object IDs
}

// Error implements error. The message names what failed and never holds a secret value.
func (e *ForbiddenError) Error() string {
	what := "refused access to secret %q to"
	if e.StatusCode == http.StatusUnauthorized {
		what = "rejected the token presented for secret %q by"
	}
	s := fmt.Sprintf("azure store %q: vault %s "+what+" %s (HTTP %d", e.Store, e.Vault, e.Secret, e.Identity, e.StatusCode)
	if e.Code != "" {
		s += " " + e.Code
	}
	s += ")"
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// Unwrap returns [secret.ErrPermissionDenied].
func (e *ForbiddenError) Unwrap() error { return secret.ErrPermissionDenied }

// SecretDisabledError reports a secret (or version) that exists but is
// disabled, so the vault will not return its value. Enable it, or ask for
// another version. It wraps [secret.ErrPermissionDenied]: unlike a missing
// secret, it never falls back to a reference's default.
type SecretDisabledError struct {
	Store   string
	Vault   string
	Secret  string
	Version string
}

// Error implements error. The message names what failed and never holds a secret value.
func (e *SecretDisabledError) Error() string {
	v := "its current version"
	if e.Version != "" {
		v = fmt.Sprintf("version %q", e.Version)
	}
	return fmt.Sprintf("azure store %q: vault %s: secret %q is disabled (%s); enable it or ask for another version",
		e.Store, e.Vault, e.Secret, v)
}

// Unwrap returns [secret.ErrPermissionDenied].
func (e *SecretDisabledError) Unwrap() error { return secret.ErrPermissionDenied }

// TokenError reports that the store could not get an access token: the
// managed identity endpoint is absent or refused the identity, Microsoft
// Entra ID refused the service principal's credentials, or no credential of
// the default chain worked. It wraps [secret.ErrUnavailable] when the
// identity endpoint could not be reached or failed on its side, and
// [secret.ErrPermissionDenied] when it refused.
type TokenError struct {
	Method   AuthMethod
	Identity string
	// Unreachable is true when the identity endpoint could not be reached or
	// answered with a server error.
	Unreachable bool
	Reason      string // a one-line summary of the cause
	Err         error
}

// Error implements error. The message names what failed and never holds a secret value.
func (e *TokenError) Error() string {
	return fmt.Sprintf("acquiring a token with auth_method %s as %s failed: %s", e.Method, e.Identity, e.Reason)
}

// Unwrap returns the sentinel and the cause.
func (e *TokenError) Unwrap() []error {
	if e.Unreachable {
		return []error{secret.ErrUnavailable, e.Err}
	}
	return []error{secret.ErrPermissionDenied, e.Err}
}

// oneLine collapses whitespace runs so that multi-line SDK messages fit in
// one log line, and caps the length.
func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}
