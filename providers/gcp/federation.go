package gcp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"

	"cloud.google.com/go/auth"
	"cloud.google.com/go/auth/credentials/externalaccount"
	secretmanager "cloud.google.com/go/secretmanager/apiv1"

	"github.com/latchkey/latchkey/secret"
)

// Federation configures a [FederatedStore]: workload identity federation
// of a Kubernetes service-account token, then, optionally, service
// account impersonation.
type Federation struct {
	// Audience is the workload identity pool provider's resource name,
	// //iam.googleapis.com/projects/N/locations/global/workloadIdentityPools/P/providers/PR.
	Audience string
	// TokenURL overrides the STS token endpoint (default
	// https://sts.googleapis.com/v1/token): a test server.
	TokenURL string
	// ImpersonateServiceAccount, when set, is the service account the
	// federated principal acts as (it needs
	// roles/iam.workloadIdentityUser on it).
	ImpersonateServiceAccount string
	// Client is the HTTP client of the token exchanges (default
	// http.DefaultClient's transport).
	Client *http.Client
}

// FederatedStore is a [Store] that acts as the federated principal (or
// the service account it impersonates) a pod's token was exchanged for,
// never with the agent's own credentials. It holds no credentials until
// [FederatedStore.Exchange] succeeds. It is safe for concurrent use.
type FederatedStore struct {
	*Store
	fed Federation
	cur atomic.Pointer[auth.Credentials]
}

// ErrNoExchange is the error of a Get on a [FederatedStore] before any
// token was exchanged.
var ErrNoExchange = errors.New("no workload identity federation token has been exchanged for this store yet")

// NewFederated builds a store named spec.Name from the settings of a store
// of type "gcp" (project, location, endpoint, retries; its auth settings
// left out, project required) that authenticates with the tokens given
// to Exchange. It does no network I/O.
func NewFederated(ctx context.Context, spec secret.Spec, fed Federation) (*FederatedStore, error) {
	cfg, err := specConfig(spec)
	if err != nil {
		return nil, err
	}
	if cfg.Auth != "" || cfg.CredentialsFile != "" || cfg.ImpersonateServiceAccount != "" {
		return nil, &secret.ConfigError{Store: spec.Name, Key: "auth_method",
			Msg: "a store read with a pod's identity takes its credentials from the pod's token: remove auth_method, credentials_file and impersonate_service_account (the csi section names them)"}
	}
	if cfg.Project == "" {
		return nil, &secret.ConfigError{Store: spec.Name, Key: "project", Msg: "required for a store read with a pod's identity (federated tokens name no project)"}
	}
	if !strings.HasPrefix(fed.Audience, "//iam.googleapis.com/") || !strings.Contains(fed.Audience, "/workloadIdentityPools/") {
		return nil, &secret.ConfigError{Store: spec.Name, Key: "audience",
			Msg: fmt.Sprintf("%q is not a workload identity pool provider (//iam.googleapis.com/projects/N/locations/global/workloadIdentityPools/P/providers/PR)", fed.Audience)}
	}
	fs := &FederatedStore{fed: fed}
	cfg.federated = auth.NewCredentials(&auth.CredentialsOptions{TokenProvider: fs})
	cfg.federatedDesc = "workload identity federation of a pod's service-account token (" + fed.Audience + ")"
	if fed.ImpersonateServiceAccount != "" {
		cfg.federatedDesc += ", impersonating " + fed.ImpersonateServiceAccount
	}
	s, err := New(ctx, spec.Name, cfg)
	if err != nil {
		return nil, err
	}
	fs.Store = s
	return fs, nil
}

// Token implements auth.TokenProvider with the last exchange's credentials.
func (fs *FederatedStore) Token(ctx context.Context) (*auth.Token, error) {
	c := fs.cur.Load()
	if c == nil {
		return nil, ErrNoExchange
	}
	return c.Token(ctx)
}

type subjectToken string

func (t subjectToken) SubjectToken(context.Context, *externalaccount.RequestOptions) (string, error) {
	return string(t), nil
}

// Exchange exchanges token with STS (and impersonates, when configured)
// now. On success its credentials serve the store from then on; on failure
// the store keeps the ones it had. A refusal wraps
// [secret.ErrPermissionDenied] and says what STS said (never the token).
func (fs *FederatedStore) Exchange(ctx context.Context, token string) error {
	o := &externalaccount.Options{
		Audience:             fs.fed.Audience,
		SubjectTokenType:     "urn:ietf:params:oauth:token-type:jwt",
		TokenURL:             fs.fed.TokenURL,
		Scopes:               secretmanager.DefaultAuthScopes(),
		SubjectTokenProvider: subjectToken(token),
		Client:               fs.fed.Client,
	}
	if fs.fed.ImpersonateServiceAccount != "" {
		o.ServiceAccountImpersonationURL = "https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/" +
			fs.fed.ImpersonateServiceAccount + ":generateAccessToken"
	}
	creds, err := externalaccount.NewCredentials(o)
	if err != nil {
		return fmt.Errorf("gcp store %q: %w: %w", fs.name, err, secret.ErrInvalidConfig)
	}
	if _, err := creds.Token(ctx); err != nil {
		// The library reports STS's answer as "status code N: BODY" (not
		// an *auth.Error): a 4xx is STS refusing the token.
		msg := err.Error()
		if i := strings.Index(msg, "status code 4"); i >= 0 {
			return fmt.Errorf("gcp store %q: STS refused the pod's token for %s: %s: %w", fs.name, fs.fed.Audience,
				strings.TrimSpace(msg[i:]), secret.ErrPermissionDenied)
		}
		return fmt.Errorf("gcp store %q: exchanging the pod's token: %w: %w", fs.name, err, secret.ErrUnavailable)
	}
	fs.cur.Store(creds)
	return nil
}
