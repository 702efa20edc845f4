package aws

import (
	"errors"
	"fmt"
	"github.com/latchkey/latchkey/internal/lazy"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/latchkey/latchkey/secret"
)

// AuthMethod says how a [Store] obtains AWS credentials.
type AuthMethod string

// The auth methods. The zero value means AuthIAM.
const (
	// AuthIAM uses the SDK's default credential chain: environment
	// variables, shared config and credentials files (profiles, SSO), web
	// identity (EKS IRSA), the ECS container role and the EC2 instance role.
	AuthIAM AuthMethod = "iam"
	// AuthAssumeRole assumes Options.RoleARN through STS with credentials
	// from the default chain, caching the session's credentials and
	// refreshing them before they expire.
	AuthAssumeRole AuthMethod = "assume_role"
	// AuthAccessKeys uses an access key pair read from environment variables
	// or files (Kubernetes secret mounts), or, discouraged, given literally.
	AuthAccessKeys AuthMethod = "access_keys"
)

// Default environment variables of AuthAccessKeys: the SDK's own names.
const (
	DefaultAccessKeyIDEnv     = "AWS_ACCESS_KEY_ID"
	DefaultSecretAccessKeyEnv = "AWS_SECRET_ACCESS_KEY"
	DefaultSessionTokenEnv    = "AWS_SESSION_TOKEN"
)

// CredentialExpiryWindow is how long before their expiry assumed-role
// credentials are refreshed, so that no request is signed with credentials
// about to lapse.
const CredentialExpiryWindow = time.Minute

// Options configures a [Store]. Each field with a json tag is the store's
// agent-config setting of that name, decoded straight into Options
// (secret.Spec.Decode); zero values are the documented defaults.
type Options struct {
	// Region is the AWS region of the secrets; empty uses the SDK's region
	// resolution (AWS_REGION, AWS_DEFAULT_REGION, the shared config profile).
	Region string `json:"region"`
	// AuthMethod selects the credentials; empty means AuthIAM.
	AuthMethod AuthMethod `json:"auth_method"`

	// RoleARN is the role AuthAssumeRole assumes (required with it).
	RoleARN string `json:"role_arn"`
	// ExternalID is passed to AssumeRole when the role's trust policy
	// requires one.
	ExternalID string `json:"external_id"`
	// SessionName names the role session, as CloudTrail shows it
	// (default "latchkey-STORE").
	SessionName string `json:"session_name"`
	// Duration is the role session's lifetime, 15m to 12h (default 15m, the
	// SDK's); the role's maximum session duration must allow it.
	Duration time.Duration `json:"duration" eg:"15m or 1h"`

	// AccessKeyIDEnv, SecretAccessKeyEnv and SessionTokenEnv name the
	// environment variables AuthAccessKeys reads (the Default…Env names by
	// default). The session token is optional, and read by default only
	// when the access key ID comes from the environment.
	AccessKeyIDEnv     string `json:"access_key_id_env"`
	SecretAccessKeyEnv string `json:"secret_access_key_env"`
	SessionTokenEnv    string `json:"session_token_env"`
	// AccessKeyIDFile and SecretAccessKeyFile name files holding the key
	// (surrounding white space ignored), as a Kubernetes secret mounts them.
	// They take the place of the environment variables.
	AccessKeyIDFile     string `json:"access_key_id_file"`
	SecretAccessKeyFile string `json:"secret_access_key_file"`
	// AccessKeyID and SecretAccessKey give the key literally. They work,
	// but [Store.Describe] warns: a key in a config file leaks with it.
	AccessKeyID     string `json:"access_key_id" secret:"true"`
	SecretAccessKey string `json:"secret_access_key" secret:"true"`

	// Endpoint overrides the Secrets Manager endpoint (a VPC or FIPS
	// endpoint, a test server). Empty honours AWS_ENDPOINT_URL_SECRETS_MANAGER
	// and AWS_ENDPOINT_URL, then the SDK's regional endpoint.
	Endpoint string `json:"endpoint"`
	// STSEndpoint overrides the STS endpoint used by AuthAssumeRole and by
	// the store's Principal (`latchkey check`). Empty honours
	// AWS_ENDPOINT_URL_STS and AWS_ENDPOINT_URL.
	STSEndpoint string `json:"sts_endpoint"`
	// MaxAttempts bounds the attempts of each call, retries included, for
	// 5xx answers, throttling and network errors (default 3, the SDK's).
	MaxAttempts int `json:"max_attempts"`

	// MaxBackoff caps the delay between retries (default 20s, the SDK's).
	// It has no setting: it is for embedders and tests.
	MaxBackoff time.Duration `json:"-"`
	// Logger receives debug records, never values (default: discard).
	Logger *slog.Logger `json:"-"`

	// credentials and credentialsDesc, when set, replace the auth method's
	// credentials (a web-identity store, webidentity.go).
	credentials     aws.CredentialsProvider
	credentialsDesc string
}

