package azure

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/latchkey/latchkey/secret"

	"github.com/latchkey/latchkey/internal/safefile"
)

// AuthMethod says how a [Store] gets its access tokens.
type AuthMethod string

// The auth methods. The zero value means [ManagedIdentity].
const (
	// ManagedIdentity uses the identity Azure assigns to the agent's host:
	// IMDS on a VM, the identity endpoint on App Service, Functions,
	// Container Apps and Arc (found through IDENTITY_ENDPOINT and friends).
	ManagedIdentity AuthMethod = "managed_identity"
	// ServicePrincipal uses an app registration's client secret or
	// certificate against Microsoft Entra ID.
	ServicePrincipal AuthMethod = "service_principal"
	// Default uses azidentity's DefaultAzureCredential chain: environment
	// variables, workload identity, managed identity, Azure CLI and
	// Developer CLI. Meant for developer machines.
	Default AuthMethod = "default"
)

// DefaultVaultDomain is the vault domain of Azure's public cloud. Other
// clouds use vault.azure.cn (China) and vault.usgovcloudapi.net (US Gov).
const DefaultVaultDomain = "vault.azure.net"

// Options configures a [Store] built with [New]. The zero value of each
// field is its documented default; the "azure" store type decodes the
// agent config's settings straight into the fields with json tags.
type Options struct {
	// VaultName is the vault that bare secret names are read from, at
	// https://VaultName.VaultDomain. At most one of VaultName and VaultURL.
	VaultName string `json:"vault_name"`
	// VaultURL is that vault's base URL instead, for a private endpoint or
	// a custom domain: https://HOST.
	VaultURL string `json:"vault_url"`
	// VaultDomain is the DNS suffix of vaults ("vault.azure.net"), with an
	// optional port. Secret URLs must name a vault in it (or VaultURL).
	VaultDomain string `json:"vault_domain"`

	// AuthMethod is ManagedIdentity when empty.
	AuthMethod AuthMethod `json:"auth_method"`
	// TenantID and ClientID identify a service principal; when empty they
	// are read from AZURE_TENANT_ID and AZURE_CLIENT_ID. With Default,
	// TenantID is the tenant to authenticate in.
	TenantID string `json:"tenant_id"`
	ClientID string `json:"client_id"`
	// The service principal's credential is exactly one of: the name of an
	// environment variable holding the client secret, a file holding it, a
	// PEM or PKCS#12 file holding the certificate and its unencrypted
	// private key, or (discouraged, see Describe) the secret itself.
	ClientSecretEnv       string `json:"client_secret_env"`
	ClientSecretFile      string `json:"client_secret_file"`
	ClientCertificateFile string `json:"client_certificate_file"`
	ClientSecret          string `json:"client_secret" secret:"true"`
	// ManagedIdentityClientID or ManagedIdentityResourceID selects a
	// user-assigned managed identity; neither means the system-assigned one.
	ManagedIdentityClientID   string `json:"managed_identity_client_id"`
	ManagedIdentityResourceID string `json:"managed_identity_resource_id"`
	// AuthorityHost is the Microsoft Entra ID host for service principals,
	// e.g. https://login.microsoftonline.us/ (default: AZURE_AUTHORITY_HOST,
	// or the public cloud's). A host other than Microsoft's (ADFS, Azure
	// Stack, tests) turns off Entra instance discovery.
	AuthorityHost string `json:"authority_host"`

	// DisableChallengeResourceVerification accepts a vault whose
	// authentication challenge names a resource outside the vault's own
	// domain, as a vault behind a custom domain does. Leave it off
	// otherwise: the check keeps a token from going to a look-alike host.
	DisableChallengeResourceVerification bool `json:"disable_challenge_resource_verification"`
	// CAFile is a PEM file of CA certificates trusted in addition to the
	// system pool (which Go reads from SSL_CERT_FILE / SSL_CERT_DIR too).
	CAFile string `json:"ca_file"`

	// MaxRetries bounds the retries of a failed Key Vault request: 0 means
	// the SDK's default (3), a negative value none. RetryDelay is the base
	// of the exponential back-off (default 800ms).
	MaxRetries int           `json:"max_retries"`
	RetryDelay time.Duration `json:"retry_delay" units:"positive" eg:"\"500ms\" or \"2s\""`
	// IdentityMaxRetries, IdentityRetryDelay and IdentityTimeout bound the
	// token requests: retries (0 means the SDK's default: 6 for IMDS with
	// a 2s base delay, 3 elsewhere; negative means none), the base delay,
	// and the timeout of each try (default 1m for IMDS, none elsewhere).
	// Small values make a missing identity endpoint fail fast.
	IdentityMaxRetries int           `json:"identity_max_retries"`
	IdentityRetryDelay time.Duration `json:"identity_retry_delay" units:"positive" eg:"\"500ms\" or \"2s\""`
	IdentityTimeout    time.Duration `json:"identity_timeout" units:"positive" eg:"\"500ms\" or \"2s\""`

	// Logger receives debug records (never values); nil discards them.
	Logger *slog.Logger `json:"-"`
	// LookupEnv reads environment variables (ClientSecretEnv,
	// AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_AUTHORITY_HOST); nil means
	// os.LookupEnv. The SDK's managed identity and default credentials
	// read the process environment themselves.
	LookupEnv func(string) (string, bool) `json:"-"`
	// Dial, if not nil, opens the store's connections (to vaults, Entra ID
	// and the identity endpoint) in place of a net.Dialer, and no proxy is
	// used: for embedders that route to private endpoints themselves, and
	// for tests.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error) `json:"-"`

	// workload, when set, replaces the auth method's credential (a
	// workload-identity store, workloadidentity.go).
	workload *swapCredential
}

