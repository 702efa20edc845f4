package wasm

import (
	"fmt"
	"sort"
	"strings"
)

// describeCapabilities says what the module declares (or that it declares
// nothing) for Describe's summary, and warns about declared credentials the
// store does not configure: the module would be refused (-8) each time it
// sends their placeholders.
func (s *Store) describeCapabilities() (summary string, warnings []string) {
	c := s.mod.Info().Capabilities
	if c == nil {
		return "; capabilities: none declared (the module has no latchkey.capabilities section; it loads, but its hosts and credentials cannot be checked before it runs)", nil
	}
	var parts []string
	if len(c.Hosts) > 0 {
		parts = append(parts, "hosts "+strings.Join(c.Hosts, ", "))
	}
	if len(c.Credentials) > 0 {
		parts = append(parts, "credentials "+strings.Join(c.Credentials, ", "))
	}
	if len(c.Config) > 0 {
		parts = append(parts, "config keys "+strings.Join(c.Config, ", "))
	}
	if len(parts) == 0 {
		parts = append(parts, "nothing")
	}
	summary = "; module declares " + strings.Join(parts, "; ")
	have := map[string]bool{}
	for _, cr := range s.creds {
		have[cr.name] = true
	}
	var missing []string
	for _, n := range c.Credentials {
		if !have[n] {
			missing = append(missing, n)
		}
	}
	sort.Strings(missing)
	for _, n := range missing {
		warnings = append(warnings, fmt.Sprintf("module declares credential %q, which the store does not configure (add it under credentials:)", n))
	}
	return summary, warnings
}
