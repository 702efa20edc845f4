package audit

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/latchkey/latchkey/internal/units"
)

// Stderr is the audit file value that writes records to stderr.
const Stderr = "stderr"

// Settings is the agent config's audit section:
//
//	audit:
//	  file: /var/log/latchkey/audit.jsonl   # or "stderr"
//	  required: true                        # fail a resolution that cannot be recorded
//	  enabled: false                        # turn the resident agent's default log off
//
// The one-shot CLI writes an audit log only when File is set (or
// --audit-log is given); `latchkey serve` writes one unless Enabled is
// false, to stderr when File is empty.
type Settings struct {
	File     string `json:"file"`
	Required bool   `json:"required" units:"str"`
	// Disabled is set by enabled: false.
	Disabled bool `json:"-"`
}

// SettingError is one bad audit setting; Key is its name inside the audit
// section ("" for the section itself).
type SettingError struct {
	Key string
	Msg string
}

// Error implements error.
func (e *SettingError) Error() string {
	if e.Key == "" {
		return "audit settings: " + e.Msg
	}
	return fmt.Sprintf("audit setting %q: %s", e.Key, e.Msg)
}

// ParseSettings decodes the audit section as the config file, environment
// or overrides gave it (a map of decoded values) and checks it. Every
// problem is reported, joined, as a *[SettingError]; the Settings hold
// what could be read.
func ParseSettings(raw any) (Settings, error) {
	var s Settings
	m, ok := raw.(map[string]any)
	if !ok {
		return s, &SettingError{Msg: "must be a map, e.g. {file: /var/log/latchkey/audit.jsonl, required: true}"}
	}
	var errs []error
	bad := func(key, msg string) { errs = append(errs, &SettingError{Key: key, Msg: msg}) }
	msgs := map[string]string{"file": fmt.Sprintf("must be a file path, or %q", Stderr),
		"required": "must be true or false", "enabled": "must be true or false"}
	// The section is Settings' tagged fields, and enabled, which Settings
	// keeps inverted as Disabled.
	in := struct {
		Settings
		Enabled *bool `json:"enabled" units:"str"`
	}{}
	var problems []*units.DecodeError
	if err := units.Decode(m, &in); err != nil {
		for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
			problems = append(problems, e.(*units.DecodeError))
		}
	}
	for k, v := range m {
		if v == nil && msgs[k] != "" || k == "file" && v == "" { // written without a value
			problems = append(problems, &units.DecodeError{Key: k})
		}
	}
	slices.SortFunc(problems, func(a, b *units.DecodeError) int { return strings.Compare(a.Key, b.Key) })
	for _, p := range problems {
		if p.Known != nil {
			bad(p.Key, p.Msg)
		} else {
			bad(p.Key, msgs[p.Key])
		}
	}
	s = in.Settings
	if in.Enabled != nil {
		s.Disabled = !*in.Enabled
	}
	if s.Disabled && s.Required {
		bad("required", "the audit log cannot be both required and disabled")
	}
	return s, errors.Join(errs...)
}