// specOptions decodes the settings of spec straight into Options, with
// its logger. The settings spell "no retries" as 0, as people write it,
// and refuse a negative count; Options keeps azcore's spelling (0 is the
// SDK's default, -1 none) for embedders, so the one translation is here.
func specOptions(spec secret.Spec) (Options, error) {
	var o Options
	errs := []error{spec.Decode(&o)}
	for _, r := range []struct {
		key string
		n   *int
	}{{"max_retries", &o.MaxRetries}, {"identity_max_retries", &o.IdentityMaxRetries}} {
		if spec.Settings[r.key] == nil {
			continue
		}
		switch {
		case *r.n < 0:
			errs = append(errs, &secret.ConfigError{Store: spec.Name, Key: r.key, Msg: "must be 0 or more"})
		case *r.n == 0:
			*r.n = -1 // azcore spells "no retries" as -1
		}
	}
	o.Logger = spec.Logger
	return o, errors.Join(errs...)
}

// config is Options checked and completed: what New builds a Store from.
type config struct {
	Options
	vault    string // base URL of the default vault, or ""
	identity string // who the store acts as, for errors and Describe
	secret   string // the client secret, when the method uses one
	cert     []byte // the client certificate file's content
	warnings []string
}

// reportFunc records one problem with the setting key; check collects them
// so that every problem of a configuration is reported at once.
type reportFunc func(key, format string, args ...any)

// check validates o and reports every problem at once. It reads the files
// and variables that o names, but does no network I/O.
func (o Options) check(store string) (*config, error) {
	c := &config{Options: o}
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, &secret.ConfigError{Store: store, Key: key, Msg: fmt.Sprintf(format, args...)})
	}
	lookup := o.LookupEnv
	if lookup == nil {
		lookup = os.LookupEnv
	}
	env := func(name string) string { v, _ := lookup(name); return v }

	c.checkVault(bad)
	c.checkEndpoints(bad, env)
	c.checkAuth(bad, env)
	c.checkDurations(bad)
	if o.DisableChallengeResourceVerification {
		c.warnings = append(c.warnings, "disable_challenge_resource_verification is on: the store accepts any resource a vault's challenge names; keep it only for a vault behind a custom domain")
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return c, nil
}

