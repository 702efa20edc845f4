package gcp

import (
	"errors"
	"fmt"
	"github.com/latchkey/latchkey/internal/lazy"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"cloud.google.com/go/auth"

	"github.com/latchkey/latchkey/secret"
)

// AuthMethod says how a [Store] authenticates to Secret Manager.
type AuthMethod string

// The authentication methods.
const (
	// AuthADC uses Application Default Credentials: the file named by
	// GOOGLE_APPLICATION_CREDENTIALS, gcloud's application-default login,
	// or the metadata server (workload identity, a VM's service account).
	AuthADC AuthMethod = "adc"
	// AuthServiceAccountKey uses the service-account JSON key in
	// CredentialsFile.
	AuthServiceAccountKey AuthMethod = "service_account_key"
	// AuthImpersonate acts as ImpersonateServiceAccount, using Application
	// Default Credentials (or CredentialsFile, when set) as the caller that
	// holds roles/iam.serviceAccountTokenCreator on it.
	AuthImpersonate AuthMethod = "impersonate"
	// AuthNone sends no credentials. It is allowed only with Insecure, for a
	// test server on loopback, and is the default there.
	AuthNone AuthMethod = "none"
)

// Defaults of the retry settings.
const (
	DefaultMaxAttempts    = 4
	DefaultInitialBackoff = 500 * time.Millisecond
	DefaultMaxBackoff     = 8 * time.Second
	DefaultAttemptTimeout = 30 * time.Second
)

// Config configures a [Store]. The zero value of each field is its
// documented default; a zero Config uses Application Default Credentials
// against the global endpoint. The "gcp" store type decodes the agent
// config's settings straight into the fields with json tags.
type Config struct {
	// Project is the project (ID or number) of short secret names. Empty
	// uses the credentials' project, when they have one.
	Project string `json:"project"`
	// Location makes the store regional: short names become
	// projects/P/locations/L/secrets/S, and the client talks to the regional
	// endpoint secretmanager.L.rep.googleapis.com:443.
	Location string `json:"location"`
	// Auth is the authentication method; empty means AuthADC, or AuthNone
	// when Insecure is set.
	Auth AuthMethod `json:"auth_method"`
	// CredentialsFile is the service-account key file of
	// AuthServiceAccountKey, or the caller's key file of AuthImpersonate.
	CredentialsFile string `json:"credentials_file"`
	// ImpersonateServiceAccount is the email of the service account that
	// AuthImpersonate acts as.
	ImpersonateServiceAccount string `json:"impersonate_service_account"`
	// Endpoint overrides the gRPC endpoint, as host:port (a Private Service
	// Connect endpoint, or a test server).
	Endpoint string `json:"endpoint"`
	// Insecure speaks plaintext gRPC to Endpoint. It is refused unless
	// Endpoint's host is a loopback IP address.
	Insecure bool `json:"insecure"`
	// RequireChecksum fails payloads that carry no data_crc32c.
	RequireChecksum bool `json:"require_checksum"`
	// MaxAttempts bounds the calls made for one Get when the service is
	// UNAVAILABLE, RESOURCE_EXHAUSTED or an attempt times out
	// (DefaultMaxAttempts; 1 disables retries).
	MaxAttempts int `json:"max_attempts"`
	// InitialBackoff is the pause before the first retry, doubled for each
	// further one up to MaxBackoff, with jitter (DefaultInitialBackoff,
	// DefaultMaxBackoff).
	InitialBackoff time.Duration `json:"initial_backoff" units:"positive" eg:"\"500ms\" or \"2s\""`
	MaxBackoff     time.Duration `json:"max_backoff" units:"positive" eg:"\"500ms\" or \"2s\""`
	// AttemptTimeout bounds one call (DefaultAttemptTimeout); the caller's
	// context bounds the whole Get.
	AttemptTimeout time.Duration `json:"attempt_timeout" units:"positive" eg:"\"500ms\" or \"2s\""`
	// Logger receives debug records about retries, never values
	// (default: discard).
	Logger *slog.Logger `json:"-"`
	// TokenClient, when not nil, is the HTTP client AuthImpersonate uses
	// to ask the IAM Credentials API for the impersonated account's tokens
	// (a proxy, a test server). It has no setting.
	TokenClient *http.Client `json:"-"`

	// federated, when set, replaces the auth method's credentials (a
	// workload identity federation store, federation.go).
	federated     *auth.Credentials
	federatedDesc string
}

// unsetAttempts marks max_attempts as not given while decoding: the
// setting refuses 0, which Config reads as the default.
const unsetAttempts = math.MinInt

// specConfig decodes the settings of spec straight into a Config, with its
// logger.
func specConfig(spec secret.Spec) (Config, error) {
	c := Config{MaxAttempts: unsetAttempts}
	errs := []error{spec.Decode(&c)}
	switch {
	case c.MaxAttempts == unsetAttempts: // absent, null or of the wrong type (reported)
		c.MaxAttempts = 0
	case c.MaxAttempts < 1:
		errs = append(errs, &secret.ConfigError{Store: spec.Name, Key: "max_attempts",
			Msg: fmt.Sprintf("is %d; it counts the first call too, so it must be at least 1", c.MaxAttempts)})
		c.MaxAttempts = 0
	}
	c.Logger = spec.Logger
	return c, errors.Join(errs...)
}

var (
	// Project IDs, optionally domain-scoped ("example.com:proj"), or numbers.
	projectRE  = lazy.Regexp(`^(?:[a-z][a-z0-9.-]*[a-z0-9]:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$|^[0-9]{1,19}$`)
	locationRE = lazy.Regexp(`^[a-z][a-z0-9-]{0,62}$`)
	// A service account email, as IAM writes them.
	emailRE = lazy.Regexp(`^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$`)
)

