package wasm

import (
	"testing"

	"github.com/latchkey/latchkey/protect"
)

// TestProtectionDefaults: a module's backend is unknown and has no SDK
// retrying for it, so the type registers nothing about it: the generic
// rate, and retries by protection.
func TestProtectionDefaults(t *testing.T) {
	d := protect.Defaults("wasm")
	if err := d.Validate("s"); err != nil {
		t.Fatal(err)
	}
	if d.Disabled || d.Rate != 100 || d.Burst != 50 || d.Retry.Max != 2 {
		t.Errorf("defaults %+v; want 100/s, burst 50, 2 retries", d)
	}
}
