package aws

import (
	"context"
	"errors"
	"fmt"
	"regexp"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/latchkey/latchkey/secret"
)

// NotFoundError reports a secret, or a version of it, that Secrets Manager
// does not hold in the store's region. It wraps [secret.ErrNotFound].
type NotFoundError struct {
	Store   string
	Secret  string // the name or ARN asked for
	Region  string
	Version string // "stage AWSCURRENT", "version ID …"
	Msg     string // what AWS said
}

// Error implements error. The message names what failed and never holds a secret value.
func (e *NotFoundError) Error() string {
	return fmt.Sprintf("aws store %q: secret %q (%s) not found in region %s: %s", e.Store, e.Secret, e.Version, e.Region, e.Msg)
}

// Unwrap returns [secret.ErrNotFound].
func (e *NotFoundError) Unwrap() error { return secret.ErrNotFound }

// AccessDeniedError reports that AWS refused the store's identity: a policy
// denies it the secret (AccessDeniedException), STS refused to let it
// assume the role (AccessDenied), or its credentials were not accepted
// (an unknown key, a bad signature, an expired token). It wraps
// [secret.ErrPermissionDenied].
type AccessDeniedError struct {
	Store  string
	Secret string
	// Principal is the ARN AWS says it refused, when its message gives one.
	Principal string
	// RoleARN is the role being assumed when STS refused; empty when
	// Secrets Manager did.
	RoleARN string
	Code    string // AWS's error code
	Msg     string // AWS's message
}

// Error implements error. The message names what failed and never holds a secret value.
func (e *AccessDeniedError) Error() string {
	who := ""
	if e.Principal != "" {
		who = " to " + e.Principal
	}
	if e.RoleARN != "" {
		return fmt.Sprintf("aws store %q: secret %q: STS refused assuming role %s%s (%s): %s", e.Store, e.Secret, e.RoleARN, who, e.Code, e.Msg)
	}
	return fmt.Sprintf("aws store %q: secret %q: access denied%s (%s): %s", e.Store, e.Secret, who, e.Code, e.Msg)
}

// Unwrap returns [secret.ErrPermissionDenied].
func (e *AccessDeniedError) Unwrap() error { return secret.ErrPermissionDenied }

// DecryptionError reports that Secrets Manager could not decrypt the secret
// with its KMS key: usually the identity lacks kms:Decrypt on that key, or
// the key is disabled. It wraps [secret.ErrPermissionDenied].
type DecryptionError struct {
	Store, Secret, Region string
	Msg                   string // what AWS said
}

// Error implements error. The message names what failed and never holds a secret value.
func (e *DecryptionError) Error() string {
	return fmt.Sprintf("aws store %q: secret %q in region %s cannot be decrypted; check that the identity may kms:Decrypt with the secret's KMS key and that the key is enabled: %s",
		e.Store, e.Secret, e.Region, e.Msg)
}

// Unwrap returns [secret.ErrPermissionDenied].
func (e *DecryptionError) Unwrap() error { return secret.ErrPermissionDenied }

// ThrottledError reports that AWS was still throttling after the SDK's
// retries. It wraps [secret.ErrUnavailable].
type ThrottledError struct {
	Store, Secret string
	Service       string // "Secrets Manager" or "STS"
	Attempts      int    // attempts made, when known
	Code          string
}

// Error implements error. The message names what failed and never holds a secret value.
func (e *ThrottledError) Error() string {
	return fmt.Sprintf("aws store %q: secret %q: %s throttled the request (%s) after %d attempt(s); raise max_attempts or lower the request rate",
		e.Store, e.Secret, e.Service, e.Code, e.Attempts)
}

// Unwrap returns [secret.ErrUnavailable].
func (e *ThrottledError) Unwrap() error { return secret.ErrUnavailable }

// RequestError reports a request that cannot succeed as written: a name
// that is not a secret name or ARN, an ARN of another region, a malformed
// version, or a request AWS rejected as invalid (InvalidParameterException,
// InvalidRequestException, such as a secret marked for deletion). It wraps
// [secret.ErrInvalidConfig].
type RequestError struct {
	Store, Secret string
	Code          string // AWS's error code; empty when Latchkey refused
	Msg           string
}

// Error implements error. The message names what failed and never holds a secret value.
func (e *RequestError) Error() string {
	if e.Code != "" {
		return fmt.Sprintf("aws store %q: secret %q: invalid request (%s): %s", e.Store, e.Secret, e.Code, e.Msg)
	}
	return fmt.Sprintf("aws store %q: secret %q: %s", e.Store, e.Secret, e.Msg)
}

