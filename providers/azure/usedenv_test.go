package azure_test

import (
	"slices"
	"testing"

	"github.com/latchkey/latchkey/providers/azure"
	"github.com/latchkey/latchkey/providers/azure/azuretest"
)

// TestUsedEnv checks that the store names the SDK's secret-holding
// variables and the one client_secret_env names, so that exec drops them.
func TestUsedEnv(t *testing.T) {
	srv := azuretest.Start(t)
	o := spOptions(srv)
	o.ClientSecretFile, o.ClientSecretEnv = "", "KV_CLIENT_SECRET"
	o.LookupEnv = func(k string) (string, bool) { return "a-client-secret-value", k == "KV_CLIENT_SECRET" }
	s, err := azure.New("kv", o)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got := s.Describe().UsedEnv()
	for _, want := range []string{"KV_CLIENT_SECRET", "AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PASSWORD", "IDENTITY_HEADER"} {
		if !slices.Contains(got, want) {
			t.Errorf("UsedEnv() = %v, lacks %s", got, want)
		}
	}
}
