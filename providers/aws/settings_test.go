package aws

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/units"
	"github.com/latchkey/latchkey/secret"
)

// TestSettingsAreOptions checks that the "aws" type's settings are exactly
// the tagged fields of Options, decoded straight into them, and that a
// literal key given a bad value is not quoted back.
func TestSettingsAreOptions(t *testing.T) {
	want := []string{"access_key_id", "access_key_id_env", "access_key_id_file", "auth_method", "duration", "endpoint",
		"external_id", "max_attempts", "region", "role_arn", "secret_access_key", "secret_access_key_env",
		"secret_access_key_file", "session_name", "session_token_env", "sts_endpoint"}
	if got := units.Fields(Options{}); !slices.Equal(got, want) {
		t.Fatalf("settings %v, want %v", got, want)
	}
	o, err := specOptions(secret.Spec{Name: "sm", Type: "aws", Settings: map[string]any{
		"auth_method": "assume_role", "role_arn": "arn:aws:iam::123456789012:role/r", "duration": "1h", "max_attempts": 5}})
	if err != nil || o.AuthMethod != AuthAssumeRole || o.Duration != time.Hour || o.MaxAttempts != 5 || o.RoleARN == "" {
		t.Fatalf("specOptions: %+v, %v", o, err)
	}
	tests := []struct {
		name     string
		settings map[string]any
		key, msg string
	}{
		{"duration without unit", map[string]any{"duration": 900}, "duration", `"900" is not a duration (write e.g. 15m or 1h)`},
		{"secret given as a number", map[string]any{"secret_access_key": 98765432109876543}, "secret_access_key", "must be a string, not a number"},
		{"secret given as a list", map[string]any{"secret_access_key": []any{"wJalrXUtnFEMI/K7MDENG"}}, "secret_access_key", "must be a string, not a list"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := specOptions(secret.Spec{Name: "sm", Type: "aws", Settings: tc.settings})
			if err == nil || !strings.Contains(err.Error(), `setting "`+tc.key+`": `+tc.msg) {
				t.Fatalf("want %q on %s, got %v", tc.msg, tc.key, err)
			}
			if strings.Contains(err.Error(), "98765") || strings.Contains(err.Error(), "wJalr") {
				t.Errorf("error quotes the secret: %v", err)
			}
		})
	}
}
