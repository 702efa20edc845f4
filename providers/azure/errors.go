package azure

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/latchkey/latchkey/secret"
)

// The failures below are [*secret.StoreError]s of Type "azure", the ones a
// user can act on. Each names the store, the vault and (where there is one)
// the secret. None holds a secret value or a credential. The doc comment of
// each constructor gives the Kind.

func storeErr(store, name string, kind error, msg string, cause error) *secret.StoreError {
	return &secret.StoreError{Type: "azure", Store: store, Secret: name, Kind: kind, Msg: msg, Err: cause}
}

// vaultUnreachable: a vault that could not be reached ([secret.ErrUnavailable]
// and the cause): its host name does not resolve (noSuchHost; usually a
// misspelt vault name or the wrong vault_domain, as for Key Vault it means
// that no vault of that name exists), the connection or TLS handshake
// failed, or the vault kept answering with server errors after the retry
// budget was spent (status is its last HTTP status, 0 when none came back).
// wait is the vault's Retry-After on a 429 or 503 answer, or 0; protection
// honours it.
func vaultUnreachable(store, vault, name string, noSuchHost bool, status int, wait time.Duration, cause error) *secret.StoreError {
	var msg string
	switch {
	case noSuchHost:
		msg = fmt.Sprintf("vault %s not found: its host name does not resolve (check vault_name, vault_domain or the secret URL): %v", vault, cause)
	case status == http.StatusTooManyRequests:
		msg = fmt.Sprintf("vault %s throttled the request (Key Vault allows 4,000 secret transactions per 10 s per vault; lower protection.rate or spread secrets over vaults): %v", vault, cause)
	case status != 0:
		msg = fmt.Sprintf("vault %s unavailable: %v", vault, cause)
	default:
		msg = fmt.Sprintf("vault %s unreachable: %v", vault, cause)
	}
	e := storeErr(store, name, secret.ErrUnavailable, msg, cause)
	e.Wait = wait
	return e
}

// secretNotFound: a secret, or a version of it (empty: the current one),
// that the vault does not hold ([secret.ErrNotFound]).
func secretNotFound(store, vault, name, version string) *secret.StoreError {
	if version != "" {
		return storeErr(store, name, secret.ErrNotFound, fmt.Sprintf("vault %s has no secret %q with version %q", vault, name, version), nil)
	}
	return storeErr(store, name, secret.ErrNotFound, fmt.Sprintf("vault %s has no secret %q", vault, name), nil)
}

// forbidden: the vault refused identity, how the store authenticated
// ([secret.ErrPermissionDenied]): it answered 403 (the identity lacks the
// "Get" secret permission or a role such as Key Vault Secrets User on the
// vault or the secret), or 401 to a token it does not accept (issued for
// another tenant or audience). code is Key Vault's error code, msg its
// message, which names the caller's app and object IDs.
func forbidden(store, vault, name, identity string, status int, code, msg string) *secret.StoreError {
	what := "refused access to secret %q to"
	if status == http.StatusUnauthorized {
		what = "rejected the token presented for secret %q by"
	}
	m := fmt.Sprintf("vault %s "+what+" %s (HTTP %d", vault, name, identity, status)
	if code != "" {
		m += " " + code
	}
	m += ")"
	if msg != "" {
		m += ": " + msg
	}
	e := storeErr(store, name, secret.ErrPermissionDenied, m, nil)
	e.Principal = identity
	return e
}

// secretDisabled: a secret (or version) that exists but is disabled, so
// the vault will not return its value. Its Kind is
// [secret.ErrPermissionDenied]: unlike a missing secret, it never falls
// back to a reference's default.
func secretDisabled(store, vault, name, version string) *secret.StoreError {
	v := "its current version"
	if version != "" {
		v = fmt.Sprintf("version %q", version)
	}
	return storeErr(store, name, secret.ErrPermissionDenied,
		fmt.Sprintf("vault %s: secret %q is disabled (%s); enable it or ask for another version", vault, name, v), nil)
}

// tokenFailed: the store could not get an access token for the secret
// (te says why). Its Kind is [secret.ErrUnavailable] when the identity
// endpoint could not be reached or failed on its side, and
// [secret.ErrPermissionDenied] when it refused; it wraps the credential's
// error and names the identity as Principal.
func tokenFailed(store, vault, name string, te *tokenError) *secret.StoreError {
	kind := secret.ErrPermissionDenied
	if te.unreachable {
		kind = secret.ErrUnavailable
	}
	e := storeErr(store, name, kind, fmt.Sprintf("vault %s: secret %q: %v", vault, name, te), te.err)
	e.Principal = te.identity
	return e
}

// tokenError marks a failure of the store's credential to get a token:
// the managed identity endpoint is absent or refused the identity,
// Microsoft Entra ID refused the service principal's credentials, or no
// credential of the default chain worked. It travels through the SDK to
// [Store.classify], which turns it into a [*secret.StoreError].
type tokenError struct {
	method   AuthMethod
	identity string
	// unreachable is true when the identity endpoint could not be reached or
	// answered with a server error.
	unreachable bool
	reason      string // a one-line summary of the cause
	err         error
}

func (e *tokenError) Error() string {
	return fmt.Sprintf("acquiring a token with auth_method %s as %s failed: %s", e.method, e.identity, e.reason)
}

func (e *tokenError) Unwrap() error { return e.err }

// oneLine collapses whitespace runs so that multi-line SDK messages fit in
// one log line, and caps the length.
func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}
