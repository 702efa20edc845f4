package wasm

import (
	"context"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/providers/wasm/wasmstoretest"
	"github.com/latchkey/latchkey/secret"
)

// TestIsolationSetting checks the isolation setting end to end through the
// store's settings, for both builds of http-json: per_call starts an
// instance per fetch and pools none; a misspelt value is a config error
// naming the key.
func TestIsolationSetting(t *testing.T) {
	for _, g := range wasmstoretest.Guests {
		t.Run(g.Lang, func(t *testing.T) {
			srv := wasmstoretest.Start(t, planted)
			module := g.Build(t)
			st, err := fromSpec(context.Background(), secret.Spec{Name: "iso", Type: "wasm",
				Settings: settingsFor(t, srv, module, map[string]any{"isolation": "per_call"})}, sharedCache)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			for range 3 {
				if v, err := st.Get(context.Background(), secret.Request{Name: "plain"}); err != nil || v.RevealString() != string(planted["plain"]) {
					t.Fatalf("Get = %v", err)
				}
			}
			if s := st.Module().Stats(); s.Created != 3 || s.Idle != 0 {
				t.Errorf("per_call: %+v, want 3 instances created and none idle", s)
			}
			if d := st.Describe(); !strings.Contains(d.Summary, "per_call instances") {
				t.Errorf("Describe: %s", d.Summary)
			}
			_, err = fromSpec(context.Background(), secret.Spec{Name: "iso", Type: "wasm",
				Settings: settingsFor(t, srv, module, map[string]any{"isolation": "per-call"})}, sharedCache)
			if err == nil || !strings.Contains(err.Error(), "isolation") || !strings.Contains(err.Error(), "per_call") {
				t.Fatalf("a misspelt isolation: %v", err)
			}
		})
	}
}
