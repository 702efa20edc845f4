package secret

import (
	"errors"
	"strings"
	"testing"
)

func TestSuggest(t *testing.T) {
	known := []string{"region", "auth_method", "role_arn", "endpoint", "max_attempts", "ttl", "tls"}
	tests := []struct{ word, want string }{
		{"regoin", "region"},
		{"Region", "region"},
		{"auth_methd", "auth_method"},
		{"rolearn", "role_arn"},
		{"endpont", "endpoint"},
		{"max_attempt", "max_attempts"},
		{"tll", "ttl"},
		{"profile", ""},
		{"xyz", ""},
		{"", ""},
	}
	for _, tc := range tests {
		t.Run(tc.word, func(t *testing.T) {
			if got := Suggest(tc.word, known); got != tc.want {
				t.Errorf("Suggest(%q) = %q, want %q", tc.word, got, tc.want)
			}
		})
	}
}

type decodeBase struct {
	Shared string `json:"shared"`
}

type decodeSettings struct {
	decodeBase
	Region   string `json:"region"`
	Attempts int    `json:"max_attempts,omitempty"`
	Skip     string `json:"-"`
}

// TestDecodeReportsEveryUnknownSetting checks that Decode names every
// unknown setting at once, with the closest known one, and accepts the
// fields of an embedded struct.
func TestDecodeReportsEveryUnknownSetting(t *testing.T) {
	var dst decodeSettings
	err := Spec{Name: "aws", Type: "aws", Settings: map[string]any{"regoin": "x", "max_atempts": 2, "bogus": 1, "shared": "ok"}}.Decode(&dst)
	var list []*ConfigError
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var ce *ConfigError
		if !errors.As(e, &ce) {
			t.Fatalf("%T is not a ConfigError", e)
		}
		list = append(list, ce)
	}
	if len(list) != 3 || list[0].Key != "bogus" || list[1].Key != "max_atempts" || list[2].Key != "regoin" {
		t.Fatalf("errors: %v", err)
	}
	if !strings.Contains(list[1].Msg, `did you mean "max_attempts"?`) || !strings.Contains(list[2].Msg, `did you mean "region"?`) || strings.Contains(list[0].Msg, "did you mean") {
		t.Errorf("suggestions: %v", err)
	}
	if err := (Spec{Name: "a", Settings: map[string]any{"shared": "s", "region": "r"}}).Decode(&dst); err != nil || dst.Shared != "s" {
		t.Errorf("embedded field: %v, %+v", err, dst)
	}
	if err := (Spec{Name: "a", Settings: map[string]any{"region": 5}}).Decode(&dst); err == nil || !strings.Contains(err.Error(), `setting "region": must be a string`) {
		t.Errorf("type error: %v", err)
	}
}
