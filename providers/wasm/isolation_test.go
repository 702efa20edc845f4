package wasm

import (
	"bytes"
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
	for _, g := range wasmstoretest.Guests() {
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
				if v, err := st.Get(context.Background(), secret.Request{Name: "plain"}); err != nil || v.Value.RevealString() != string(planted["plain"]) {
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

// TestPooledMemoryAfterAFetch scans a pooled instance's whole memory after
// fetches: the Rust SDK overwrites what it owns (the response it read, the
// result it handed over), so nothing of the secrets is left for the next
// fetch to read, whether small, larger than the SDK's first read buffer,
// or selected from a JSON field. The Go SDK leaves them in
// its heap — the scan finds them there, which is also what shows the scan
// works — as ABI.md says of pooled instances.
func TestPooledMemoryAfterAFetch(t *testing.T) {
	large := []byte("large-planted-" + strings.Repeat("0123456789abcdef", 200))
	secrets := map[string][]byte{
		"plain": planted["plain"],
		"large": large,
		"doc":   []byte(`{"password":"field-planted-pw","other":"x"}`),
	}
	for _, g := range wasmstoretest.Guests() {
		t.Run(g.Lang, func(t *testing.T) {
			srv := wasmstoretest.Start(t, secrets)
			module := g.Build(t)
			for _, tc := range []struct {
				name, field string
				want        []byte
			}{
				{"plain", "", secrets["plain"]},
				{"large", "", large},
				{"doc", "password", []byte("field-planted-pw")},
			} {
				t.Run(tc.name, func(t *testing.T) {
					s := settingsFor(t, srv, module, map[string]any{"limits": map[string]any{"instances": 1}})
					if tc.field != "" {
						s["config"].(map[string]any)["field"] = tc.field
					}
					st, err := fromSpec(context.Background(), secret.Spec{Name: "scan", Type: "wasm", Settings: s}, sharedCache)
					if err != nil {
						t.Fatal(err)
					}
					defer st.Close()
					for range 2 {
						v, err := st.Get(context.Background(), secret.Request{Name: tc.name})
						if err != nil || v.Value.RevealString() != string(tc.want) {
							t.Fatalf("Get = %v", err)
						}
					}
					probe := tc.want[:16] // any 16 bytes of the value
					found := 0
					if n := st.Module().ScanIdleMemory(func(mem []byte) { found += bytes.Count(mem, probe) }); n != 1 {
						t.Fatalf("scanned %d instances", n)
					}
					switch {
					case g.Lang == "rust" && found > 0:
						t.Errorf("the Rust guest's pooled memory holds the secret %d times after the fetch", found)
					case g.Lang == "go" && found == 0:
						t.Errorf("the scan found nothing in the Go guest, which does not wipe: it would not notice a leak")
					}
				})
			}
		})
	}
}
