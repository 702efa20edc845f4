package azure

import (
	"context"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/latchkey/latchkey/internal/safefile"
)

// loadCAFile reads a PEM file of CA certificates.
func loadCAFile(path string) ([]*x509.Certificate, error) {
	b, _, err := safefile.ReadFile(path, safefile.Options{MaxSize: 16 << 20})
	if err != nil {
		return nil, fmt.Errorf("cannot read the CA file: %w", err)
	}
	var certs []*x509.Certificate
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s holds a certificate that does not parse: %v", path, err)
		}
		certs = append(certs, cert)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("%s holds no PEM certificate", path)
	}
	return certs, nil
}

// newHTTPClient returns the client every request of the store goes through:
// Go's default transport (proxy from the environment, HTTP/2), trusting the
// system pool plus caFile, dialing with dial when it is set.
func newHTTPClient(caFile string, dial func(ctx context.Context, network, addr string) (net.Conn, error)) (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if caFile != "" {
		certs, err := loadCAFile(caFile)
		if err != nil {
			return nil, err
		}
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		for _, c := range certs {
			pool.AddCert(c)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	if dial != nil {
		// A caller that dials routes connections itself: a proxy from the
		// environment would take the route away from it.
		tr.DialContext, tr.Proxy = dial, nil
	}
	return &http.Client{Transport: tr}, nil
}

// parseCertificate reads a client certificate and its private key, PEM or
// PKCS#12, unencrypted.
func parseCertificate(b []byte) ([]*x509.Certificate, crypto.PrivateKey, error) {
	certs, key, err := azidentity.ParseCertificates(b, nil)
	if err != nil {
		return nil, nil, err
	}
	return certs, key, nil
}

// knownAuthorityHosts are Microsoft's Entra ID hosts, for which instance
// discovery works; any other host (ADFS, Azure Stack, tests) turns it off.
var knownAuthorityHosts = []string{
	"login.microsoftonline.com", "login.microsoftonline.us", "login.chinacloudapi.cn",
	"login.microsoft.com", "login.windows.net", "login.partner.microsoftonline.cn",
}

func isKnownAuthority(host string) bool {
	u, err := url.Parse(host)
	if err != nil {
		return false
	}
	for _, h := range knownAuthorityHosts {
		if strings.EqualFold(u.Hostname(), h) {
			return true
		}
	}
	return false
}

// newCredential builds the credential of c's auth method, wrapped so that
// every failure to get a token is a *tokenError.
func newCredential(c *config, hc *http.Client, log *slog.Logger) (azcore.TokenCredential, error) {
	co := azcore.ClientOptions{Transport: hc, PerRetryPolicies: []policy.Policy{tokenAttempts{log: log}}}
	co.Retry.MaxRetries = int32(c.IdentityMaxRetries)
	co.Retry.RetryDelay = c.IdentityRetryDelay
	co.Retry.TryTimeout = c.IdentityTimeout
	if c.IdentityRetryDelay > 0 {
		co.Retry.MaxRetryDelay = 8 * c.IdentityRetryDelay
	}
	disableDiscovery := false
	if c.AuthorityHost != "" {
		co.Cloud = cloud.Configuration{ActiveDirectoryAuthorityHost: c.AuthorityHost}
		disableDiscovery = !isKnownAuthority(c.AuthorityHost)
	}
	if c.workload != nil {
		c.workload.co, c.workload.noDiscovery = co, disableDiscovery
		return &tokenSource{cred: c.workload, method: WorkloadIdentity, identity: c.workload.describe()}, nil
	}
	var (
		cred azcore.TokenCredential
		err  error
	)
	switch c.AuthMethod {
	case ManagedIdentity:
		o := &azidentity.ManagedIdentityCredentialOptions{ClientOptions: co}
		switch {
		case c.ManagedIdentityClientID != "":
			o.ID = azidentity.ClientID(c.ManagedIdentityClientID)
		case c.ManagedIdentityResourceID != "":
			o.ID = azidentity.ResourceID(c.ManagedIdentityResourceID)
		}
		cred, err = azidentity.NewManagedIdentityCredential(o)
	case ServicePrincipal:
		if c.cert != nil {
			certs, key, perr := parseCertificate(c.cert)
			if perr != nil {
				return nil, perr
			}
			cred, err = azidentity.NewClientCertificateCredential(c.TenantID, c.ClientID, certs, key,
				&azidentity.ClientCertificateCredentialOptions{ClientOptions: co, DisableInstanceDiscovery: disableDiscovery})
		} else {
			cred, err = azidentity.NewClientSecretCredential(c.TenantID, c.ClientID, c.secret,
				&azidentity.ClientSecretCredentialOptions{ClientOptions: co, DisableInstanceDiscovery: disableDiscovery})
		}
	case Default:
		cred, err = azidentity.NewDefaultAzureCredential(&azidentity.DefaultAzureCredentialOptions{
			ClientOptions: co, TenantID: c.TenantID, DisableInstanceDiscovery: disableDiscovery})
	default:
		err = fmt.Errorf("unknown auth method %q", c.AuthMethod)
	}
	if err != nil {
		return nil, err
	}
	return &tokenSource{cred: cred, method: c.AuthMethod, identity: c.identity}, nil
}

// tokenSource tags every failure of its credential as a *tokenError, so that
// a token failure is told apart from the vault's own errors however deep
// the SDK wraps it.
type tokenSource struct {
	cred     azcore.TokenCredential
	method   AuthMethod
	identity string
	seen     atomic.Pointer[tokenClaims] // the last token's claims
}

// GetToken implements azcore.TokenCredential.
func (t *tokenSource) GetToken(ctx context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	rec := &attemptLog{}
	tk, err := t.cred.GetToken(context.WithValue(ctx, attemptKey{}, rec), opts)
	if err != nil {
		if ctx.Err() != nil {
			// The deadline ended during the SDK's retries: its error says
			// only that; the last attempt's failure says why.
			if n, last := rec.get(); last != "" {
				err = fmt.Errorf("%w while retrying, after %d attempt(s); last attempt: %s", ctx.Err(), n, last)
			} else {
				err = fmt.Errorf("%w (%v)", ctx.Err(), err)
			}
		}
		reason, unreachable := tokenFailure(err)
		te := &tokenError{method: t.method, identity: t.identity, unreachable: unreachable, reason: reason, err: err}
		if h, ok := ctx.Value(tokenErrKey{}).(*tokenErrHolder); ok {
			h.set(te)
		}
		return tk, te
	}
	t.seen.Store(claimsOf(tk.Token))
	return tk, nil
}

// tokenClaims are the claims of an access token that say whom it was
// issued to. The token itself is never kept.
type tokenClaims struct {
	AppID  string `json:"appid"` // v1 tokens
	AZP    string `json:"azp"`   // v2 tokens
	OID    string `json:"oid"`
	TID    string `json:"tid"`
	UPN    string `json:"upn"`
	Opaque bool   `json:"-"` // not a JWT
}

// claimsOf reads a JWT's payload without checking its signature: the
// vault checks the token; this only reports whom it names.
func claimsOf(token string) *tokenClaims {
	parts := strings.Split(token, ".")
	var c tokenClaims
	if len(parts) != 3 {
		return &tokenClaims{Opaque: true}
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil || json.Unmarshal(b, &c) != nil {
		return &tokenClaims{Opaque: true}
	}
	if c.AppID == "" {
		c.AppID = c.AZP
	}
	return &c
}

// String names the principal, for check.
func (c *tokenClaims) String() string {
	if c.Opaque {
		return "a token that is not a JWT (its principal cannot be read)"
	}
	s := fmt.Sprintf("application (client) ID %s, object ID %s, tenant %s", c.AppID, c.OID, c.TID)
	if c.UPN != "" {
		s = c.UPN + ", " + s
	}
	return s
}

// tokenFailure summarises why a credential failed, in one line, and says
// whether the identity endpoint was unreachable (or failing on its side)
// rather than refusing.
func tokenFailure(err error) (reason string, unreachable bool) {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return oneLine(err.Error(), 400), true
	}
	var afe *azidentity.AuthenticationFailedError
	if errors.As(err, &afe) && afe.RawResponse != nil {
		res := afe.RawResponse
		where := ""
		if res.Request != nil {
			where = fmt.Sprintf(" from %s://%s%s", res.Request.URL.Scheme, res.Request.URL.Host, res.Request.URL.Path)
		}
		body, _ := runtime.Payload(res)
		return fmt.Sprintf("HTTP %d%s: %s", res.StatusCode, where, describeIdentityBody(body)), res.StatusCode >= 500 || res.StatusCode == http.StatusTooManyRequests
	}
	var ne net.Error
	var oe *net.OpError
	var de *net.DNSError
	unreachable = errors.As(err, &ne) || errors.As(err, &oe) || errors.As(err, &de) ||
		strings.Contains(err.Error(), "connection refused") || strings.Contains(err.Error(), "no such host")
	return oneLine(err.Error(), 600), unreachable
}

// describeIdentityBody pulls the error out of an Entra ID or managed
// identity error body: {"error":…,"error_description":…} or {"message":…}.
func describeIdentityBody(body []byte) string {
	var e struct {
		Error       any    `json:"error"`
		Description string `json:"error_description"`
		Message     string `json:"message"`
	}
	if json.Unmarshal(body, &e) == nil {
		var parts []string
		if s, ok := e.Error.(string); ok && s != "" {
			parts = append(parts, s)
		}
		if e.Description != "" {
			// Entra appends trace and correlation IDs on later lines.
			parts = append(parts, strings.SplitN(e.Description, "\r\n", 2)[0])
		}
		if e.Message != "" {
			parts = append(parts, e.Message)
		}
		if len(parts) > 0 {
			return oneLine(strings.Join(parts, ": "), 400)
		}
	}
	if len(body) == 0 {
		return "no response body"
	}
	return oneLine(string(body), 200)
}

// attemptLog keeps the outcome of the last token request a GetToken made.
type attemptLog struct {
	mu   sync.Mutex
	n    int
	last string
}

func (a *attemptLog) note(outcome string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.n++
	if outcome != "" {
		a.last = outcome
	}
	return a.n
}

func (a *attemptLog) get() (int, string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.n, a.last
}

type attemptKey struct{}

// tokenAttempts is a per-retry policy of the credential's pipeline: it
// records each token request's failure into the GetToken's attemptLog and
// logs every attempt at debug level (endpoint without its query, status
// or error; never a token).
type tokenAttempts struct{ log *slog.Logger }

func (p tokenAttempts) Do(req *policy.Request) (*http.Response, error) {
	resp, err := req.Next()
	raw := req.Raw()
	endpoint := raw.URL.Scheme + "://" + raw.URL.Host + raw.URL.Path
	outcome := ""
	switch {
	case err != nil:
		outcome = endpoint + ": " + oneLine(transportError(err), 300)
	case resp.StatusCode >= 400:
		outcome = fmt.Sprintf("HTTP %d from %s", resp.StatusCode, endpoint)
	}
	n := 0
	if rec, ok := raw.Context().Value(attemptKey{}).(*attemptLog); ok {
		n = rec.note(outcome)
	}
	if p.log != nil {
		if outcome == "" {
			p.log.DebugContext(raw.Context(), "azure: token request", "attempt", n, "endpoint", endpoint, "status", resp.StatusCode)
		} else {
			p.log.DebugContext(raw.Context(), "azure: token request failed", "attempt", n, "endpoint", endpoint, "error", outcome)
		}
	}
	return resp, err
}

// transportError drops the URL (and its query) that net/http puts in
// front of a transport error: "Get \"…\": dial tcp …" becomes "dial tcp …".
func transportError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

// tokenErrHolder keeps the last token failure of one Get: the SDK's retry
// policy replaces an error with the bare context error once the deadline
// has passed, and the store still wants to say why it had no token.
type tokenErrHolder struct {
	mu  sync.Mutex
	err *tokenError
}

func (h *tokenErrHolder) set(e *tokenError) {
	h.mu.Lock()
	h.err = e
	h.mu.Unlock()
}

func (h *tokenErrHolder) get() *tokenError {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.err
}

type tokenErrKey struct{}

// withTokenErrors returns ctx carrying a fresh holder.
func withTokenErrors(ctx context.Context) (context.Context, *tokenErrHolder) {
	h := &tokenErrHolder{}
	return context.WithValue(ctx, tokenErrKey{}, h), h
}

// or returns the held token failure when the Get failed at its deadline,
// else err.
func (h *tokenErrHolder) or(err error) error {
	var te *tokenError
	if te2 := h.get(); te2 != nil && !errors.As(err, &te) && (errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)) {
		return te2
	}
	return err
}