// Unwrap returns [secret.ErrInvalidConfig].
func (e *RequestError) Unwrap() error { return secret.ErrInvalidConfig }

// CredentialsError reports that the store could not obtain credentials:
// the default chain found none, a key file cannot be read, a key variable is
// not set. It wraps [secret.ErrPermissionDenied] and the cause.
type CredentialsError struct {
	Store  string
	Method AuthMethod
	Err    error
}

// Error implements error. The message names what failed and never holds a secret value.
func (e *CredentialsError) Error() string {
	msg := fmt.Sprintf("aws store %q: no credentials (auth_method %s): %v", e.Store, e.Method, e.Err)
	if e.Method == AuthIAM || e.Method == AuthAssumeRole {
		msg += "\n" + defaultChainHelp
	}
	return msg
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

// Unwrap returns [secret.ErrPermissionDenied] and the cause.
func (e *CredentialsError) Unwrap() []error { return []error{secret.ErrPermissionDenied, e.Err} }

// UnavailableError reports that AWS could not be reached or kept failing
// (5xx answers, network errors) after the SDK's retries. It wraps
// [secret.ErrUnavailable] and the SDK's error.
type UnavailableError struct {
	Store, Secret string
	Err           error
}

// Error implements error. The message names what failed and never holds a secret value.
func (e *UnavailableError) Error() string {
	return fmt.Sprintf("aws store %q: secret %q: AWS unavailable: %v", e.Store, e.Secret, e.Err)
}

// Unwrap returns [secret.ErrUnavailable] and the SDK's error.
func (e *UnavailableError) Unwrap() []error { return []error{secret.ErrUnavailable, e.Err} }

// TimeoutError reports a call that the resolution's deadline (or a
// cancellation) cut short. It wraps the context's error.
type TimeoutError struct {
	Store, Secret string
	Service       string // "Secrets Manager" or "STS (assuming the role)"
	What          string // which deadline, and how to raise it
	Err           error  // context.DeadlineExceeded or context.Canceled
}

// Error implements error. The message names what failed and never holds a secret value.
func (e *TimeoutError) Error() string {
	return fmt.Sprintf("aws store %q: secret %q: %s while waiting for %s", e.Store, e.Secret, e.What, e.Service)
}

// Unwrap returns the context's error.
func (e *TimeoutError) Unwrap() error { return e.Err }

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

var principalRE = regexp.MustCompile(`(?:User|Principal): (arn:\S+) is not authorized`)

var isThrottle = retry.IsErrorThrottles(retry.DefaultThrottles)

// classify turns an error of GetSecretValue into one of the package's
// typed errors.
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
		return &TimeoutError{Store: s.name, Secret: t.secretID, Service: service, What: what, Err: cerr}
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		code, msg := api.ErrorCode(), api.ErrorMessage()
		switch {
		case code == "ResourceNotFoundException" && !inCreds:
			return &NotFoundError{Store: s.name, Secret: t.secretID, Region: s.region, Version: t.describe(), Msg: msg}
		case code == "DecryptionFailure" && !inCreds:
			return &DecryptionError{Store: s.name, Secret: t.secretID, Region: s.region, Msg: msg}
		case deniedCodes[code]:
			e := &AccessDeniedError{Store: s.name, Secret: t.secretID, Code: code, Msg: msg}
			if m := principalRE.FindStringSubmatch(msg); m != nil {
				e.Principal = m[1]
			}
			if inCreds {
				e.RoleARN = s.opts.RoleARN
			}
			return e
		case isThrottle.IsErrorThrottle(err) == aws.TrueTernary:
			e := &ThrottledError{Store: s.name, Secret: t.secretID, Service: service, Code: code, Attempts: 1}
			var me *retry.MaxAttemptsError
			if errors.As(err, &me) {
				e.Attempts = me.Attempt
			}
			return e
		case invalidCodes[code]:
			return &RequestError{Store: s.name, Secret: t.secretID, Code: code, Msg: service + ": " + msg}
		}
	}
	if inCreds && !unreachable(err) {
		return &CredentialsError{Store: s.name, Method: s.opts.AuthMethod, Err: cf.err}
	}
	return &UnavailableError{Store: s.name, Secret: t.secretID, Err: err}
}

// unreachable reports an error of the network or a 5xx answer.
func unreachable(err error) bool {
	var send *smithyhttp.RequestSendError
	var resp *smithyhttp.ResponseError
	return errors.As(err, &send) || (errors.As(err, &resp) && resp.HTTPStatusCode() >= 500)
}
