package azure

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/latchkey/latchkey/secret"
)

func init() {
	secret.Register(secret.Type{Name: "azure", New: factory, Protection: secret.Protection{
		// Key Vault allows 4,000 secret transactions per 10 s per vault
		// (400/s): 100/s and a burst of 100 are 28 % of a window. The SDK
		// retries, honouring Retry-After.
		Rate: 100, Burst: 100, ClientRetries: true,
	}})
}

func factory(_ context.Context, spec secret.Spec) (secret.Store, error) {
	o, err := specOptions(spec)
	if err != nil {
		return nil, err
	}
	return New(spec.Name, o)
}

// Store reads secrets from Azure Key Vault. It is safe for concurrent use.
//
// It keeps one credential and one Key Vault client per vault, built once
// and reused: the default vault's client is built by [New], the client of
// another vault named by a secret URL on first use.
type Store struct {
	name     string
	vault    string // default vault's base URL, or ""
	domain   string
	identity secret.Description // Summary and Warnings, for Describe
	who      string             // the identity, for errors
	cred     azcore.TokenCredential
	opts     azsecrets.ClientOptions
	hc       *http.Client
	log      *slog.Logger

	mu      sync.Mutex
	clients map[string]*azsecrets.Client // by vault base URL

	secretEnv string // the variable client_secret_env names, for usedEnv
}

// New returns a Store named name (the name appears in errors). It checks
// every option, reporting all problems at once as joined
// [*secret.ConfigError]s, reads the client secret or certificate, and
// builds the credential and the default vault's client. It does no network
// I/O: the first [Store.Get] authenticates.
func New(name string, o Options) (*Store, error) {
	c, err := o.check(name)
	if err != nil {
		return nil, err
	}
	hc, err := newHTTPClient(c.CAFile, c.Dial)
	if err != nil {
		return nil, &secret.ConfigError{Store: name, Key: "ca_file", Msg: err.Error()}
	}
	log := c.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cred, err := newCredential(c, hc, log)
	if err != nil {
		return nil, &secret.ConfigError{Store: name, Key: "auth_method", Msg: fmt.Sprintf("building the %s credential: %v", c.AuthMethod, err)}
	}
	s := &Store{
		name: name, vault: c.vault, domain: c.VaultDomain, who: c.identity,
		cred: cred, hc: hc, log: log, clients: map[string]*azsecrets.Client{}, secretEnv: c.ClientSecretEnv,
		opts: azsecrets.ClientOptions{
			ClientOptions: azcore.ClientOptions{
				Transport:        hc,
				Retry:            policy.RetryOptions{MaxRetries: int32(c.MaxRetries), RetryDelay: c.RetryDelay, ShouldRetry: shouldRetry},
				PerRetryPolicies: []policy.Policy{notePolicy{}},
			},
			DisableChallengeResourceVerification: c.DisableChallengeResourceVerification,
		},
	}
	if c.RetryDelay > 0 {
		s.opts.Retry.MaxRetryDelay = 8 * c.RetryDelay
	}
	vault := c.vault
	if vault == "" {
		vault = "each secret's URL (vault domain " + c.VaultDomain + ")"
	}
	s.identity = secret.Description{Summary: fmt.Sprintf("Azure Key Vault %s, as %s", vault, c.identity), Warnings: c.warnings}
	if c.vault != "" {
		if _, err := s.client(c.vault); err != nil {
			return nil, &secret.ConfigError{Store: name, Key: "vault_url", Msg: err.Error()}
		}
	}
	return s, nil
}

// client returns the vault's client, building it on first use.
func (s *Store) client(vault string) (*azsecrets.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.clients[vault]; ok {
		return c, nil
	}
	c, err := azsecrets.NewClient(vault, s.cred, &s.opts)
	if err != nil {
		return nil, err
	}
	s.clients[vault] = c
	s.log.Debug("azure: Key Vault client built", "vault", vault)
	return c, nil
}

