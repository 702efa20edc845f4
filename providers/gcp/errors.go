package gcp

import (
	"fmt"

	"github.com/latchkey/latchkey/secret"
	"google.golang.org/grpc/status"
)

// rpcDetail formats the service's answer for the end of an error message.
func rpcDetail(err error) string {
	if err == nil {
		return ""
	}
	if st, ok := status.FromError(err); ok {
		return fmt.Sprintf(" (service: %s: %s)", st.Code(), st.Message())
	}
	return " (" + err.Error() + ")"
}

// The failures below are [*secret.StoreError]s of Type "gcp"; each names
// the store and the secret, ends with the service's answer and says what to
// do. The doc comment of each constructor gives the Kind.

func storeErr(store, resource string, kind error, msg string, cause error) *secret.StoreError {
	return &secret.StoreError{Type: "gcp", Store: store, Secret: resource, Kind: kind, Msg: msg, Err: cause}
}

// notFound: a secret or version that does not exist in the project
// ([secret.ErrNotFound] and the service's status error).
func notFound(store string, n versionName, cause error) *secret.StoreError {
	where := fmt.Sprintf("project %q", n.Project)
	if n.Location != "" {
		where += fmt.Sprintf(", location %q", n.Location)
	}
	return storeErr(store, n.String(), secret.ErrNotFound,
		fmt.Sprintf("secret %q version %q not found in %s%s", n.Secret, n.Version, where, rpcDetail(cause)), cause)
}

// permissionDenied: the service refused principal, the identity the store
// used ([secret.ErrPermissionDenied] and the status error): it lacks
// secretmanager.versions.access on the secret, or the project does not
// exist. A version probe (GetSecretVersion) needs
// secretmanager.versions.get instead, which the message says.
func permissionDenied(store, resource, principal string, probe bool, cause error) *secret.StoreError {
	role := "roles/secretmanager.secretAccessor"
	if probe {
		role = "roles/secretmanager.viewer (a version probe needs secretmanager.versions.get; without it --watch fetches instead)"
	}
	e := storeErr(store, resource, secret.ErrPermissionDenied,
		fmt.Sprintf("secret %q: permission denied to %s (or the project or secret does not exist); grant it %s on the secret%s",
			resource, principal, role, rpcDetail(cause)), cause)
	e.Principal = principal
	return e
}

// unauthenticated: the service did not accept the credentials of principal
// (UNAUTHENTICATED: refused, or unusable) ([secret.ErrPermissionDenied]
// and the status error).
func unauthenticated(store, resource, principal string, cause error) *secret.StoreError {
	e := storeErr(store, resource, secret.ErrPermissionDenied,
		fmt.Sprintf("secret %q: the service did not authenticate %s; check the store's auth settings%s",
			resource, principal, rpcDetail(cause)), cause)
	e.Principal = principal
	return e
}

// disabledVersion: a version that exists but cannot be read because it is
// disabled or destroyed. Its Kind is [secret.ErrNotFound], since the
// version's value is not there to read (a reference's default applies);
// it also wraps the status error.
func disabledVersion(store, resource string, cause error) *secret.StoreError {
	return storeErr(store, resource, secret.ErrNotFound,
		fmt.Sprintf("secret %q cannot be accessed: the version is disabled or destroyed; enable it or ask for another version%s",
			resource, rpcDetail(cause)), cause)
}

// unavailable: the service at endpoint could not be reached or kept
// failing through every attempt ([secret.ErrUnavailable] and the last
// status error).
func unavailable(store, resource, endpoint string, attempts int, cause error) *secret.StoreError {
	return storeErr(store, resource, secret.ErrUnavailable,
		fmt.Sprintf("secret %q: Secret Manager at %s failed after %d attempt(s)%s", resource, endpoint, attempts, rpcDetail(cause)), cause)
}

// badChecksum: a payload whose CRC32C does not match the checksum the
// service sent with it, or, when the store requires checksums (missing), a
// payload sent without one ([secret.ErrUnavailable]: the store returned
// something other than the secret). The payload is discarded, and neither
// checksum is kept.
func badChecksum(store, resource string, missing bool) *secret.StoreError {
	if missing {
		return storeErr(store, resource, secret.ErrUnavailable,
			fmt.Sprintf("secret %q: the service sent no data_crc32c and the store requires one (require_checksum)", resource), nil)
	}
	// The checksums themselves are left out: a CRC32C says something about
	// the secret, enough to guess a short one.
	return storeErr(store, resource, secret.ErrUnavailable,
		fmt.Sprintf("secret %q: the payload does not match the CRC32C checksum the service sent with it (corrupted in transit or by a proxy); the value was discarded", resource), nil)
}

// impersonationRefused: IAM refused caller's credentials the token of
// service account target: the caller lacks
// iam.serviceAccounts.getAccessToken on it, or it does not exist
// ([secret.ErrPermissionDenied] and the cause). Principal is the caller.
func impersonationRefused(store, resource, caller, target string, cause error) *secret.StoreError {
	e := storeErr(store, resource, secret.ErrPermissionDenied,
		fmt.Sprintf("secret %q: %s may not impersonate service account %s: permission denied by IAM (grant the caller roles/iam.serviceAccountTokenCreator on %s, and check that the account exists) (IAM Credentials API: %v)",
			resource, caller, target, target, cause), cause)
	e.Principal = caller
	return e
}
