// Package aws is the store of type "aws": it reads secrets from AWS Secrets
// Manager with github.com/aws/aws-sdk-go-v2, in one region, as one
// identity. Importing the package registers the type.
//
// Settings (snake_case in the agent config; see [Options] for each):
//
//	region: eu-west-1            # default: the SDK's (AWS_REGION, profile)
//	auth_method: iam             # iam (default) | assume_role | access_keys
//	role_arn: arn:aws:iam::123456789012:role/latchkey   # assume_role
//	external_id: …               # assume_role, optional
//	session_name: latchkey-prod  # assume_role, default latchkey-STORE
//	duration: 1h                 # assume_role, 15m to 12h, default 15m
//	access_key_id_env: AWS_ACCESS_KEY_ID          # access_keys (defaults shown)
//	secret_access_key_env: AWS_SECRET_ACCESS_KEY
//	session_token_env: AWS_SESSION_TOKEN
//	access_key_id_file: /var/run/secrets/aws/id   # access_keys, instead of _env
//	secret_access_key_file: /var/run/secrets/aws/secret
//	endpoint: https://vpce-….secretsmanager.eu-west-1.vpce.amazonaws.com
//	sts_endpoint: https://sts.eu-west-1.amazonaws.com   # assume_role
//	max_attempts: 3              # per call, retries included
//
// A request's name is a secret name or path ("prod/db") or its ARN; an ARN
// of another region than the store's is refused. Its version follows the
// rule of [SelectVersion]: "stage:L" and "id:I" say which they are; a UUID
// is a version ID; anything else is a staging label (AWSCURRENT by default).
// SecretString and SecretBinary are returned raw: JSON keys are looked up by
// the resolver.
//
// # Errors
//
// Get's failures are a [*secret.StoreError] of Type "aws" whose Kind is
// secret.ErrNotFound (no such secret, version or stage in the region),
// secret.ErrPermissionDenied (a policy or STS refused the identity, which
// Principal names when AWS does; the KMS key cannot decrypt; no
// credentials), secret.ErrUnavailable (still throttled, or 5xx and network
// errors, after the SDK's attempts) or secret.ErrInvalidConfig (a malformed
// name, ARN or version, an ARN of another region, a request AWS rejects).
// A canceled or expired context gives a StoreError with no Kind wrapping
// context.Canceled or context.DeadlineExceeded. No error holds a
// secret value or a credential.
//
// Package awstest runs a loopback Secrets Manager and STS that verify every
// request's signature, for this package's tests and for end-to-end tests.
package aws