// checkVault completes the vault domain and resolves vault_name or
// vault_url to the default vault's base URL.
func (c *config) checkVault(bad reportFunc) {
	o := c.Options
	if c.VaultDomain == "" {
		c.VaultDomain = DefaultVaultDomain
	}
	c.VaultDomain = strings.ToLower(strings.TrimSuffix(c.VaultDomain, "/"))
	if !validHostPort(c.VaultDomain) || strings.Contains(c.VaultDomain, "://") {
		bad("vault_domain", "%q is not a DNS suffix such as %q (no https://, no path)", o.VaultDomain, DefaultVaultDomain)
	}
	switch {
	case o.VaultName != "" && o.VaultURL != "":
		bad("vault_url", "give vault_name or vault_url, not both")
	case o.VaultName != "":
		if !validVaultName(o.VaultName) {
			bad("vault_name", "%q is not a Key Vault name (3 to 24 letters, digits and dashes, starting with a letter)", o.VaultName)
		} else {
			c.vault = "https://" + strings.ToLower(o.VaultName) + "." + c.VaultDomain
		}
	case o.VaultURL != "":
		u, err := parseVaultURL(o.VaultURL)
		if err != nil {
			bad("vault_url", "%q %v", o.VaultURL, err)
		}
		c.vault = u
	}
}

// checkEndpoints validates authority_host (defaulting it from
// AZURE_AUTHORITY_HOST) and that ca_file holds certificates.
func (c *config) checkEndpoints(bad reportFunc, env func(string) string) {
	o := c.Options
	if o.AuthorityHost != "" {
		if u, err := url.Parse(o.AuthorityHost); err != nil || u.Scheme != "https" || u.Host == "" {
			bad("authority_host", "%q must be an https URL such as https://login.microsoftonline.us/", o.AuthorityHost)
		}
	} else {
		c.AuthorityHost = env("AZURE_AUTHORITY_HOST")
	}
	if o.CAFile != "" {
		if _, err := loadCAFile(o.CAFile); err != nil {
			bad("ca_file", "%v", err)
		}
	}
}

// checkAuth validates the keys of the chosen auth_method, rejects the keys
// of the other methods, and names the identity the store acts as.
func (c *config) checkAuth(bad reportFunc, env func(string) string) {
	o := c.Options
	spOnly := map[string]string{"client_id": o.ClientID, "client_secret": o.ClientSecret, "client_secret_env": o.ClientSecretEnv,
		"client_secret_file": o.ClientSecretFile, "client_certificate_file": o.ClientCertificateFile}
	miOnly := map[string]string{"managed_identity_client_id": o.ManagedIdentityClientID, "managed_identity_resource_id": o.ManagedIdentityResourceID}
	notFor := func(method AuthMethod, keys map[string]string) {
		for _, k := range slices.Sorted(maps.Keys(keys)) {
			if keys[k] != "" {
				bad(k, "does not apply to auth_method %s", method)
			}
		}
	}
	switch c.AuthMethod {
	case "", ManagedIdentity:
		c.AuthMethod = ManagedIdentity
		notFor(ManagedIdentity, spOnly)
		c.checkManagedIdentity(bad)
	case ServicePrincipal:
		notFor(ServicePrincipal, miOnly)
		c.checkServicePrincipal(bad, env)
	case Default:
		notFor(Default, spOnly)
		notFor(Default, miOnly)
		if o.TenantID != "" && !validTenant(o.TenantID) {
			bad("tenant_id", "%q is not a tenant ID or domain", o.TenantID)
		}
		c.identity = "DefaultAzureCredential chain (environment, workload identity, managed identity, Azure CLI, Azure Developer CLI)"
		if o.TenantID != "" {
			c.identity += " in tenant " + o.TenantID
		}
	default:
		bad("auth_method", "unknown method %q (known: %s, %s, %s)", o.AuthMethod, ManagedIdentity, ServicePrincipal, Default)
	}
}

// checkManagedIdentity validates the managed identity keys and names the
// system- or user-assigned identity the store acts as.
func (c *config) checkManagedIdentity(bad reportFunc) {
	o := c.Options
	if o.TenantID != "" {
		bad("tenant_id", "does not apply to auth_method %s (a managed identity lives in its own tenant)", ManagedIdentity)
	}
	switch {
	case o.ManagedIdentityClientID != "" && o.ManagedIdentityResourceID != "":
		bad("managed_identity_resource_id", "give managed_identity_client_id or managed_identity_resource_id, not both")
	case o.ManagedIdentityClientID != "":
		c.identity = fmt.Sprintf("managed identity (user-assigned, client ID %s)", o.ManagedIdentityClientID)
	case o.ManagedIdentityResourceID != "":
		if !strings.HasPrefix(o.ManagedIdentityResourceID, "/subscriptions/") {
			bad("managed_identity_resource_id", "%q is not an Azure resource ID (/subscriptions/…/userAssignedIdentities/NAME)", o.ManagedIdentityResourceID)
		}
		c.identity = fmt.Sprintf("managed identity (user-assigned, resource ID %s)", o.ManagedIdentityResourceID)
	default:
		c.identity = "managed identity (system-assigned)"
	}
}

