package wasm

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/providers/wasm/wasmstoretest"
	"github.com/latchkey/latchkey/secret"
)

// TestMetadataNeedsItsOwnSetting: under allow_networks 0.0.0.0/0 a module
// still cannot reach 169.254.169.254, the error names allow_metadata, and
// Describe (what `latchkey check` prints) warns about the wide allow, the
// metadata it covers and any allow_metadata.
func TestMetadataNeedsItsOwnSetting(t *testing.T) {
	srv := wasmstoretest.Start(t, planted)
	module := wasmstoretest.BuildHTTPJSON(t)
	tests := []struct {
		name     string
		override map[string]any
		err      string // of a fetch from 169.254.169.254; "" when not tried
		warnings []string
	}{
		{"everything allowed but metadata", map[string]any{"allow_networks": []any{"0.0.0.0/0", "::/0"}},
			"allow_metadata", []string{"allow_networks 0.0.0.0/0 is wider than a /8", "allow_networks ::/0 is wider than a /32",
				"0.0.0.0/0 covers cloud-metadata addresses; they stay refused unless allow_metadata lists them",
				"allowed_hosts lists 169.254.169.254, a cloud-metadata address"}},
		{"a /8 is not wide", map[string]any{"allow_networks": []any{"10.0.0.0/8", "127.0.0.1"}}, "", nil},
		{"metadata allowed", map[string]any{"allow_metadata": []any{"169.254.169.254"}}, "",
			[]string{"allow_metadata 169.254.169.254/32 lets the module reach a cloud-metadata service"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			settings := settingsFor(t, srv, module, tc.override)
			if tc.err != "" {
				settings["config"] = map[string]any{"store_url": "http://169.254.169.254/latest/meta-data"}
				settings["allow_http"] = []any{"169.254.169.254"}
			}
			st, err := fromSpec(context.Background(), secret.Spec{Name: "custom", Type: "wasm", Settings: settings}, sharedCache)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			if tc.err != "" {
				_, err := st.Get(context.Background(), secret.Request{Name: "iam"})
				if !errors.Is(err, secret.ErrNotAllowed) || !strings.Contains(err.Error(), tc.err) || strings.Contains(err.Error(), "allow it with allow_networks or allow_private_networks") {
					t.Errorf("Get from the metadata address: %v, want a refusal naming %s only", err, tc.err)
				}
			}
			got := strings.Join(st.Describe().Warnings, "\n")
			for _, w := range tc.warnings {
				if !strings.Contains(got, w) {
					t.Errorf("warnings lack %q:\n%s", w, got)
				}
			}
			if len(tc.warnings) == 0 && (strings.Contains(got, "wider than") || strings.Contains(got, "metadata")) {
				t.Errorf("unexpected warnings:\n%s", got)
			}
		})
	}
	_, err := fromSpec(context.Background(), secret.Spec{Name: "custom", Type: "wasm",
		Settings: settingsFor(t, srv, module, map[string]any{"allow_metadata": []any{"10.0.0.1", "nope"}, "limits": map[string]any{"init_timeout": "never"}})}, sharedCache)
	for _, want := range []string{"allow_metadata", `"10.0.0.1" holds no cloud-metadata address`, `"nope"`, "limits.init_timeout"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("bad settings: %v, want %q", err, want)
		}
	}
}
