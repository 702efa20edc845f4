package aws

import (
	"context"
	"errors"
	"fmt"
	"github.com/latchkey/latchkey/internal/lazy"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/latchkey/latchkey/secret"
)

// The failures below are [*secret.StoreError]s of Type "aws"; each names
// the store and the secret and says what to do. The doc comment of each
// constructor gives the Kind.

func storeErr(store, secretID string, kind error, msg string) *secret.StoreError {
	return &secret.StoreError{Type: "aws", Store: store, Secret: secretID, Kind: kind, Msg: msg}
}

// notFound: a secret, or a version of it, that Secrets Manager does not
// hold in the store's region ([secret.ErrNotFound]). version reads "stage
// AWSCURRENT" or "version ID …"; msg is what AWS said.
func notFound(store, secretID, region, version, msg string) *secret.StoreError {
	return storeErr(store, secretID, secret.ErrNotFound,
		fmt.Sprintf("secret %q (%s) not found in region %s: %s", secretID, version, region, msg))
}

// accessDenied: AWS refused the store's identity ([secret.ErrPermissionDenied]):
// a policy denies it the secret (AccessDeniedException), STS refused to let
// it assume roleARN (AccessDenied; roleARN is empty when Secrets Manager
// refused), or its credentials were not accepted (an unknown key, a bad
// signature, an expired token). The Principal is the ARN AWS names in msg,
// when it names one.
func accessDenied(store, secretID, roleARN, code, msg string) *secret.StoreError {
	e := storeErr(store, secretID, secret.ErrPermissionDenied, "")
	who := ""
	if m := principalRE().FindStringSubmatch(msg); m != nil {
		e.Principal = m[1]
		who = " to " + e.Principal
	}
	if roleARN != "" {
		e.Msg = fmt.Sprintf("secret %q: STS refused assuming role %s%s (%s): %s", secretID, roleARN, who, code, msg)
	} else {
		e.Msg = fmt.Sprintf("secret %q: access denied%s (%s): %s", secretID, who, code, msg)
	}
	return e
}

// decryptionFailed: Secrets Manager could not decrypt the secret with its
// KMS key ([secret.ErrPermissionDenied]): usually the identity lacks
// kms:Decrypt on that key, or the key is disabled.
func decryptionFailed(store, secretID, region, msg string) *secret.StoreError {
	return storeErr(store, secretID, secret.ErrPermissionDenied,
		fmt.Sprintf("secret %q in region %s cannot be decrypted; check that the identity may kms:Decrypt with the secret's KMS key and that the key is enabled: %s",
			secretID, region, msg))
}

// throttled: AWS (service "Secrets Manager" or "STS") was still throttling
// after the SDK's attempts ([secret.ErrUnavailable]).
func throttled(store, secretID, service, code string, attempts int) *secret.StoreError {
	return storeErr(store, secretID, secret.ErrUnavailable,
		fmt.Sprintf("secret %q: %s throttled the request (%s) after %d attempt(s); raise max_attempts or lower the request rate",
			secretID, service, code, attempts))
}

// badRequest: a request that cannot succeed as written ([secret.ErrInvalidConfig]):
// a name that is not a secret name or ARN, an ARN of another region, a
// malformed version, or a request AWS rejected as invalid
// (InvalidParameterException, InvalidRequestException, such as a secret
// marked for deletion). code is AWS's error code, empty when Latchkey refused.
func badRequest(store, secretID, code, msg string) *secret.StoreError {
	if code != "" {
		return storeErr(store, secretID, secret.ErrInvalidConfig,
			fmt.Sprintf("secret %q: invalid request (%s): %s", secretID, code, msg))
	}
	return storeErr(store, secretID, secret.ErrInvalidConfig, fmt.Sprintf("secret %q: %s", secretID, msg))
}

// noCredentials: the store could not obtain credentials
// ([secret.ErrPermissionDenied] and the cause): the default chain found
// none, a key file cannot be read, a key variable is not set.
func noCredentials(store, secretID string, method AuthMethod, cause error) *secret.StoreError {
	e := storeErr(store, secretID, secret.ErrPermissionDenied,
		fmt.Sprintf("no credentials (auth_method %s): %v", method, cause))
	if method == AuthIAM || method == AuthAssumeRole {
		e.Msg += "\n" + defaultChainHelp
	}
	e.Err = cause
	return e
}

// unavailable: AWS could not be reached or kept failing (5xx answers,
// network errors) after the SDK's retries ([secret.ErrUnavailable] and the
// SDK's error).
func unavailable(store, secretID string, cause error) *secret.StoreError {
	e := storeErr(store, secretID, secret.ErrUnavailable, fmt.Sprintf("secret %q: AWS unavailable: %v", secretID, cause))
	e.Err = cause
	return e
}

