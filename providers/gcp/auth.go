package gcp

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"sync"

	"cloud.google.com/go/auth"
	"cloud.google.com/go/auth/credentials"
	"cloud.google.com/go/auth/credentials/impersonate"
	secretmanager "cloud.google.com/go/secretmanager/apiv1"

	"github.com/latchkey/latchkey/secret"

	"github.com/latchkey/latchkey/internal/safefile"
)

// identity is how a store authenticates: the credentials handed to the
// client, those whose project names short secrets, and who they are.
type identity struct {
	creds *auth.Credentials // nil for AuthNone
	// base holds the project (and, for ADC, the quota project); it is creds
	// itself except for impersonation, where it is the caller's.
	base *auth.Credentials
	// adc is set when base is found lazily, so that Get can report a failure
	// to find it plainly instead of as a failed call.
	adc *lazyADC
	// principal names the identity in errors and Describe.
	principal string
	// target and caller are set for impersonation: the account acted as,
	// and whose credentials ask to act as it.
	target, caller string
	// summary and warnings feed Describe.
	summary  string
	warnings []string
}

// detectOptions are those the client library itself uses for Secret
// Manager: its scope, with self-signed JWTs for service accounts, which
// saves a round trip to the token server.
func detectOptions() *credentials.DetectOptions {
	return &credentials.DetectOptions{
		Scopes:           secretmanager.DefaultAuthScopes(),
		UseSelfSignedJWT: true,
		Logger:           slog.New(slog.DiscardHandler),
	}
}

// newIdentity builds the credentials of cfg without network I/O: a key file
// is read now, Application Default Credentials on first use.
func newIdentity(store string, cfg Config) (*identity, error) {
	id := &identity{}
	if cfg.federated != nil {
		id.creds, id.base = cfg.federated, cfg.federated
		id.principal, id.summary = cfg.federatedDesc, cfg.federatedDesc
		return id, nil
	}
	switch cfg.Auth {
	case AuthNone:
		id.principal = "an anonymous caller (auth_method none)"
		id.summary = "no credentials"
		return id, nil
	case AuthServiceAccountKey:
		creds, email, err := keyFileCredentials(store, cfg.CredentialsFile)
		if err != nil {
			return nil, err
		}
		id.creds, id.base = creds, creds
		id.principal = fmt.Sprintf("service account %q", email)
		id.summary = fmt.Sprintf("service account %s (key file %s)", email, cfg.CredentialsFile)
		id.warnings = keyFileWarnings(cfg.CredentialsFile)
		return id, nil
	}

	// ADC, or the caller's credentials for impersonation.
	base, baseName := (*auth.Credentials)(nil), ""
	if cfg.Auth == AuthImpersonate && cfg.CredentialsFile != "" {
		creds, email, err := keyFileCredentials(store, cfg.CredentialsFile)
		if err != nil {
			return nil, err
		}
		base, baseName = creds, fmt.Sprintf("service account %s (key file %s)", email, cfg.CredentialsFile)
		id.warnings = keyFileWarnings(cfg.CredentialsFile)
	} else {
		id.adc = newLazyADC()
		base, baseName = id.adc.credentials(), adcDescription()
	}
	id.base = base
	if cfg.Auth == AuthADC {
		id.creds = base
		id.principal = baseName
		id.summary = baseName
		return id, nil
	}
	creds, err := impersonate.NewCredentials(&impersonate.CredentialsOptions{
		TargetPrincipal: cfg.ImpersonateServiceAccount,
		Scopes:          secretmanager.DefaultAuthScopes(),
		Credentials:     base,
		Client:          cfg.TokenClient,
		Logger:          slog.New(slog.DiscardHandler),
	})
	if err != nil {
		return nil, &secret.ConfigError{Store: store, Key: "impersonate_service_account", Msg: err.Error()}
	}
	id.creds = creds
	id.caller = baseName
	id.target = cfg.ImpersonateServiceAccount
	id.principal = fmt.Sprintf("service account %q (impersonated by %s)", cfg.ImpersonateServiceAccount, baseName)
	id.summary = fmt.Sprintf("service account %s (impersonated, using %s)", cfg.ImpersonateServiceAccount, baseName)
	return id, nil
}

// who names the identity for an error. For Application Default Credentials
// found in a service-account key file, that is the account's email.
func (id *identity) who() string {
	if id.adc == nil || id.creds != id.base {
		return id.principal
	}
	id.adc.mu.Lock()
	found := id.adc.found
	id.adc.mu.Unlock()
	if found != nil {
		if email := clientEmail(found.JSON()); email != "" {
			return fmt.Sprintf("service account %q (Application Default Credentials)", email)
		}
	}
	return id.principal
}

// clientEmail returns the client_email of a JSON credentials file, if any.
func clientEmail(b []byte) string {
	var f struct {
		ClientEmail string `json:"client_email"`
	}
	if len(b) == 0 || json.Unmarshal(b, &f) != nil {
		return ""
	}
	return f.ClientEmail
}