// specOptions decodes the settings of spec into Options, with its logger.
func specOptions(spec secret.Spec) (Options, error) {
	var o Options
	if err := spec.Decode(&o); err != nil {
		return o, err
	}
	o.Logger = spec.Logger
	return o, nil
}

var (
	envNameRE     = lazy.Regexp(`^[A-Za-z_][A-Za-z0-9_]*$`)
	sessionNameRE = lazy.Regexp(`^[\w+=,.@-]{2,64}$`)
	externalIDRE  = lazy.Regexp(`^[\w+=,.@:/-]+$`)
	regionRE      = lazy.Regexp(`^[a-z]{2}(-[a-z]+)+-\d+$`)
)

// reportFunc records one problem with the setting key; validate collects
// them so that every problem of a store's options is reported at once.
type reportFunc func(key, format string, args ...any)

// validate fills in defaults and checks every option of the store name,
// returning all problems joined.
func (o *Options) validate(name string) error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, &secret.ConfigError{Store: name, Key: key, Msg: fmt.Sprintf(format, args...)})
	}
	if o.Region != "" && !regionRE().MatchString(o.Region) {
		bad("region", "%q is not an AWS region name (e.g. eu-west-1)", o.Region)
	}
	o.checkAuthMethod(bad)
	if o.AuthMethod == AuthAssumeRole {
		o.checkAssumeRole(name, bad)
	}
	if o.AuthMethod == AuthAccessKeys {
		o.checkAccessKeys(bad)
	}
	o.checkClient(bad)
	return errors.Join(errs...)
}

// checkAuthMethod defaults auth_method to iam, checks it is known, and
// reports the keys of the other methods that are set.
func (o *Options) checkAuthMethod(bad reportFunc) {
	if o.AuthMethod == "" {
		o.AuthMethod = AuthIAM
	}
	switch o.AuthMethod {
	case AuthIAM, AuthAssumeRole, AuthAccessKeys:
	default:
		bad("auth_method", "unknown auth method %q (use iam, assume_role or access_keys)", o.AuthMethod)
	}

	roleKeys := map[string]bool{"role_arn": o.RoleARN != "", "external_id": o.ExternalID != "",
		"session_name": o.SessionName != "", "duration": o.Duration != 0}
	keyKeys := map[string]bool{
		"access_key_id_env": o.AccessKeyIDEnv != "", "secret_access_key_env": o.SecretAccessKeyEnv != "",
		"session_token_env": o.SessionTokenEnv != "", "access_key_id_file": o.AccessKeyIDFile != "",
		"secret_access_key_file": o.SecretAccessKeyFile != "", "access_key_id": o.AccessKeyID != "",
		"secret_access_key": o.SecretAccessKey != ""}
	if o.AuthMethod != AuthAssumeRole {
		for _, k := range sortedTrue(roleKeys) {
			bad(k, "applies only to auth_method assume_role (this store uses %s)", o.AuthMethod)
		}
	}
	if o.AuthMethod != AuthAccessKeys {
		for _, k := range sortedTrue(keyKeys) {
			bad(k, "applies only to auth_method access_keys (this store uses %s)", o.AuthMethod)
		}
	}
}