// reportFunc records one problem with the setting key; normalize collects
// them so that every problem of a store's settings is reported at once.
type reportFunc func(key, format string, args ...any)

// normalize returns c with defaults filled in, or every problem with it.
func (c Config) normalize(store string) (Config, error) {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, &secret.ConfigError{Store: store, Key: key, Msg: fmt.Sprintf(format, args...)})
	}
	if c.Project != "" && !projectRE().MatchString(c.Project) {
		bad("project", "%q is not a project ID (6 to 30 lowercase letters, digits and hyphens) or project number", c.Project)
	}
	if c.Location != "" && !locationRE().MatchString(c.Location) {
		bad("location", "%q is not a Secret Manager location (write a region such as \"europe-west1\")", c.Location)
	}
	c.checkAuth(bad)
	c.checkEndpoint(bad)
	c.checkRetries(bad)
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c, errors.Join(errs...)
}

// checkAuth defaults auth_method (adc, or none with insecure) and checks
// the keys each method needs or does not use.
func (c *Config) checkAuth(bad reportFunc) {
	if c.Auth == "" {
		c.Auth = AuthADC
		if c.Insecure {
			c.Auth = AuthNone
		}
	}
	switch c.Auth {
	case AuthADC:
		if c.CredentialsFile != "" {
			bad("credentials_file", "is not used with auth_method adc, which reads GOOGLE_APPLICATION_CREDENTIALS; set auth_method: service_account_key to use this file")
		}
	case AuthServiceAccountKey:
		if c.CredentialsFile == "" {
			bad("credentials_file", "is required with auth_method service_account_key: the path of the service account's JSON key file")
		}
	case AuthImpersonate:
		if c.ImpersonateServiceAccount == "" {
			bad("impersonate_service_account", "is required with auth_method impersonate: the email of the service account to act as")
		}
	case AuthNone:
		if !c.Insecure {
			bad("auth_method", "none sends no credentials, which only a loopback test server accepts; it needs insecure: true")
		}
		if c.CredentialsFile != "" {
			bad("credentials_file", "is not used with auth_method none")
		}
	default:
		bad("auth_method", "unknown method %q (known: adc, service_account_key, impersonate, none)", c.Auth)
	}
	if c.ImpersonateServiceAccount != "" {
		if c.Auth != AuthImpersonate {
			bad("impersonate_service_account", "is used only with auth_method impersonate")
		} else if !emailRE().MatchString(c.ImpersonateServiceAccount) {
			bad("impersonate_service_account", "%q is not a service account email (NAME@PROJECT.iam.gserviceaccount.com)", c.ImpersonateServiceAccount)
		}
	}
}

// checkEndpoint checks that endpoint is host:port, and that insecure
// (plaintext gRPC) is used only with a loopback endpoint.
func (c *Config) checkEndpoint(bad reportFunc) {
	if c.Endpoint != "" {
		host, port, err := net.SplitHostPort(c.Endpoint)
		switch {
		case strings.Contains(c.Endpoint, "://"):
			bad("endpoint", "%q: write host:port without a scheme, e.g. secretmanager.googleapis.com:443", c.Endpoint)
		case err != nil || host == "" || port == "":
			bad("endpoint", "%q is not host:port (e.g. secretmanager.googleapis.com:443 or 127.0.0.1:8085)", c.Endpoint)
		case c.Insecure && !isLoopbackIP(host):
			bad("insecure", "plaintext gRPC is allowed only to a loopback IP address (127.0.0.1 or ::1), not %q: secrets and credentials would cross the network unencrypted", host)
		}
	} else if c.Insecure {
		bad("insecure", "needs endpoint set to a loopback test server (e.g. 127.0.0.1:8085); Google's endpoints are TLS only")
	}
}

// checkRetries checks the retry settings and fills in their defaults.
func (c *Config) checkRetries(bad reportFunc) {
	if c.MaxAttempts < 0 {
		bad("max_attempts", "is %d; it must be at least 1", c.MaxAttempts)
	}
	for _, d := range []struct {
		key string
		v   time.Duration
	}{{"initial_backoff", c.InitialBackoff}, {"max_backoff", c.MaxBackoff}, {"attempt_timeout", c.AttemptTimeout}} {
		if d.v < 0 {
			bad(d.key, "is negative (%v)", d.v)
		}
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	if c.InitialBackoff == 0 {
		c.InitialBackoff = DefaultInitialBackoff
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = max(DefaultMaxBackoff, c.InitialBackoff)
	}
	if c.InitialBackoff > c.MaxBackoff {
		bad("initial_backoff", "(%v) is longer than max_backoff (%v)", c.InitialBackoff, c.MaxBackoff)
	}
	if c.AttemptTimeout == 0 {
		c.AttemptTimeout = DefaultAttemptTimeout
	}
}

// isLoopbackIP reports whether host is a literal loopback IP address. Names
// such as "localhost" are refused: what they resolve to is up to the
// machine's resolver, not the config.
func isLoopbackIP(host string) bool {
	a, err := netip.ParseAddr(host)
	return err == nil && a.Zone() == "" && a.IsLoopback()
}

// endpoint returns the endpoint the client talks to, and whether it is the
// service's own (so regional names must match the store's location).
func (c Config) endpoint() (string, bool) {
	switch {
	case c.Endpoint != "":
		return c.Endpoint, false
	case c.Location != "":
		return "secretmanager." + c.Location + ".rep.googleapis.com:443", true
	}
	return "secretmanager.googleapis.com:443", true
}