// keyFileCredentials reads a service-account key file.
func keyFileCredentials(store, path string) (*auth.Credentials, string, error) {
	b, _, err := safefile.ReadFile(path, safefile.Options{})
	if err != nil {
		return nil, "", &secret.ConfigError{Store: store, Key: "credentials_file", Msg: fmt.Sprintf("cannot read the key file: %v", err)}
	}
	// Only the email is taken from the file here, for messages; the key
	// itself stays with the client library and never enters an error.
	var f struct {
		Type        string `json:"type"`
		ClientEmail string `json:"client_email"`
	}
	if json.Unmarshal(b, &f) != nil {
		return nil, "", &secret.ConfigError{Store: store, Key: "credentials_file", Msg: fmt.Sprintf("%s is not a JSON key file", path)}
	}
	if f.Type != string(credentials.ServiceAccount) {
		return nil, "", &secret.ConfigError{Store: store, Key: "credentials_file",
			Msg: fmt.Sprintf("%s holds credentials of type %q, not a service account key (type \"service_account\"); for other kinds use auth_method adc with GOOGLE_APPLICATION_CREDENTIALS", path, f.Type)}
	}
	creds, err := credentials.NewCredentialsFromJSON(credentials.ServiceAccount, b, detectOptions())
	if err != nil {
		// The library's messages name fields, not their contents.
		return nil, "", &secret.ConfigError{Store: store, Key: "credentials_file", Msg: fmt.Sprintf("%s: %v", path, err)}
	}
	return creds, f.ClientEmail, nil
}

// keyFileWarnings warns of a key file open to other users
// ([safefile.Exposed], the rule every secret file follows).
func keyFileWarnings(path string) []string {
	f, fi, err := safefile.Open(path, safefile.Options{})
	if err != nil {
		return nil
	}
	f.Close()
	if why := safefile.Exposed(fi); why != "" {
		return []string{fmt.Sprintf("credentials_file %s has %s", path, why)}
	}
	return nil
}

// adcDescription says which Application Default Credentials will be used,
// from the environment alone.
func adcDescription() string {
	if p := os.Getenv("GOOGLE_APPLICATION_CREDENTIALS"); p != "" {
		return fmt.Sprintf("Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS=%s)", p)
	}
	return "Application Default Credentials (gcloud application-default login, or the metadata server)"
}

// lazyADC finds Application Default Credentials on first use. Finding them
// may probe the metadata server, which a store's factory must not do. A
// failed search is tried again by the next caller; a successful one is kept.
type lazyADC struct {
	mu      sync.Mutex
	found   *auth.Credentials
	pending *adcSearch
}

type adcSearch struct {
	done  chan struct{}
	creds *auth.Credentials
	err   error
}

func newLazyADC() *lazyADC { return &lazyADC{} }

// get returns the credentials, waiting for the search at most until ctx ends.
func (l *lazyADC) get(ctx context.Context) (*auth.Credentials, error) {
	l.mu.Lock()
	if l.found != nil {
		c := l.found
		l.mu.Unlock()
		return c, nil
	}
	s := l.pending
	if s == nil {
		s = &adcSearch{done: make(chan struct{})}
		l.pending = s
		go l.search(s)
	}
	l.mu.Unlock()
	select {
	case <-s.done:
		return s.creds, s.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (l *lazyADC) search(s *adcSearch) {
	s.creds, s.err = credentials.DetectDefault(detectOptions())
	l.mu.Lock()
	if s.err == nil {
		l.found = s.creds
	}
	l.pending = nil
	l.mu.Unlock()
	close(s.done)
}

// credentials returns credentials that find the real ones on first use.
// Their quota project is not known when the client is built, so Get sends
// it itself (see quotaProject).
func (l *lazyADC) credentials() *auth.Credentials {
	return auth.NewCredentials(&auth.CredentialsOptions{
		TokenProvider: lazyTokenProvider{l},
		ProjectIDProvider: auth.CredentialsPropertyFunc(func(ctx context.Context) (string, error) {
			c, err := l.get(ctx)
			if err != nil {
				return "", err
			}
			return c.ProjectID(ctx)
		}),
		UniverseDomainProvider: auth.CredentialsPropertyFunc(func(ctx context.Context) (string, error) {
			c, err := l.get(ctx)
			if err != nil {
				return "", err
			}
			return c.UniverseDomain(ctx)
		}),
	})
}

// quotaProject returns the quota project of the credentials, if any.
func (l *lazyADC) quotaProject(ctx context.Context) string {
	c, err := l.get(ctx)
	if err != nil {
		return ""
	}
	qp, _ := c.QuotaProjectID(ctx)
	return qp
}

type lazyTokenProvider struct{ l *lazyADC }

func (p lazyTokenProvider) Token(ctx context.Context) (*auth.Token, error) {
	c, err := p.l.get(ctx)
	if err != nil {
		return nil, err
	}
	return c.Token(ctx)
}

// loopbackCreds sends a token over plaintext gRPC, which the gRPC library
// refuses for ordinary credentials. It is used only for an endpoint whose
// host is a loopback IP address (see Config.Insecure), where the token does
// not leave the machine.
type loopbackCreds struct{ creds *auth.Credentials }

func (c loopbackCreds) GetRequestMetadata(ctx context.Context, _ ...string) (map[string]string, error) {
	tok, err := c.creds.Token(ctx)
	if err != nil {
		return nil, err
	}
	typ := tok.Type
	if typ == "" {
		typ = "Bearer"
	}
	return map[string]string{"authorization": typ + " " + tok.Value}, nil
}

func (loopbackCreds) RequireTransportSecurity() bool { return false }
