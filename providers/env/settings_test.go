package env

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/units"
	"github.com/latchkey/latchkey/secret"
)

// TestSettingsAreOptions checks that the "env" type's one setting is
// Options.Allow, decoded straight into it.
func TestSettingsAreOptions(t *testing.T) {
	if got := units.Fields(Options{}); !slices.Equal(got, []string{"allow"}) {
		t.Fatalf("settings %v", got)
	}
	st, err := factory(context.Background(), secret.Spec{Name: "e", Type: "env", Settings: map[string]any{"allow": []any{"APP_*"}}})
	if err != nil || !slices.Equal(st.(*Store).allow, []string{"APP_*"}) {
		t.Fatalf("factory: %v", err)
	}
	_, err = factory(context.Background(), secret.Spec{Name: "e", Type: "env", Settings: map[string]any{"allow": "APP_*"}})
	if err == nil || !strings.Contains(err.Error(), `setting "allow": must be a list of strings, not a string`) {
		t.Fatalf("allow as a string: %v", err)
	}
}
