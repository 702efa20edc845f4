package wasm

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/wasmtest"
	"github.com/latchkey/latchkey/providers/wasm/wasmstoretest"
	"github.com/latchkey/latchkey/secret"
)

// TestRustGuestCredentials runs the Rust SDK's credential placeholders
// through the host: http-json-rs sends the store's bearer token as a
// placeholder the host fills in, so the secret is fetched while the
// guest's memory never holds the token; a credential bound to another host
// is refused, and the SDK reports the refusal as not allowed.
func TestRustGuestCredentials(t *testing.T) {
	srv := wasmstoretest.Start(t, planted)
	module := wasmstoretest.BuildHTTPJSONRust(t)
	t.Setenv(credEnv, srv.Token)
	for _, tc := range []struct {
		name  string
		bound string
		err   error
	}{
		{"bound", "http://" + srv.HostPort(), nil},
		{"bound elsewhere", "http://elsewhere.example:8080", secret.ErrNotAllowed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := settingsFor(t, srv, module, map[string]any{
				"limits":      map[string]any{"instances": 1},
				"credentials": map[string]any{"store_token": map[string]any{"env": credEnv, "hosts": []any{tc.bound}}},
			})
			s["config"].(map[string]any)["header"] = map[string]any{"Authorization": "Bearer {{latchkey.credential:store_token}}"}
			st, err := fromSpec(context.Background(), secret.Spec{Name: "rs-cred", Type: "wasm", Settings: s}, sharedCache)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			v, err := st.Get(context.Background(), secret.Request{Name: "plain"})
			if tc.err != nil {
				if !errors.Is(err, tc.err) || !strings.Contains(err.Error(), "credential refused") || strings.Contains(err.Error(), srv.Token) {
					t.Fatalf("Get = %v, want %v naming the refused credential and not its value", err, tc.err)
				}
				return
			}
			if err != nil || v.Value.RevealString() != string(planted["plain"]) {
				t.Fatalf("Get = %v", err)
			}
			if n := st.Module().ScanIdleMemory(func(mem []byte) {
				if leak := wasmtest.FindLeak(mem, []byte(srv.Token)); leak != "" {
					t.Errorf("the token (%s form) is in the Rust guest's memory", leak)
				}
				if !strings.Contains(string(mem), "{{latchkey.credential:store_token}}") {
					t.Error("the scan does not find the placeholder the guest built: it proves nothing")
				}
			}); n != 1 {
				t.Fatalf("scanned %d instances", n)
			}
		})
	}
}
