package gcp

import (
	"context"
	"errors"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/latchkey/latchkey/secret"
)

// The messages below are those the package's former error types
// (NotFoundError, AccessDeniedError… before secret.StoreError) printed for
// the same facts, captured from that code: the one shape changes no byte a
// user sees, nor what errors.Is answers.

func TestErrorMessagesUnchanged(t *testing.T) {
	const latest = "projects/p/secrets/db/versions/latest"
	denied := status.Error(codes.PermissionDenied, "no access")
	tests := []struct {
		name string
		err  *secret.StoreError
		msg  string
		kind error // errors.Is answers true; the other kinds false
	}{
		{"regional not found", notFound("gsm", versionName{Project: "p", Location: "europe-west1", Secret: "db", Version: "latest"}, status.Error(codes.NotFound, "gone")),
			"gcp store \"gsm\": secret \"db\" version \"latest\" not found in project \"p\", location \"europe-west1\" (service: NotFound: gone)",
			secret.ErrNotFound},
		{"global not found without a status", notFound("gsm", versionName{Project: "p", Secret: "db", Version: "3"}, nil),
			"gcp store \"gsm\": secret \"db\" version \"3\" not found in project \"p\"",
			secret.ErrNotFound},
		{"permission denied", permissionDenied("gsm", latest, "reader@p.iam", false, denied),
			"gcp store \"gsm\": secret \"projects/p/secrets/db/versions/latest\": permission denied to reader@p.iam (or the project or secret does not exist); grant it roles/secretmanager.secretAccessor on the secret (service: PermissionDenied: no access)",
			secret.ErrPermissionDenied},
		{"probe denied", permissionDenied("gsm", latest, "reader@p.iam", true, denied),
			"gcp store \"gsm\": secret \"projects/p/secrets/db/versions/latest\": permission denied to reader@p.iam (or the project or secret does not exist); grant it roles/secretmanager.viewer (a version probe needs secretmanager.versions.get; without it --watch fetches instead) on the secret (service: PermissionDenied: no access)",
			secret.ErrPermissionDenied},
		{"unauthenticated", unauthenticated("gsm", latest, "anonymous", status.Error(codes.Unauthenticated, "who")),
			"gcp store \"gsm\": secret \"projects/p/secrets/db/versions/latest\": the service did not authenticate anonymous; check the store's auth settings (service: Unauthenticated: who)",
			secret.ErrPermissionDenied},
		{"disabled version", disabledVersion("gsm", "projects/p/secrets/db/versions/2", errors.New("the version is DISABLED")),
			"gcp store \"gsm\": secret \"projects/p/secrets/db/versions/2\" cannot be accessed: the version is disabled or destroyed; enable it or ask for another version (the version is DISABLED)",
			secret.ErrNotFound},
		{"unavailable", unavailable("gsm", latest, "127.0.0.1:1", 3, status.Error(codes.Unavailable, "down")),
			"gcp store \"gsm\": secret \"projects/p/secrets/db/versions/latest\": Secret Manager at 127.0.0.1:1 failed after 3 attempt(s) (service: Unavailable: down)",
			secret.ErrUnavailable},
		{"checksum mismatch", badChecksum("gsm", "projects/p/secrets/db/versions/1", false),
			"gcp store \"gsm\": secret \"projects/p/secrets/db/versions/1\": the payload does not match the CRC32C checksum the service sent with it (corrupted in transit or by a proxy); the value was discarded",
			secret.ErrUnavailable},
		{"checksum missing", badChecksum("gsm", "projects/p/secrets/db/versions/1", true),
			"gcp store \"gsm\": secret \"projects/p/secrets/db/versions/1\": the service sent no data_crc32c and the store requires one (require_checksum)",
			secret.ErrUnavailable},
		{"impersonation refused", impersonationRefused("gsm", latest, "caller@p", "target@p", errors.New("status code 403")),
			"gcp store \"gsm\": secret \"projects/p/secrets/db/versions/latest\": caller@p may not impersonate service account target@p: permission denied by IAM (grant the caller roles/iam.serviceAccountTokenCreator on target@p, and check that the account exists) (IAM Credentials API: status code 403)",
			secret.ErrPermissionDenied},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := tc.err
			if e.Error() != tc.msg {
				t.Errorf("message changed:\n got %q\nwant %q", e.Error(), tc.msg)
			}
			if e.Type != "gcp" || e.Store != "gsm" || e.Secret == "" {
				t.Errorf("Type %q Store %q Secret %q", e.Type, e.Store, e.Secret)
			}
			for _, k := range []error{secret.ErrNotFound, secret.ErrPermissionDenied, secret.ErrUnavailable, secret.ErrInvalidConfig, context.Canceled} {
				if got := errors.Is(e, k); got != (k == tc.kind) {
					t.Errorf("errors.Is(err, %v) = %v", k, got)
				}
			}
		})
	}
	if !errors.Is(permissionDenied("gsm", latest, "r", false, denied), denied) {
		t.Error("the status error is no longer wrapped: status.Code(err) would break")
	}
}
