package gcp

import (
	"context"
	"testing"
)

// TestADCSearchIsDeferred checks that building a store that uses
// Application Default Credentials does not start looking for them: off
// Google Cloud the search probes the metadata server over the network.
func TestADCSearchIsDeferred(t *testing.T) {
	for _, cfg := range []Config{
		{},
		{Auth: AuthImpersonate, ImpersonateServiceAccount: "target@demo-project.iam.gserviceaccount.com"},
	} {
		st, err := New(context.Background(), "s", cfg)
		if err != nil {
			t.Fatal(err)
		}
		a := st.id.adc
		a.mu.Lock()
		started := a.found != nil || a.pending != nil
		a.mu.Unlock()
		if started {
			t.Errorf("auth %q: New started the search for credentials", st.cfg.Auth)
		}
		st.Close()
	}
}