// Get returns the secret req.Name: a bare secret name in the store's vault,
// or a full secret URL https://VAULT.DOMAIN/secrets/NAME[/VERSION]. The
// version is req.Version or the URL's, the current one when neither gives
// one. Key Vault holds text, so the value is the secret's string as stored.
//
// # Errors
//
// The vault's and the credential's failures are a [*secret.StoreError] (see
// the package documentation for its kinds); a malformed
// name wraps [secret.ErrInvalidConfig], a URL outside the vault domain
// [secret.ErrNotAllowed], and a canceled or expired ctx its error.
func (s *Store) Get(ctx context.Context, req secret.Request) (secret.Result, error) {
	if err := ctx.Err(); err != nil {
		return secret.Result{}, fmt.Errorf("azure store %q: secret %q: %w", s.name, req.Name, err)
	}
	t, err := s.resolve(req)
	if err != nil {
		return secret.Result{}, err
	}
	c, err := s.client(t.vault)
	if err != nil {
		return secret.Result{}, fmt.Errorf("azure store %q: vault %s: %w", s.name, t.vault, errors.Join(secret.ErrInvalidConfig, err))
	}
	cctx, tokenErrs := withTokenErrors(ctx)
	cctx, tries := countAttempts(cctx)
	resp, err := c.GetSecret(cctx, t.name, t.version, nil)
	res := secret.Result{FetchInfo: secret.FetchInfo{Upstream: tries.n}}
	if err != nil {
		return res, s.classify(ctx, t, tokenErrs.or(err))
	}
	if resp.Value == nil {
		return res, fmt.Errorf("azure store %q: vault %s: secret %q: the vault returned no value: %w", s.name, t.vault, t.name, secret.ErrUnavailable)
	}
	s.log.Debug("azure: secret fetched", "vault", t.vault, "secret", t.name, "version", resp.ID.Version())
	if resp.ID != nil {
		res.SetVersion(resp.ID.Version())
	}
	d := &secret.VersionDetail{Stored: secret.StoredText} // Key Vault secrets are strings
	if resp.Attributes != nil && resp.Attributes.Created != nil {
		d.Created = *resp.Attributes.Created
	}
	res.Detail = d
	res.Value = secret.StringValue(*resp.Value)
	return res, nil
}

// classify turns an SDK error into a [*secret.StoreError], or a wrapped
// sentinel of package secret for the failures no one acts on by type.
func (s *Store) classify(ctx context.Context, t target, err error) error {
	var te *tokenError
	if errors.As(err, &te) {
		// Also when the deadline ended while getting the token: the token
		// error keeps the last attempt's failure.
		return tokenFailed(s.name, t.vault, t.name, te)
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("azure store %q: vault %s: secret %q: %w", s.name, t.vault, t.name, ctxErr)
	}
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		code, inner, msg := vaultError(re)
		switch re.StatusCode {
		case http.StatusNotFound:
			return secretNotFound(s.name, t.vault, t.name, t.version)
		case http.StatusForbidden:
			if inner == "SecretDisabled" || strings.Contains(msg, "disabled secret") {
				return secretDisabled(s.name, t.vault, t.name, t.version)
			}
			return forbidden(s.name, t.vault, t.name, s.who, re.StatusCode, code, msg)
		case http.StatusUnauthorized:
			return forbidden(s.name, t.vault, t.name, s.who, re.StatusCode, code, msg)
		case http.StatusBadRequest:
			return fmt.Errorf("azure store %q: vault %s: secret %q: the vault rejected the request (%s: %s): %w",
				s.name, t.vault, t.name, code, msg, secret.ErrInvalidConfig)
		}
		return vaultUnreachable(s.name, t.vault, t.name, false, re.StatusCode, retryAfter(re.RawResponse),
			fmt.Errorf("HTTP %d %s: %s", re.StatusCode, code, msg))
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return vaultUnreachable(s.name, t.vault, t.name, dnsErr.IsNotFound, 0, 0, dnsErr)
	}
	var netErr net.Error
	var opErr *net.OpError
	if errors.As(err, &netErr) || errors.As(err, &opErr) || isTLSError(err) {
		return vaultUnreachable(s.name, t.vault, t.name, false, 0, 0, errors.New(oneLine(err.Error(), 400)))
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "challenge resource"):
		return fmt.Errorf("azure store %q: vault %s: secret %q: %s (the vault's authentication challenge names a resource outside its domain; for a vault behind a custom domain set disable_challenge_resource_verification): %w",
			s.name, t.vault, t.name, oneLine(msg, 300), secret.ErrInvalidConfig)
	case strings.HasPrefix(msg, "unmarshalling type"):
		// The decoder's message may quote part of the body, which holds the value.
		msg = "the vault's response could not be decoded"
	}
	return fmt.Errorf("azure store %q: vault %s: secret %q: %s: %w", s.name, t.vault, t.name, oneLine(msg, 400), secret.ErrUnavailable)
}

