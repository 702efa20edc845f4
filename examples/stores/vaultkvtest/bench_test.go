package vaultkvtest_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/examples/stores/vaultkvtest"
	"github.com/latchkey/latchkey/secret"
)

// BenchmarkProbeVsFetch compares, on the same store and loopback Vault in
// one run, a version probe (a metadata read, a few bytes of version back)
// with a fetch of a secret whose data is 64 KiB: what a cache renewal of
// an unchanged secret costs with and without the module's probe.
func BenchmarkProbeVsFetch(b *testing.B) {
	big := map[string]any{"blob": strings.Repeat("a", 64<<10)}
	srv := vaultkvtest.Start(b, vaultkvtest.Options{Secrets: map[string][]vaultkvtest.Version{"big": {{Data: big}}}})
	b.Setenv(vaultkvtest.TokenEnv, srv.Token)
	factory, _ := secret.Lookup("wasm")
	raw, _ := json.Marshal(srv.Settings(b, vaultkvtest.BuildModule(b), nil))
	var s map[string]any
	json.Unmarshal(raw, &s)
	st, err := factory(context.Background(), secret.Spec{Name: "vault", Type: "wasm", Settings: s})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	v := st.(secret.Versioner)
	req := secret.Request{Name: "big"}
	b.Run("fetch", func(b *testing.B) {
		for b.Loop() {
			if _, err := st.Get(context.Background(), req); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("probe", func(b *testing.B) {
		for b.Loop() {
			if _, err := v.CurrentVersion(context.Background(), req); err != nil {
				b.Fatal(err)
			}
		}
	})
}