// checkAssumeRole checks the assume_role keys and defaults session_name
// from the store's name.
func (o *Options) checkAssumeRole(name string, bad reportFunc) {
	if o.RoleARN == "" {
		bad("role_arn", "required with auth_method assume_role: the ARN of the role to assume, e.g. arn:aws:iam::123456789012:role/latchkey")
	} else if a, err := arn.Parse(o.RoleARN); err != nil || a.Service != "iam" || !strings.HasPrefix(a.Resource, "role/") {
		bad("role_arn", "%q is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)", o.RoleARN)
	}
	if o.ExternalID != "" && (len(o.ExternalID) < 2 || len(o.ExternalID) > 1224 || !externalIDRE().MatchString(o.ExternalID)) {
		bad("external_id", "must be 2 to 1224 characters of letters, digits and +=,.@:/-")
	}
	if o.SessionName == "" {
		o.SessionName = defaultSessionName(name)
	} else if !sessionNameRE().MatchString(o.SessionName) {
		bad("session_name", "%q must be 2 to 64 characters of letters, digits and _+=,.@-", o.SessionName)
	}
	if o.Duration != 0 && (o.Duration < 15*time.Minute || o.Duration > 12*time.Hour) {
		bad("duration", "%v is outside what STS allows (15m to 12h)", o.Duration)
	}
}

// checkAccessKeys checks that the access key ID and the secret access key
// each come from one place (the default variables when none is given) and
// defaults session_token_env when the key comes from the environment.
func (o *Options) checkAccessKeys(bad reportFunc) {
	pair := []struct {
		what, envKey, fileKey, litKey string
		env, file, lit                *string
		def                           string
	}{
		{"access key ID", "access_key_id_env", "access_key_id_file", "access_key_id",
			&o.AccessKeyIDEnv, &o.AccessKeyIDFile, &o.AccessKeyID, DefaultAccessKeyIDEnv},
		{"secret access key", "secret_access_key_env", "secret_access_key_file", "secret_access_key",
			&o.SecretAccessKeyEnv, &o.SecretAccessKeyFile, &o.SecretAccessKey, DefaultSecretAccessKeyEnv},
	}
	for _, p := range pair {
		set := sortedTrue(map[string]bool{p.envKey: *p.env != "", p.fileKey: *p.file != "", p.litKey: *p.lit != ""})
		if len(set) > 1 {
			bad(set[1], "the %s comes from one place: set only one of %s", p.what, strings.Join(set, ", "))
			continue
		}
		if *p.file == "" && *p.lit == "" && *p.env == "" {
			*p.env = p.def
		}
		if *p.env != "" && !envNameRE().MatchString(*p.env) {
			bad(p.envKey, "%q is not an environment variable name", *p.env)
		}
	}
	if o.SessionTokenEnv == "" {
		if o.AccessKeyIDEnv != "" {
			// A token only belongs with a key from the environment.
			o.SessionTokenEnv = DefaultSessionTokenEnv
		}
	} else if !envNameRE().MatchString(o.SessionTokenEnv) {
		bad("session_token_env", "%q is not an environment variable name", o.SessionTokenEnv)
	}
}

// checkClient checks the endpoints and the retry settings.
func (o *Options) checkClient(bad reportFunc) {
	for _, ep := range []struct{ key, val string }{{"endpoint", o.Endpoint}, {"sts_endpoint", o.STSEndpoint}} {
		if ep.val == "" {
			continue
		}
		if err := checkEndpoint(ep.val); err != nil {
			bad(ep.key, "%q: %v", ep.val, err)
		}
	}
	if o.MaxAttempts < 0 || o.MaxAttempts > 20 {
		bad("max_attempts", "%d is outside 1 to 20 (0 keeps the SDK's default of 3)", o.MaxAttempts)
	}
	if o.MaxBackoff < 0 {
		bad("max_backoff", "must not be negative")
	}
}

func checkEndpoint(s string) error {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return errors.New("not a URL")
	case u.Scheme != "https" && u.Scheme != "http":
		return errors.New("must start with https:// (or http:// for a local test server)")
	case u.Host == "":
		return errors.New("has no host")
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return errors.New("must not hold a query, fragment or user info")
	}
	return nil
}

func defaultSessionName(store string) string {
	n := "latchkey-" + store
	if len(n) > 64 {
		n = n[:64]
	}
	return n
}

func sortedTrue(m map[string]bool) []string {
	var out []string
	for k, v := range m {
		if v {
			out = append(out, k)
		}
	}
	slices.Sort(out) // errors in a stable order
	return out
}
