package azure_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/providers/azure/azuretest"
	"github.com/latchkey/latchkey/secret"
	"github.com/latchkey/latchkey/storetest"
)

func build(settings map[string]any) (secret.Store, error) {
	f, ok := secret.Lookup("azure")
	if !ok {
		panic("azure store type not registered")
	}
	return f(context.Background(), secret.Spec{Name: "kv", Type: "azure", Settings: settings, Logger: slog.New(slog.DiscardHandler)})
}

func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	notPEM := filepath.Join(dir, "not-pem")
	for name, content := range map[string]string{empty: "\n", notPEM: "hello"} {
		if err := os.WriteFile(name, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	const unset = "LATCHKEY_AZURE_TEST_UNSET_VARIABLE"
	sp := func(kv ...any) map[string]any {
		m := map[string]any{"vault_name": "myvault", "auth_method": "service_principal",
			"tenant_id": "contoso.onmicrosoft.com", "client_id": "00000000-0000-0000-0000-000000000001", "client_secret_file": "/etc/hostname"}
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(m, kv[i].(string))
			} else {
				m[kv[i].(string)] = kv[i+1]
			}
		}
		return m
	}
	tests := []struct {
		name     string
		settings map[string]any
		keys     []string // every setting that must be reported
		msg      string
	}{
		{"misspelt setting", map[string]any{"vault_nmae": "x"}, []string{"vault_nmae"}, "unknown setting"},
		{"wrong type", map[string]any{"max_retries": "3"}, []string{"max_retries"}, "must be a whole number"},
		{"name and URL", map[string]any{"vault_name": "myvault", "vault_url": "https://myvault.vault.azure.net"}, []string{"vault_url"}, "not both"},
		{"bad vault name", map[string]any{"vault_name": "my_vault"}, []string{"vault_name"}, "not a Key Vault name"},
		{"vault name too short", map[string]any{"vault_name": "kv"}, []string{"vault_name"}, "not a Key Vault name"},
		{"http vault URL", map[string]any{"vault_url": "http://myvault.vault.azure.net"}, []string{"vault_url"}, "https://"},
		{"vault URL with path", map[string]any{"vault_url": "https://myvault.vault.azure.net/secrets/x"}, []string{"vault_url"}, "just https://HOST"},
		{"vault domain with scheme", map[string]any{"vault_domain": "https://vault.azure.net"}, []string{"vault_domain"}, "DNS suffix"},
		{"unknown auth method", map[string]any{"auth_method": "msi"}, []string{"auth_method"}, `unknown method "msi"`},
		{"service principal without anything", map[string]any{"auth_method": "service_principal"},
			[]string{"tenant_id", "client_id", "client_secret_env"}, "exactly one of"},
		{"two credentials", sp("client_secret_env", "X"), []string{"client_secret_env"}, "(2 given)"},
		{"secret variable unset", sp("client_secret_file", nil, "client_secret_env", unset), []string{"client_secret_env"}, unset + " is not set"},
		{"secret file missing", sp("client_secret_file", filepath.Join(dir, "nope")), []string{"client_secret_file"}, "cannot read"},
		{"secret file empty", sp("client_secret_file", empty), []string{"client_secret_file"}, "is empty"},
		{"bad certificate", sp("client_secret_file", nil, "client_certificate_file", notPEM), []string{"client_certificate_file"}, notPEM},
		{"bad tenant", sp("tenant_id", "a/b"), []string{"tenant_id"}, "not a tenant"},
		{"identity setting with service principal", sp("managed_identity_client_id", "x"), []string{"managed_identity_client_id"}, "does not apply"},
		{"client settings with managed identity", map[string]any{"client_id": "x", "client_secret": "y", "tenant_id": "t"},
			[]string{"client_id", "client_secret", "tenant_id"}, "does not apply to auth_method managed_identity"},
		{"two managed identity IDs", map[string]any{"managed_identity_client_id": "a", "managed_identity_resource_id": "/subscriptions/x"},
			[]string{"managed_identity_resource_id"}, "not both"},
		{"bad resource ID", map[string]any{"managed_identity_resource_id": "latchkey-agent"}, []string{"managed_identity_resource_id"}, "/subscriptions/"},
		{"client settings with default", map[string]any{"auth_method": "default", "client_secret_env": "X"}, []string{"client_secret_env"}, "does not apply"},
		{"http authority", map[string]any{"authority_host": "http://login.example"}, []string{"authority_host"}, "https URL"},
		{"missing CA file", map[string]any{"ca_file": filepath.Join(dir, "nope.pem")}, []string{"ca_file"}, "cannot read"},
		{"CA file without certificate", map[string]any{"ca_file": notPEM}, []string{"ca_file"}, "no PEM certificate"},
		{"retries and durations", map[string]any{"max_retries": -1, "identity_max_retries": -2, "retry_delay": "fast", "identity_retry_delay": "0s", "identity_timeout": "-1s"},
			[]string{"max_retries", "identity_max_retries", "retry_delay", "identity_retry_delay", "identity_timeout"}, "must be 0 or more"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, err := build(tc.settings)
			if err == nil {
				st.Close()
				t.Fatal("no error")
			}
			if !errors.Is(err, secret.ErrInvalidConfig) || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("want an invalid-config error mentioning %q, got %v", tc.msg, err)
			}
			got := map[string]bool{}
			for _, e := range flatten(err) {
				var ce *secret.ConfigError
				if errors.As(e, &ce) {
					if ce.Store != "kv" {
						t.Errorf("ConfigError names store %q", ce.Store)
					}
					got[ce.Key] = true
				}
			}
			for _, k := range tc.keys {
				if !got[k] {
					t.Errorf("setting %q not reported in %v", k, err)
				}
			}
			if len(got) != len(tc.keys) {
				t.Errorf("reported %v, want exactly %v", got, tc.keys)
			}
		})
	}
}

