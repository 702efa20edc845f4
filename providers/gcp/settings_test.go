package gcp

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/units"
	"github.com/latchkey/latchkey/secret"
)

// TestSettingsAreConfig checks that the "gcp" type's settings are exactly
// the tagged fields of Config, decoded straight into them, and that
// max_attempts refuses 0 (which Config reads as the default) only when it
// is given.
func TestSettingsAreConfig(t *testing.T) {
	want := []string{"attempt_timeout", "auth_method", "credentials_file", "endpoint", "impersonate_service_account",
		"initial_backoff", "insecure", "location", "max_attempts", "max_backoff", "project", "require_checksum"}
	if got := units.Fields(Config{}); !slices.Equal(got, want) {
		t.Fatalf("settings %v, want %v", got, want)
	}
	tests := []struct {
		name     string
		settings map[string]any
		check    func(Config) bool
		errs     []string
	}{
		{name: "absent", settings: map[string]any{}, check: func(c Config) bool { return c.MaxAttempts == 0 }},
		{name: "null", settings: map[string]any{"max_attempts": nil}, check: func(c Config) bool { return c.MaxAttempts == 0 }},
		{name: "given", settings: map[string]any{"max_attempts": 2, "initial_backoff": "1ms", "auth_method": "none"},
			check: func(c Config) bool {
				return c.MaxAttempts == 2 && c.InitialBackoff == time.Millisecond && c.Auth == AuthNone
			}},
		{name: "zero", settings: map[string]any{"max_attempts": 0}, errs: []string{`setting "max_attempts": is 0; it counts the first call too`}},
		{name: "wrong type is reported once", settings: map[string]any{"max_attempts": "2"}, errs: []string{`setting "max_attempts": must be a whole number, not a string`}},
		{name: "duration without unit", settings: map[string]any{"attempt_timeout": 30}, errs: []string{`setting "attempt_timeout": "30" is not a positive duration (write e.g. "500ms" or "2s")`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := specConfig(secret.Spec{Name: "gsm", Type: "gcp", Settings: tc.settings})
			if tc.errs == nil {
				if err != nil || !tc.check(c) {
					t.Fatalf("specConfig: %+v, %v", c, err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, want := range tc.errs {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("want %q in %v", want, err)
				}
			}
			if n := strings.Count(err.Error(), "\n") + 1; n != len(tc.errs) {
				t.Errorf("%d errors, want %d: %v", n, len(tc.errs), err)
			}
		})
	}
}