// vaultError reads Key Vault's error body:
// {"error":{"code":…,"message":…,"innererror":{"code":…}}}.
func vaultError(re *azcore.ResponseError) (code, inner, msg string) {
	code = re.ErrorCode
	body, err := runtime.Payload(re.RawResponse)
	if err != nil {
		return code, "", ""
	}
	var e struct {
		Error struct {
			Code       string `json:"code"`
			Message    string `json:"message"`
			InnerError *struct {
				Code string `json:"code"`
			} `json:"innererror"`
		} `json:"error"`
	}
	if jsonErr := json.Unmarshal(body, &e); jsonErr != nil {
		return code, "", ""
	}
	if e.Error.Code != "" {
		code = e.Error.Code
	}
	if e.Error.InnerError != nil {
		inner = e.Error.InnerError.Code
	}
	return code, inner, oneLine(e.Error.Message, 600)
}

// isTLSError reports a failed TLS handshake, such as a vault certificate
// that no trusted CA signed (see ca_file).
func isTLSError(err error) bool {
	var (
		cve *tls.CertificateVerificationError
		ua  x509.UnknownAuthorityError
		he  x509.HostnameError
		rhe tls.RecordHeaderError
		ae  tls.AlertError
	)
	return errors.As(err, &cve) || errors.As(err, &ua) || errors.As(err, &he) || errors.As(err, &rhe) || errors.As(err, &ae)
}

// Describe reports the vault and identity, and warns about a client
// secret written in the configuration and a disabled challenge check. Its
// Key, Naming, Principal and UsedEnv are those of key.go, policy.go,
// principal.go and usedenv.go.
func (s *Store) Describe() secret.Description {
	return secret.Description{
		Summary:   s.identity.Summary,
		Warnings:  append([]string(nil), s.identity.Warnings...),
		UsedEnv:   s.usedEnv,
		Key:       s.secretKey,
		Principal: s.principal,
		Naming:    secret.Naming{Subject: s.policySubject, Pattern: s.policyPattern},
	}
}

// Close releases idle connections. The Store must not be used afterwards.
func (s *Store) Close() error {
	s.hc.CloseIdleConnections()
	return nil
}

// retryAfter reads a response's Retry-After: seconds, or an HTTP date.
func retryAfter(resp *http.Response) time.Duration {
	if resp == nil {
		return 0
	}
	v := resp.Header.Get("Retry-After")
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return 0
}

// shouldRetry is the SDK's rule (retry transport errors and 408, 429, 500,
// 502, 503, 504) except that a host name that definitely does not exist
// (NXDOMAIN) is not retried: for Key Vault it means there is no vault of
// that name, and retrying only delays saying so.
func shouldRetry(resp *http.Response, err error) bool {
	if err != nil {
		var de *net.DNSError
		return !errors.As(err, &de) || !de.IsNotFound
	}
	switch resp.StatusCode {
	case http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError,
		http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}
