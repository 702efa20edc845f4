package aws

import (
	"context"
	"errors"
	"testing"

	"github.com/latchkey/latchkey/secret"
)

// The messages below are those the package's former error types
// (NotFoundError, AccessDeniedError… before secret.StoreError) printed for
// the same facts, captured from that code: the one shape changes no byte a
// user sees, nor what errors.Is answers.

func TestErrorMessagesUnchanged(t *testing.T) {
	tests := []struct {
		name string
		err  *secret.StoreError
		msg  string
		kind error // errors.Is answers true; the other kinds false
	}{
		{"not found", notFound("sm", "prod/db", "us-east-1", "stage AWSCURRENT", "Secrets Manager can't find the specified secret."),
			"aws store \"sm\": secret \"prod/db\" (stage AWSCURRENT) not found in region us-east-1: Secrets Manager can't find the specified secret.",
			secret.ErrNotFound},
		{"access denied naming the principal", accessDenied("sm", "prod/db", "", "AccessDeniedException", "User: arn:aws:iam::123456789012:user/alice is not authorized"),
			"aws store \"sm\": secret \"prod/db\": access denied to arn:aws:iam::123456789012:user/alice (AccessDeniedException): User: arn:aws:iam::123456789012:user/alice is not authorized",
			secret.ErrPermissionDenied},
		{"STS refused the role", accessDenied("sm", "prod/db", "arn:aws:iam::123456789012:role/r", "InvalidClientTokenId", "bad token"),
			"aws store \"sm\": secret \"prod/db\": STS refused assuming role arn:aws:iam::123456789012:role/r (InvalidClientTokenId): bad token",
			secret.ErrPermissionDenied},
		{"decryption", decryptionFailed("sm", "prod/db", "eu-west-1", "KMS said no"),
			"aws store \"sm\": secret \"prod/db\" in region eu-west-1 cannot be decrypted; check that the identity may kms:Decrypt with the secret's KMS key and that the key is enabled: KMS said no",
			secret.ErrPermissionDenied},
		{"throttled", throttled("sm", "prod/db", "STS (assuming the role)", "Throttling", 3),
			"aws store \"sm\": secret \"prod/db\": STS (assuming the role) throttled the request (Throttling) after 3 attempt(s); raise max_attempts or lower the request rate",
			secret.ErrUnavailable},
		{"invalid request", badRequest("sm", "prod/db", "InvalidRequestException", "Secrets Manager: marked for deletion"),
			"aws store \"sm\": secret \"prod/db\": invalid request (InvalidRequestException): Secrets Manager: marked for deletion",
			secret.ErrInvalidConfig},
		{"refused by Latchkey", badRequest("sm", "has space", "", "not a secret name"),
			"aws store \"sm\": secret \"has space\": not a secret name",
			secret.ErrInvalidConfig},
		{"no credentials", noCredentials("sm", "prod/db", "access_keys", errors.New("AWS_ACCESS_KEY_ID is not set")),
			"aws store \"sm\": no credentials (auth_method access_keys): AWS_ACCESS_KEY_ID is not set",
			secret.ErrPermissionDenied},
		{"unavailable", unavailable("sm", "prod/db", errors.New("dial tcp: refused")),
			"aws store \"sm\": secret \"prod/db\": AWS unavailable: dial tcp: refused",
			secret.ErrUnavailable},
		{"canceled", timedOut("sm", "prod/db", "Secrets Manager", "the resolution was canceled", context.Canceled),
			"aws store \"sm\": secret \"prod/db\": the resolution was canceled while waiting for Secrets Manager",
			context.Canceled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkStoreError(t, tc.err, "aws", tc.msg, tc.kind)
		})
	}
	if p := accessDenied("sm", "x", "", "AccessDeniedException", "User: arn:aws:iam::1:user/a is not authorized").Principal; p != "arn:aws:iam::1:user/a" {
		t.Errorf("Principal = %q; want the ARN AWS named", p)
	}
	if e := timedOut("sm", "x", "STS", "late", context.DeadlineExceeded); e.Kind != nil || errors.Is(e, secret.ErrUnavailable) {
		t.Errorf("a timeout has a kind: %#v (the former TimeoutError wrapped only the context's error)", e)
	}
}

var allKinds = []error{secret.ErrNotFound, secret.ErrPermissionDenied, secret.ErrUnavailable, secret.ErrInvalidConfig, secret.ErrNotAllowed, context.Canceled, context.DeadlineExceeded}

func checkStoreError(t *testing.T, err *secret.StoreError, typ, msg string, kind error) {
	t.Helper()
	if err.Error() != msg {
		t.Errorf("message changed:\n got %q\nwant %q", err.Error(), msg)
	}
	if err.Type != typ || err.Store == "" || err.Secret == "" {
		t.Errorf("Type %q Store %q Secret %q; want all set", err.Type, err.Store, err.Secret)
	}
	for _, k := range allKinds {
		if got := errors.Is(err, k); got != (k == kind) {
			t.Errorf("errors.Is(err, %v) = %v", k, got)
		}
	}
}
