package cli

import (
	"fmt"
	"strings"

	"github.com/latchkey/latchkey/resolver"
)

// envNamer derives environment variable names from field names.
type envNamer struct {
	prefix string
	upper  bool
}

// name returns the variable for a field: the workflow's explicit env name,
// else prefix + the field name with every character outside [A-Za-z0-9_]
// replaced by '_' (upper-cased unless --env-case preserve), and '_' put in
// front of a leading digit.
func (n envNamer) name(f resolver.Resolved) string {
	if f.Env != "" {
		return f.Env
	}
	var b strings.Builder
	b.WriteString(n.prefix)
	for _, r := range f.Name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	s := b.String()
	if n.upper {
		s = strings.ToUpper(s)
	}
	if s != "" && s[0] >= '0' && s[0] <= '9' {
		s = "_" + s
	}
	return s
}

// envPair is one variable to export.
type envPair struct {
	name, field string
	value       []byte
}

// pairs names every field and refuses collisions and values an environment
// cannot carry. Errors name fields, never values.
func (n envNamer) pairs(res *resolver.Result) ([]envPair, error) {
	seen := map[string]string{}
	var out []envPair
	for _, f := range res.Fields {
		name := n.name(f)
		if !validEnvName(name) {
			return nil, fail(ExitConfig, fmt.Errorf("field %q: %q is not a valid environment variable name (set \"env\" on the field)", f.Name, name))
		}
		if prev, dup := seen[name]; dup {
			return nil, fail(ExitConfig, fmt.Errorf("fields %q and %q both map to variable %s (set \"env\" on one of them)", prev, f.Name, name))
		}
		seen[name] = f.Name
		v := f.Value.Reveal()
		if strings.IndexByte(string(v), 0) >= 0 {
			return nil, fail(ExitResolution, fmt.Errorf("field %q holds a NUL byte, which an environment variable cannot carry", f.Name))
		}
		out = append(out, envPair{name: name, field: f.Name, value: v})
	}
	return out, nil
}

func validEnvName(s string) bool {
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}
