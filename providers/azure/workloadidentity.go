package azure

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/latchkey/latchkey/secret"
)

// WorkloadIdentity is the auth method of a [WorkloadIdentityStore]: a
// client assertion with a Kubernetes service-account token (audience
// api://AzureADTokenExchange) for an application whose federated identity
// credential trusts the cluster's issuer and the service account.
const WorkloadIdentity AuthMethod = "workload_identity"

// WorkloadIdentityApp names the application a [WorkloadIdentityStore]
// authenticates as.
type WorkloadIdentityApp struct {
	TenantID, ClientID string
}

// WorkloadIdentityStore is a [Store] that acts as the application a pod's
// token was exchanged for (azidentity's ClientAssertionCredential), never
// with the agent's own identity. It holds no credential until
// [WorkloadIdentityStore.Exchange] succeeds. It is safe for concurrent use.
type WorkloadIdentityStore struct {
	*Store
	swap  *swapCredential
	scope string
}

// swapCredential is the credential of the last successful exchange.
type swapCredential struct {
	app         WorkloadIdentityApp
	co          azcore.ClientOptions
	noDiscovery bool
	cur         atomic.Pointer[azidentity.ClientAssertionCredential]
}

// ErrNoExchange is the error of a Get on a [WorkloadIdentityStore] before
// any token was exchanged.
var ErrNoExchange = errors.New("no workload identity token has been exchanged for this store yet")

func (c *swapCredential) GetToken(ctx context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	cur := c.cur.Load()
	if cur == nil {
		return azcore.AccessToken{}, ErrNoExchange
	}
	return cur.GetToken(ctx, o)
}

func (c *swapCredential) describe() string {
	return fmt.Sprintf("application %s in tenant %s through workload identity (a pod's service-account token as client assertion)", c.app.ClientID, c.app.TenantID)
}

// NewWorkloadIdentity builds a store named spec.Name from the settings of
// a store of type "azure" (vault, CA, authority host, retries; its auth
// settings left out) that authenticates with the tokens given to Exchange.
// It does no network I/O.
func NewWorkloadIdentity(spec secret.Spec, app WorkloadIdentityApp) (*WorkloadIdentityStore, error) {
	o, err := specOptions(spec)
	if err != nil {
		return nil, err
	}
	if o.AuthMethod != "" || o.ClientID != "" || o.TenantID != "" {
		return nil, &secret.ConfigError{Store: spec.Name, Key: "auth_method",
			Msg: "a store read with a pod's identity takes its credential from the pod's token: remove auth_method, tenant_id and client_id (the csi section names the application)"}
	}
	if !validTenant(app.TenantID) {
		return nil, &secret.ConfigError{Store: spec.Name, Key: "tenant_id", Msg: fmt.Sprintf("%q is not a tenant ID or domain", app.TenantID)}
	}
	if app.ClientID == "" {
		return nil, &secret.ConfigError{Store: spec.Name, Key: "client_id", Msg: "required: the application whose federated credential trusts the service account"}
	}
	sw := &swapCredential{app: app}
	o.workload = sw
	s, err := New(spec.Name, o)
	if err != nil {
		return nil, err
	}
	s.who = sw.describe()
	s.identity.Summary = strings.Replace(s.identity.Summary, ", as managed identity (system-assigned)", ", as "+sw.describe(), 1)
	return &WorkloadIdentityStore{Store: s, swap: sw, scope: "https://" + s.domain + "/.default"}, nil
}

// Exchange asks Entra ID for a Key Vault token with token as the client
// assertion now. On success that credential serves the store from then on;
// on failure the store keeps the one it had. A refusal wraps
// [secret.ErrPermissionDenied] and says what Entra said (never the token).
func (ws *WorkloadIdentityStore) Exchange(ctx context.Context, token string) error {
	sw := ws.swap
	cred, err := azidentity.NewClientAssertionCredential(sw.app.TenantID, sw.app.ClientID,
		func(context.Context) (string, error) { return token, nil },
		&azidentity.ClientAssertionCredentialOptions{ClientOptions: sw.co, DisableInstanceDiscovery: sw.noDiscovery})
	if err != nil {
		return fmt.Errorf("azure store %q: %w: %w", ws.name, err, secret.ErrInvalidConfig)
	}
	if _, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{ws.scope}}); err != nil {
		var ae *azidentity.AuthenticationFailedError
		if errors.As(err, &ae) && ae.RawResponse != nil && ae.RawResponse.StatusCode >= 400 && ae.RawResponse.StatusCode < 500 {
			return fmt.Errorf("azure store %q: Entra ID refused the pod's token for application %s: %s: %w",
				ws.name, sw.app.ClientID, firstLine(err.Error()), secret.ErrPermissionDenied)
		}
		return fmt.Errorf("azure store %q: exchanging the pod's token: %w: %w", ws.name, err, secret.ErrUnavailable)
	}
	sw.cur.Store(cred)
	return nil
}

// firstLine keeps azidentity's summary and the AADSTS line, not its
// troubleshooting link or the whole response.
func firstLine(s string) string {
	var keep []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" && (len(keep) == 0 || strings.Contains(l, "AADSTS")) {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, " ")
}
