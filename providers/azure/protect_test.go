package azure_test

import (
	"testing"

	"github.com/latchkey/latchkey/protect"
	_ "github.com/latchkey/latchkey/providers/azure" // type "azure"
)

// TestProtectionDefaults: the protection this type registers is valid,
// stays under Key Vault's published limit (4,000 secret transactions per
// 10 s per vault, docs/upstream.md) counting a full bucket plus the
// window's refill, for fetches and probes alike, and adds no retries to
// the SDK's own.
func TestProtectionDefaults(t *testing.T) {
	d := protect.Defaults("azure")
	if err := d.Validate("s"); err != nil {
		t.Fatal(err)
	}
	if d.Disabled {
		t.Error("protection is off by default")
	}
	if most := float64(d.Burst) + d.Rate*10; most > 4000 {
		t.Errorf("up to %g fetches in 10s exceed the service's 4,000", most)
	}
	if most := float64(d.ProbeBurst) + d.ProbeRate*10; most > 4000 {
		t.Errorf("up to %g probes in 10s exceed the service's 4,000", most)
	}
	if d.Retry.Max != 0 {
		t.Error("azure retries in its SDK; protection's retries would multiply them")
	}
}
