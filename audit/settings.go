package audit

import (
	"errors"
	"fmt"
	"sort"

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
	File     string
	Required bool
	// Disabled is set by enabled: false.
	Disabled bool
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
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch k {
		case "file":
			f, ok := m[k].(string)
			if !ok || f == "" {
				bad(k, fmt.Sprintf("must be a file path, or %q", Stderr))
			}
			s.File = f
		case "required":
			b, ok := units.Bool(m[k])
			if !ok {
				bad(k, "must be true or false")
			}
			s.Required = b
		case "enabled":
			b, ok := units.Bool(m[k])
			if !ok {
				bad(k, "must be true or false")
			}
			s.Disabled = !b
		default:
			bad(k, units.UnknownKey(k, []string{"enabled", "file", "required"}))
		}
	}
	if s.Disabled && s.Required {
		bad("required", "the audit log cannot be both required and disabled")
	}
	return s, errors.Join(errs...)
}