// timedOut: the resolution's deadline (or a cancellation) cut a call to
// service short. It has no Kind and wraps the context's error; what says
// which deadline, and how to raise it.
func timedOut(store, secretID, service, what string, ctxErr error) *secret.StoreError {
	e := storeErr(store, secretID, nil, fmt.Sprintf("secret %q: %s while waiting for %s", secretID, what, service))
	e.Err = ctxErr
	return e
}

// defaultChainHelp says, after the SDK's own error (which names only the
// last source it tried), every source of the default credential chain in
// the order the SDK tries them, and what to set for each.
const defaultChainHelp = `the AWS SDK's default chain tried, in order: environment variables (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY); ` +
	`the shared config and credentials files (~/.aws/config, ~/.aws/credentials, or AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE; profile AWS_PROFILE, else "default", with keys, a role, SSO or credential_process); ` +
	`web identity (AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN, as EKS IRSA sets them); ` +
	`container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or AWS_CONTAINER_CREDENTIALS_FULL_URI, as ECS and EKS Pod Identity set them); ` +
	`the EC2 instance metadata service (an instance profile; off when AWS_EC2_METADATA_DISABLED=true). ` +
	`Set one of these for the agent's user (under systemd: EnvironmentFile=), or use auth_method: access_keys`

// credentialsFailure marks an error of the store's credentials provider, so
// that an error the SDK returns can be told to come from getting credentials
// (and STS) rather than from Secrets Manager.
type credentialsFailure struct{ err error }

func (e *credentialsFailure) Error() string { return e.err.Error() }
func (e *credentialsFailure) Unwrap() error { return e.err }

// markingProvider marks its provider's errors with credentialsFailure.
type markingProvider struct{ aws.CredentialsProvider }

func (p markingProvider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	c, err := p.CredentialsProvider.Retrieve(ctx)
	if err != nil {
		return c, &credentialsFailure{err}
	}
	return c, nil
}

// Codes with which AWS refuses an identity.
var deniedCodes = map[string]bool{
	"AccessDeniedException": true, "AccessDenied": true,
	"UnrecognizedClientException": true, "InvalidClientTokenId": true,
	"InvalidSignatureException": true, "SignatureDoesNotMatch": true, "IncompleteSignatureException": true, "IncompleteSignature": true,
	"ExpiredTokenException": true, "ExpiredToken": true,
	"MissingAuthenticationTokenException": true, "MissingAuthenticationToken": true,
}

var invalidCodes = map[string]bool{
	"InvalidParameterException": true, "InvalidRequestException": true, "ValidationException": true, "ValidationError": true,
}

var principalRE = lazy.Regexp(`(?:User|Principal): (arn:\S+) is not authorized`)

var isThrottle = retry.IsErrorThrottles(retry.DefaultThrottles)

// classify turns an error of GetSecretValue or DescribeSecret into a
// [*secret.StoreError].
func (s *Store) classify(ctx context.Context, t target, err error) error {
	var cf *credentialsFailure
	inCreds := errors.As(err, &cf)
	service := "Secrets Manager"
	if inCreds {
		service = "STS (assuming the role)"
	}
	if cerr := ctx.Err(); cerr != nil {
		// The SDK's text ("operation error Secrets Manager: GetSecretValue,
		// https response error StatusCode: 0, … context deadline exceeded")
		// does not say whose deadline it was.
		what := "the resolution's deadline passed (the agent config's timeout, 30s unless set; --set timeout=1m raises it)"
		if errors.Is(cerr, context.Canceled) {
			what = "the resolution was canceled"
		}
		return timedOut(s.name, t.secretID, service, what, cerr)
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		code, msg := api.ErrorCode(), api.ErrorMessage()
		switch {
		case code == "ResourceNotFoundException" && !inCreds:
			return notFound(s.name, t.secretID, s.region, t.describe(), msg)
		case code == "DecryptionFailure" && !inCreds:
			return decryptionFailed(s.name, t.secretID, s.region, msg)
		case deniedCodes[code]:
			role := ""
			if inCreds {
				role = s.opts.RoleARN
			}
			return accessDenied(s.name, t.secretID, role, code, msg)
		case isThrottle.IsErrorThrottle(err) == aws.TrueTernary:
			attempts := 1
			var me *retry.MaxAttemptsError
			if errors.As(err, &me) {
				attempts = me.Attempt
			}
			return throttled(s.name, t.secretID, service, code, attempts)
		case invalidCodes[code]:
			return badRequest(s.name, t.secretID, code, service+": "+msg)
		}
	}
	if inCreds && !unreachable(err) {
		return noCredentials(s.name, t.secretID, s.opts.AuthMethod, cf.err)
	}
	return unavailable(s.name, t.secretID, err)
}

// unreachable reports an error of the network or a 5xx answer.
func unreachable(err error) bool {
	var send *smithyhttp.RequestSendError
	var resp *smithyhttp.ResponseError
	return errors.As(err, &send) || (errors.As(err, &resp) && resp.HTTPStatusCode() >= 500)
}
