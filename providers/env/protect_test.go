package env

import (
	"testing"

	"github.com/latchkey/latchkey/protect"
)

// TestProtectionDefaults: the env store has no backend, so protection is
// off by default; enabled anyway, its settings are valid.
func TestProtectionDefaults(t *testing.T) {
	d := protect.Defaults("env")
	if !d.Disabled {
		t.Error("protection is on for a store with no backend")
	}
	if err := d.Validate("s"); err != nil {
		t.Error(err)
	}
}
