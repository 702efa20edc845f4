package audit

import (
	"errors"
	"testing"
)

func TestParseSettings(t *testing.T) {
	tests := []struct {
		name string
		raw  any
		want Settings
		keys []string // keys of the errors, in order
	}{
		{"file and required", map[string]any{"file": "/var/log/a.jsonl", "required": true}, Settings{File: "/var/log/a.jsonl", Required: true}, nil},
		{"stderr, string bool", map[string]any{"file": Stderr, "required": "true"}, Settings{File: Stderr, Required: true}, nil},
		{"disabled", map[string]any{"enabled": false}, Settings{Disabled: true}, nil},
		{"not a map", "stderr", Settings{}, []string{""}},
		{"every problem", map[string]any{"file": 3, "required": "maybe", "rotate": true}, Settings{}, []string{"file", "required", "rotate"}},
		{"empty file", map[string]any{"file": ""}, Settings{}, []string{"file"}},
		{"keys without values", map[string]any{"file": nil, "required": nil, "enabled": nil}, Settings{}, []string{"enabled", "file", "required"}},
		{"nested map where a bool goes", map[string]any{"enabled": map[string]any{"x": 1}}, Settings{}, []string{"enabled"}},
		{"required and disabled", map[string]any{"enabled": false, "required": true}, Settings{Disabled: true, Required: true}, []string{"required"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseSettings(tc.raw)
			if got != tc.want {
				t.Errorf("settings = %+v, want %+v", got, tc.want)
			}
			var keys []string
			if err != nil {
				errs := []error{err}
				if j, ok := err.(interface{ Unwrap() []error }); ok {
					errs = j.Unwrap()
				}
				for _, e := range errs {
					var se *SettingError
					if !errors.As(e, &se) {
						t.Fatalf("%v is not a *SettingError", e)
					}
					keys = append(keys, se.Key)
				}
			}
			if len(keys) != len(tc.keys) {
				t.Fatalf("error keys %q, want %q (%v)", keys, tc.keys, err)
			}
			for i := range keys {
				if keys[i] != tc.keys[i] {
					t.Fatalf("error keys %q, want %q", keys, tc.keys)
				}
			}
		})
	}
}
