package aws

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/providers/aws/awstest"
)

// TestPrincipalStaysOnTheStoresEndpoints: with a custom Secrets Manager
// endpoint, Principal asks STS only where an STS endpoint is configured
// (sts_endpoint, or the environment's); otherwise it sends nothing, to
// the public endpoint or anywhere, and says which setting would allow it.
func TestPrincipalStaysOnTheStoresEndpoints(t *testing.T) {
	srv := awstest.Start(t)
	srv.Isolate(t)
	alice := srv.AddUser("alice")
	keys := map[string]any{"region": srv.Region, "endpoint": srv.URL, "auth_method": "access_keys",
		"access_key_id": alice.AccessKeyID, "secret_access_key": alice.SecretAccessKey, "max_attempts": 1}
	with := func(kv ...string) map[string]any {
		m := map[string]any{}
		for k, v := range keys {
			m[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name     string
		settings map[string]any
		env      map[string]string
		want     string // "" means refused without a call
	}{
		{"custom endpoint, no STS endpoint", with(), nil, ""},
		{"custom endpoint, only the Secrets Manager variable for STS", with(), map[string]string{"AWS_ENDPOINT_URL_SECRETS_MANAGER": srv.URL}, ""},
		{"sts_endpoint", with("sts_endpoint", srv.URL), nil, srv.UserARN("alice")},
		{"AWS_ENDPOINT_URL_STS", with(), map[string]string{"AWS_ENDPOINT_URL_STS": srv.URL}, srv.UserARN("alice")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			before := srv.Count("GetCallerIdentity")
			who, err := build(t, tc.settings).Describe().Principal(context.Background())
			calls := srv.Count("GetCallerIdentity") - before
			if tc.want == "" {
				if !errors.Is(err, ErrNoPrincipalEndpoint) || !strings.Contains(err.Error(), "sts_endpoint") || calls != 0 {
					t.Fatalf("who %q, err %v, %d calls; want ErrNoPrincipalEndpoint naming sts_endpoint and no call", who, err, calls)
				}
				return
			}
			if err != nil || !strings.Contains(who, tc.want) || calls != 1 {
				t.Fatalf("who %q, err %v, %d calls; want %q from one call", who, err, calls, tc.want)
			}
		})
	}
}