// flatten returns the leaves of a tree of joined errors.
func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}

func TestValidConfigs(t *testing.T) {
	t.Setenv("LATCHKEY_AZURE_TEST_SECRET", "env-planted-secret")
	tests := []struct {
		name     string
		settings map[string]any
		summary  []string
		warning  string
	}{
		{"defaults", map[string]any{"vault_name": "myvault"},
			[]string{"https://myvault.vault.azure.net", "managed identity (system-assigned)"}, ""},
		{"URL-only store", map[string]any{}, []string{"each secret's URL (vault domain vault.azure.net)"}, ""},
		{"sovereign cloud", map[string]any{"vault_name": "myvault", "vault_domain": "vault.azure.cn", "managed_identity_client_id": "abc"},
			[]string{"https://myvault.vault.azure.cn", "user-assigned, client ID abc"}, ""},
		{"resource ID", map[string]any{"vault_url": "https://kv.internal.example:8443/", "managed_identity_resource_id": "/subscriptions/s/rg/x"},
			[]string{"https://kv.internal.example:8443,", "resource ID /subscriptions/s/rg/x"}, ""},
		{"service principal from env", map[string]any{"vault_name": "myvault", "auth_method": "service_principal", "tenant_id": "t1",
			"client_id": "c1", "client_secret_env": "LATCHKEY_AZURE_TEST_SECRET", "authority_host": "https://login.microsoftonline.us/"},
			[]string{"service principal c1 in tenant t1"}, ""},
		{"literal secret", map[string]any{"vault_name": "myvault", "auth_method": "service_principal", "tenant_id": "t1",
			"client_id": "c1", "client_secret": "literal-planted-secret"}, []string{"service principal c1"}, "client_secret is written in the configuration"},
		{"custom domain", map[string]any{"vault_url": "https://secrets.example.com", "disable_challenge_resource_verification": true},
			[]string{"https://secrets.example.com"}, "disable_challenge_resource_verification is on"},
		{"default chain", map[string]any{"vault_name": "myvault", "auth_method": "default", "tenant_id": "t1"},
			[]string{"DefaultAzureCredential chain", "in tenant t1"}, ""},
		{"retry budget", map[string]any{"vault_name": "myvault", "max_retries": 0, "identity_max_retries": 0, "identity_timeout": "2s", "retry_delay": "100ms"},
			[]string{"managed identity"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, err := build(tc.settings)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			id := st.(secret.Describer).Describe()
			for _, s := range tc.summary {
				if !strings.Contains(id.Summary, s) {
					t.Errorf("summary %q does not mention %q", id.Summary, s)
				}
			}
			warnings := strings.Join(id.Warnings, "\n")
			if tc.warning == "" && warnings != "" || !strings.Contains(warnings, tc.warning) {
				t.Errorf("warnings %q, want %q", warnings, tc.warning)
			}
			storetest.NoLeak(t, "Describe", id.Summary+warnings, []byte("literal-planted-secret"), []byte("env-planted-secret"))
		})
	}
}

// TestLogs checks that the store's debug records name what was fetched and
// hold no value.
func TestLogs(t *testing.T) {
	srv := azuretest.Start(t)
	fill(srv)
	var buf bytes.Buffer
	o := spOptions(srv)
	o.Logger = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	st := newStore(t, o)
	for _, name := range []string{"plain", "doc", "no-such"} {
		_, _ = st.Get(ctx(t), secret.Request{Name: name})
	}
	if !strings.Contains(buf.String(), "secret=plain") {
		t.Errorf("no debug record of the fetch: %q", buf.String())
	}
	storetest.NoLeak(t, "log", buf.String(), []byte(plainValue), []byte(jsonValue), []byte(srv.ClientSecret))
}
