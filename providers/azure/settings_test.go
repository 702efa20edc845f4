package azure

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/units"
	"github.com/latchkey/latchkey/secret"
)

// TestSettingsAreOptions checks that the "azure" type's settings are
// exactly the tagged fields of Options, decoded straight into them, with
// the settings' spelling of "no retries" translated to azcore's.
func TestSettingsAreOptions(t *testing.T) {
	want := []string{"auth_method", "authority_host", "ca_file", "client_certificate_file", "client_id", "client_secret",
		"client_secret_env", "client_secret_file", "disable_challenge_resource_verification", "identity_max_retries",
		"identity_retry_delay", "identity_timeout", "managed_identity_client_id", "managed_identity_resource_id",
		"max_retries", "retry_delay", "tenant_id", "vault_domain", "vault_name", "vault_url"}
	if got := units.Fields(Options{}); !slices.Equal(got, want) {
		t.Fatalf("settings %v, want %v", got, want)
	}
	tests := []struct {
		name     string
		settings map[string]any
		check    func(Options) bool
		errs     []string
	}{
		{name: "retries and delays", settings: map[string]any{"max_retries": 0, "identity_max_retries": 2, "retry_delay": "100ms", "identity_timeout": "2s"},
			check: func(o Options) bool {
				return o.MaxRetries == -1 && o.IdentityMaxRetries == 2 && o.RetryDelay == 100*time.Millisecond && o.IdentityTimeout == 2*time.Second
			}},
		{name: "null retries keep the default", settings: map[string]any{"max_retries": nil},
			check: func(o Options) bool { return o.MaxRetries == 0 }},
		{name: "wrong type is reported once", settings: map[string]any{"max_retries": "3"},
			errs: []string{`setting "max_retries": must be a whole number, not a string`}},
		{name: "negative retries and a zero delay", settings: map[string]any{"max_retries": -1, "retry_delay": "0s"},
			errs: []string{`setting "max_retries": must be 0 or more`, `setting "retry_delay": "0s" is not a positive duration (write e.g. "500ms" or "2s")`}},
		{name: "secret of the wrong type is not quoted", settings: map[string]any{"client_secret": map[string]any{"v": "Zx8Q~s3cr3t"}},
			errs: []string{`setting "client_secret": must be a string, not a map`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, err := specOptions(secret.Spec{Name: "kv", Type: "azure", Settings: tc.settings})
			if tc.errs == nil {
				if err != nil || !tc.check(o) {
					t.Fatalf("specOptions: %+v, %v", o, err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, want := range tc.errs {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("want %q in %v", want, err)
				}
			}
			if n := strings.Count(err.Error(), "\n") + 1; n != len(tc.errs) {
				t.Errorf("%d errors, want %d: %v", n, len(tc.errs), err)
			}
			if strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("error quotes the secret: %v", err)
			}
		})
	}
}
