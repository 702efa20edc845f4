package aws

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/latchkey/latchkey/secret"
)

// WebIdentity configures a [WebIdentityStore]: the role a Kubernetes
// service account's token (IRSA) is exchanged for.
type WebIdentity struct {
	// RoleARN is the role to assume; its trust policy decides which
	// issuers, audiences and subjects (service accounts) may assume it.
	RoleARN string
	// SessionName names the role session in CloudTrail (default
	// "latchkey-STORE"); characters STS does not allow become '-'.
	SessionName string
	// STSEndpoint overrides the STS endpoint (a test server); empty uses
	// AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, then the regional endpoint.
	STSEndpoint string
}

// WebIdentityStore is a [Store] that acts as the role a web identity token
// was exchanged for with AssumeRoleWithWebIdentity, never with the
// agent's own credentials. It holds no credentials until
// [WebIdentityStore.Exchange] succeeds; each Exchange exchanges its token
// and, on success, its credentials serve the Gets that follow (refreshed
// with the same token when they expire). It is safe for concurrent use.
type WebIdentityStore struct {
	*Store
	wi  WebIdentity
	sts *sts.Client
	cur atomic.Pointer[aws.CredentialsCache]
}

// NewWebIdentity builds a store named spec.Name from the settings of a
// store of type "aws" (region, endpoint, retries: its auth settings must
// be left out) that authenticates with the tokens given to Exchange. It
// does no network I/O.
func NewWebIdentity(ctx context.Context, spec secret.Spec, wi WebIdentity) (*WebIdentityStore, error) {
	opts, err := specOptions(spec)
	if err != nil {
		return nil, err
	}
	if opts.AuthMethod != "" && opts.AuthMethod != AuthIAM {
		return nil, &secret.ConfigError{Store: spec.Name, Key: "auth_method",
			Msg: fmt.Sprintf("is %s, but a store read with a pod's identity takes its credentials from the pod's token: remove auth_method", opts.AuthMethod)}
	}
	if a, err := arn.Parse(wi.RoleARN); err != nil || a.Service != "iam" || !strings.HasPrefix(a.Resource, "role/") {
		return nil, &secret.ConfigError{Store: spec.Name, Key: "role_arn",
			Msg: fmt.Sprintf("%q is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)", wi.RoleARN)}
	}
	if wi.STSEndpoint != "" {
		if err := checkEndpoint(wi.STSEndpoint); err != nil {
			return nil, &secret.ConfigError{Store: spec.Name, Key: "sts_endpoint", Msg: fmt.Sprintf("%q: %v", wi.STSEndpoint, err)}
		}
	}
	wi.SessionName = sessionName(wi.SessionName, spec.Name)
	ws := &WebIdentityStore{wi: wi}
	opts.credentials = aws.CredentialsProviderFunc(ws.retrieve)
	opts.credentialsDesc = fmt.Sprintf("role %s assumed with a pod's service-account token (AssumeRoleWithWebIdentity, session %s)", wi.RoleARN, wi.SessionName)
	st, err := New(ctx, spec.Name, opts)
	if err != nil {
		return nil, err
	}
	ws.Store = st
	ws.sts = sts.NewFromConfig(st.cfg, func(o *sts.Options) {
		o.Credentials = aws.AnonymousCredentials{} // the token is the credential
		if wi.STSEndpoint != "" {
			o.BaseEndpoint = aws.String(wi.STSEndpoint)
		}
	})
	return ws, nil
}

// sessionName returns name, or the default, with characters STS refuses
// replaced.
func sessionName(name, store string) string {
	if name == "" {
		name = defaultSessionName(store)
	}
	b := []byte(name)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_+=,.@-", c) >= 0) {
			b[i] = '-'
		}
	}
	if len(b) > 64 {
		b = b[:64]
	}
	return string(b)
}

// ErrNoExchange is the error of a Get on a [WebIdentityStore] before any
// token was exchanged.
var ErrNoExchange = errors.New("no web identity token has been exchanged for this store yet")

func (ws *WebIdentityStore) retrieve(ctx context.Context) (aws.Credentials, error) {
	c := ws.cur.Load()
	if c == nil {
		return aws.Credentials{}, ErrNoExchange
	}
	return c.Retrieve(ctx)
}

// tokenString is a token handed to the SDK's web identity provider.
type tokenString string

func (t tokenString) GetIdentityToken() ([]byte, error) { return []byte(t), nil }

// Exchange calls AssumeRoleWithWebIdentity with token now. On success the
// session's credentials serve the store from then on; on failure the
// store keeps the credentials it had. A refusal wraps
// [secret.ErrPermissionDenied] and says what STS said (never the token).
func (ws *WebIdentityStore) Exchange(ctx context.Context, token string) error {
	p := stscreds.NewWebIdentityRoleProvider(ws.sts, ws.wi.RoleARN, tokenString(token), func(o *stscreds.WebIdentityRoleOptions) {
		o.RoleSessionName = ws.wi.SessionName
	})
	cache := aws.NewCredentialsCache(p, func(o *aws.CredentialsCacheOptions) { o.ExpiryWindow = CredentialExpiryWindow })
	if _, err := cache.Retrieve(ctx); err != nil {
		var ae smithy.APIError
		if errors.As(err, &ae) {
			switch ae.ErrorCode() {
			case "AccessDenied", "InvalidIdentityToken", "ExpiredTokenException", "IDPRejectedClaim":
				return fmt.Errorf("aws store %q: STS refused to exchange the pod's token for role %s: %s: %s: %w",
					ws.name, ws.wi.RoleARN, ae.ErrorCode(), ae.ErrorMessage(), secret.ErrPermissionDenied)
			}
		}
		return fmt.Errorf("aws store %q: exchanging the pod's token for role %s: %w: %w", ws.name, ws.wi.RoleARN, err, secret.ErrUnavailable)
	}
	ws.cur.Store(cache)
	return nil
}
