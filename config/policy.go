package config

import (
	"fmt"
	"strings"

	"github.com/latchkey/latchkey/policy"
)

// parseRule reads a secrets rule written at key:
//
//	{allow: [PATTERN | {name: PATTERN, versions: [V…]}…], deny: […]}
//
// reporting every problem through bad. It returns nil when the rule is not
// a map.
func parseRule(key string, v any, bad func(key, format string, args ...any)) *policy.Spec {
	m, ok := v.(map[string]any)
	if !ok {
		bad(key, `must be a map with allow and/or deny lists, e.g. {allow: ["app/*"], deny: ["app/admin*"]}`)
		return nil
	}
	spec := &policy.Spec{Origin: key}
	for _, k := range sortedKeys(m) {
		switch k {
		case "allow":
			spec.Allow = parseEntries(key+".allow", m[k], bad)
		case "deny":
			spec.Deny = parseEntries(key+".deny", m[k], bad)
		default:
			bad(key+"."+k, "unknown key (known: allow, deny)")
		}
	}
	return spec
}

func parseEntries(key string, v any, bad func(key, format string, args ...any)) []policy.Entry {
	list, ok := v.([]any)
	if !ok {
		bad(key, `must be a list of patterns, e.g. ["app/*"]`)
		return nil
	}
	var out []policy.Entry
	for i, item := range list {
		ik := fmt.Sprintf("%s[%d]", key, i)
		switch it := item.(type) {
		case string:
			out = append(out, policy.Entry{Name: it})
		case map[string]any:
			var e policy.Entry
			ok := true
			bad := func(key, format string, args ...any) { ok = false; bad(key, format, args...) }
			for _, k := range sortedKeys(it) {
				switch k {
				case "name":
					s, ok := it[k].(string)
					if !ok {
						bad(ik+".name", "must be a pattern string")
					}
					e.Name = s
				case "versions":
					vs, ok := it[k].([]any)
					if !ok || len(vs) == 0 {
						bad(ik+".versions", `must be a non-empty list of versions, e.g. [current, AWSPREVIOUS]`)
						continue
					}
					for j, x := range vs {
						s, ok := x.(string)
						if !ok {
							bad(fmt.Sprintf("%s.versions[%d]", ik, j), "must be a version string")
							continue
						}
						e.Versions = append(e.Versions, s)
					}
				default:
					bad(ik+"."+k, "unknown key (known: name, versions)")
				}
			}
			if _, has := it["name"]; !has {
				bad(ik+".name", "missing: every pattern needs a name")
			}
			if ok {
				out = append(out, e)
			}
		default:
			bad(ik, `must be a pattern string or a map {name: PATTERN, versions: [V, …]}`)
		}
	}
	return out
}

// envAllow turns an env store's older allow list into its secrets rule.
// Its path.Match patterns mean the same as the rule's for environment
// variable names, except for character classes and escapes, which the rule
// does not have: those are refused with what to write instead.
func envAllow(key string, v any, bad func(key, format string, args ...any)) *policy.Spec {
	list, ok := v.([]any)
	if !ok {
		bad(key, `must be a list of variable name patterns, e.g. ["APP_*"] (or write secrets: {allow: [...]})`)
		return nil
	}
	spec := &policy.Spec{Origin: key}
	for i, item := range list {
		s, ok := item.(string)
		switch {
		case !ok:
			bad(fmt.Sprintf("%s[%d]", key, i), "must be a variable name pattern")
		case strings.ContainsAny(s, `[]\`):
			bad(fmt.Sprintf("%s[%d]", key, i), "pattern %q uses a character class or escape, which the secrets rule (that allow now is) does not support: list the names, or use * and ?", s)
		default:
			spec.Allow = append(spec.Allow, policy.Entry{Name: s})
		}
	}
	return spec
}
