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

// NotFoundError reports a secret or version that does not exist in the
// project. It wraps [secret.ErrNotFound] and the service's status error.
type NotFoundError struct {
	Store    string
	Project  string
	Location string // empty for a global secret
	Secret   string
	Version  string
	Err      error // the gRPC status error
}

// Error implements error. The message names what failed and never holds a secret value.
func (e *NotFoundError) Error() string {
	where := fmt.Sprintf("project %q", e.Project)
	if e.Location != "" {
		where += fmt.Sprintf(", location %q", e.Location)
	}
	return fmt.Sprintf("gcp store %q: secret %q version %q not found in %s%s",
		e.Store, e.Secret, e.Version, where, rpcDetail(e.Err))
}

// Unwrap returns [secret.ErrNotFound] and the status error.
func (e *NotFoundError) Unwrap() []error { return []error{secret.ErrNotFound, e.Err} }

// PermissionDeniedError reports that the service refused the store's
// identity: PERMISSION_DENIED (the principal lacks
// secretmanager.versions.access on the secret, or the project does not
// exist), or UNAUTHENTICATED (the credentials were rejected or could not be
// used). It wraps [secret.ErrPermissionDenied] and the status error.
type PermissionDeniedError struct {
	Store string
	// Resource is the version's resource name that was asked for.
	Resource string
	// Principal is the identity the store used, when known: a service
	// account's email, or a description such as "Application Default
	// Credentials".
	Principal string
	// Unauthenticated is set when the credentials themselves were refused.
	Unauthenticated bool
	// Probe is set for a version probe (GetSecretVersion), which needs
	// secretmanager.versions.get rather than versions.access.
	Probe bool
	Err   error
}

// Error implements error. The message names what failed and never holds a secret value.
func (e *PermissionDeniedError) Error() string {
	if e.Unauthenticated {
		return fmt.Sprintf("gcp store %q: secret %q: the service did not authenticate %s; check the store's auth settings%s",
			e.Store, e.Resource, e.Principal, rpcDetail(e.Err))
	}
	role := "roles/secretmanager.secretAccessor"
	if e.Probe {
		role = "roles/secretmanager.viewer (a version probe needs secretmanager.versions.get; without it --watch fetches instead)"
	}
	return fmt.Sprintf("gcp store %q: secret %q: permission denied to %s (or the project or secret does not exist); grant it %s on the secret%s",
		e.Store, e.Resource, e.Principal, role, rpcDetail(e.Err))
}

// Unwrap returns [secret.ErrPermissionDenied] and the status error.
func (e *PermissionDeniedError) Unwrap() []error {
	return []error{secret.ErrPermissionDenied, e.Err}
}

// FailedPreconditionError reports a version that exists but cannot be read
// because it is disabled or destroyed. It wraps [secret.ErrNotFound], since
// the version's value is not there to read (a reference's default applies),
// and the status error.
type FailedPreconditionError struct {
	Store    string
	Resource string
	Err      error
}

// Error implements error. The message names what failed and never holds a secret value.
func (e *FailedPreconditionError) Error() string {
	return fmt.Sprintf("gcp store %q: secret %q cannot be accessed: the version is disabled or destroyed; enable it or ask for another version%s",
		e.Store, e.Resource, rpcDetail(e.Err))
}

// Unwrap returns [secret.ErrNotFound] and the status error.
func (e *FailedPreconditionError) Unwrap() []error { return []error{secret.ErrNotFound, e.Err} }

// UnavailableError reports a service that could not be reached or kept
// failing through every attempt. It wraps [secret.ErrUnavailable] and the
// last status error.
type UnavailableError struct {
	Store    string
	Resource string
	Endpoint string
	Attempts int
	Err      error
}

// Error implements error. The message names what failed and never holds a secret value.
func (e *UnavailableError) Error() string {
	return fmt.Sprintf("gcp store %q: secret %q: Secret Manager at %s failed after %d attempt(s)%s",
		e.Store, e.Resource, e.Endpoint, e.Attempts, rpcDetail(e.Err))
}

// Unwrap returns [secret.ErrUnavailable] and the last status error.
func (e *UnavailableError) Unwrap() []error { return []error{secret.ErrUnavailable, e.Err} }

// ChecksumError reports a payload whose CRC32C does not match the checksum
// the service sent with it, or, when the store requires checksums, a payload
// sent without one. The payload is discarded, and neither checksum is kept. It wraps
// [secret.ErrUnavailable]: the store returned something other than the
// secret.
type ChecksumError struct {
	Store string
	// Resource is the version's resource name as the service returned it.
	Resource string
	// Missing is set when the service sent no checksum.
	Missing bool
}

// Error implements error. The message names what failed and never holds a secret value.
func (e *ChecksumError) Error() string {
	if e.Missing {
		return fmt.Sprintf("gcp store %q: secret %q: the service sent no data_crc32c and the store requires one (require_checksum)", e.Store, e.Resource)
	}
	// The checksums themselves are left out: a CRC32C says something about
	// the secret, enough to guess a short one.
	return fmt.Sprintf("gcp store %q: secret %q: the payload does not match the CRC32C checksum the service sent with it (corrupted in transit or by a proxy); the value was discarded",
		e.Store, e.Resource)
}

// Unwrap returns [secret.ErrUnavailable].
func (e *ChecksumError) Unwrap() error { return secret.ErrUnavailable }

// ImpersonationError reports that IAM refused the caller's credentials the
// impersonated account's token: the caller lacks
// iam.serviceAccounts.getAccessToken on the target (or the target does not
// exist). It wraps [secret.ErrPermissionDenied] and the cause.
type ImpersonationError struct {
	Store    string
	Resource string
	Caller   string // whose credentials asked
	Target   string // the service account to impersonate
	Err      error
}

// Error implements error. The message names what failed and never holds a secret value.
func (e *ImpersonationError) Error() string {
	return fmt.Sprintf("gcp store %q: secret %q: %s may not impersonate service account %s: permission denied by IAM (grant the caller roles/iam.serviceAccountTokenCreator on %s, and check that the account exists) (IAM Credentials API: %v)",
		e.Store, e.Resource, e.Caller, e.Target, e.Target, e.Err)
}

// Unwrap returns [secret.ErrPermissionDenied] and the cause.
func (e *ImpersonationError) Unwrap() []error { return []error{secret.ErrPermissionDenied, e.Err} }
