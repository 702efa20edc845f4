package aws

import (
	"testing"

	"github.com/latchkey/latchkey/protect"
)

// TestProtectionDefaults: the protection this type registers is valid,
// stays under Secrets Manager's published limit (10,000 GetSecretValue and
// DescribeSecret calls per second per account and region, docs/upstream.md)
// counting a full bucket plus a second's refill, for fetches and probes
// alike, and adds no retries to the SDK's own.
func TestProtectionDefaults(t *testing.T) {
	d := protect.Defaults(Type)
	if err := d.Validate("s"); err != nil {
		t.Fatal(err)
	}
	if d.Disabled {
		t.Error("protection is off by default")
	}
	if most := float64(d.Burst) + d.Rate*1; most > 10000 {
		t.Errorf("up to %g fetches in 1s exceed the service's 10,000", most)
	}
	if most := float64(d.ProbeBurst) + d.ProbeRate*1; most > 10000 {
		t.Errorf("up to %g probes in 1s exceed the service's 10,000", most)
	}
	if d.Retry.Max != 0 {
		t.Error("aws retries in its SDK; protection's retries would multiply them")
	}
}
