package gcp_test

import (
	"testing"

	"github.com/latchkey/latchkey/protect"
	_ "github.com/latchkey/latchkey/providers/gcp" // type "gcp"
)

// TestProtectionDefaults: the protection this type registers is valid and
// stays under Secret Manager's published limits (docs/upstream.md),
// counting a full bucket plus a minute's refill: 90,000 accesses per
// minute per project, and 600 "read requests" (GetSecretVersion, the
// version probe) per minute. It adds no retries to the client's own.
func TestProtectionDefaults(t *testing.T) {
	d := protect.Defaults("gcp")
	if err := d.Validate("s"); err != nil {
		t.Fatal(err)
	}
	if d.Disabled {
		t.Error("protection is off by default")
	}
	if most := float64(d.Burst) + d.Rate*60; most > 90000 {
		t.Errorf("up to %g accesses in 60s exceed the service's 90,000", most)
	}
	if most := float64(d.ProbeBurst) + d.ProbeRate*60; most > 600 {
		t.Errorf("up to %g probes in 60s exceed the service's 600", most)
	}
	if d.Retry.Max != 0 {
		t.Error("gcp retries in its client; protection's retries would multiply them")
	}
}

// TestProtectionProbeRateStaysItsOwn: a store that sets its fetch rate
// keeps the type's own, lower, probe rate.
func TestProtectionProbeRateStaysItsOwn(t *testing.T) {
	s, err := protect.Parse("s", "gcp", map[string]any{"rate": 50})
	if err != nil {
		t.Fatal(err)
	}
	if s.Rate != 50 || s.ProbeRate != 5 {
		t.Errorf("rate %g probe %g", s.Rate, s.ProbeRate)
	}
}