// checkServicePrincipal completes tenant_id and client_id from AZURE_TENANT_ID
// and AZURE_CLIENT_ID, validates them and reads the one credential.
func (c *config) checkServicePrincipal(bad reportFunc, env func(string) string) {
	if c.TenantID == "" {
		c.TenantID = env("AZURE_TENANT_ID")
	}
	if c.ClientID == "" {
		c.ClientID = env("AZURE_CLIENT_ID")
	}
	if c.TenantID == "" {
		bad("tenant_id", "is required for auth_method %s (or set AZURE_TENANT_ID)", ServicePrincipal)
	} else if !validTenant(c.TenantID) {
		bad("tenant_id", "%q is not a tenant ID or domain", c.TenantID)
	}
	if c.ClientID == "" {
		bad("client_id", "is required for auth_method %s (or set AZURE_CLIENT_ID)", ServicePrincipal)
	}
	c.checkCredential(bad, env)
	c.identity = fmt.Sprintf("service principal %s in tenant %s", c.ClientID, c.TenantID)
}

// checkDurations rejects negative retry delays and timeouts.
func (c *config) checkDurations(bad reportFunc) {
	for _, n := range []struct {
		key string
		v   time.Duration
	}{{"retry_delay", c.RetryDelay}, {"identity_retry_delay", c.IdentityRetryDelay}, {"identity_timeout", c.IdentityTimeout}} {
		if n.v < 0 {
			bad(n.key, "must not be negative")
		}
	}
}

// checkCredential finds the service principal's one credential and reads it.
func (c *config) checkCredential(bad reportFunc, env func(string) string) {
	given := 0
	for _, v := range []string{c.ClientSecret, c.ClientSecretEnv, c.ClientSecretFile, c.ClientCertificateFile} {
		if v != "" {
			given++
		}
	}
	if given != 1 {
		bad("client_secret_env", "auth_method %s needs exactly one of client_secret_env, client_secret_file, client_certificate_file or client_secret (%d given)", ServicePrincipal, given)
		return
	}
	switch {
	case c.ClientSecretEnv != "":
		c.secret = env(c.ClientSecretEnv)
		if c.secret == "" {
			bad("client_secret_env", "environment variable %s is not set or empty", c.ClientSecretEnv)
		}
	case c.ClientSecretFile != "":
		b, fi, err := safefile.ReadFile(c.ClientSecretFile, safefile.Options{})
		if err != nil {
			bad("client_secret_file", "cannot read the client secret: %v", err)
			return
		}
		// Editors and `echo` end files with a newline that is not part of the secret.
		c.secret = strings.TrimRight(string(b), "\r\n")
		if c.secret == "" {
			bad("client_secret_file", "%s is empty", c.ClientSecretFile)
		}
		if why := safefile.Exposed(fi); why != "" {
			c.warnings = append(c.warnings, fmt.Sprintf("client_secret_file %s has %s", c.ClientSecretFile, why))
		}
	case c.ClientCertificateFile != "":
		b, fi, err := safefile.ReadFile(c.ClientCertificateFile, safefile.Options{})
		if err != nil {
			bad("client_certificate_file", "cannot read the certificate: %v", err)
			return
		}
		if _, _, err := parseCertificate(b); err != nil {
			bad("client_certificate_file", "%s: %v", c.ClientCertificateFile, err)
			return
		}
		c.cert = b
		if why := safefile.Exposed(fi); why != "" {
			c.warnings = append(c.warnings, fmt.Sprintf("client_certificate_file %s has %s (it holds the private key)", c.ClientCertificateFile, why))
		}
	default:
		c.secret = c.ClientSecret
		c.warnings = append(c.warnings, "client_secret is written in the configuration; move it to an environment variable (client_secret_env) or a file (client_secret_file)")
	}
}

// validTenant reports whether s can be a tenant: a GUID or a domain name.
func validTenant(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isLetter(c) && !isDigit(c) && c != '.' && c != '-' {
			return false
		}
	}
	return s != ""
}
