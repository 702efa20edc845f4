package policy

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/latchkey/latchkey/internal/units"
)

// This file reads the agent config's policy settings as the config file,
// environment or overrides gave them (maps and lists of decoded values):
// a store's secrets rule ([ParseRule], [ParseAllowList]) and the callers
// section ([ParseCallers]). Compiling them ([Compile], [CompileCallers])
// checks what needs the patterns together (overlaps, the stores' naming).

// SettingError is one bad policy setting. Key is its full key in the agent
// config ("stores.prod.secrets.allow[2].versions", "callers.etl.uids[0]"),
// since a rule is read where the caller says it is written.
type SettingError struct {
	Key string
	Msg string
}

// Error implements error.
func (e *SettingError) Error() string { return fmt.Sprintf("policy setting %q: %s", e.Key, e.Msg) }

// problems gathers a parser's [*SettingError]s.
type problems []error

func (p *problems) bad(key, format string, args ...any) {
	*p = append(*p, &SettingError{Key: key, Msg: fmt.Sprintf(format, args...)})
}

func (p problems) err() error { return errors.Join(p...) }

// ParseRule reads a secrets rule written at origin ("stores.prod.secrets"),
// which becomes its [Spec.Origin]:
//
//	{allow: [PATTERN | {name: PATTERN, versions: [V…]}…], deny: […]}
//
// Every problem is reported, joined, as a *[SettingError]. It returns nil
// when raw is not a map.
func ParseRule(origin string, raw any) (*Spec, error) {
	var p problems
	spec := p.rule(origin, raw)
	return spec, p.err()
}

func (p *problems) rule(key string, v any) *Spec {
	m, ok := v.(map[string]any)
	if !ok {
		p.bad(key, `must be a map with allow and/or deny lists, e.g. {allow: ["app/*"], deny: ["app/admin*"]}`)
		return nil
	}
	spec := &Spec{Origin: key}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		switch k {
		case "allow":
			spec.Allow = p.entries(key+".allow", m[k])
		case "deny":
			spec.Deny = p.entries(key+".deny", m[k])
		default:
			p.bad(key+"."+k, "%s", units.UnknownKey(k, []string{"allow", "deny"}))
		}
	}
	return spec
}

func (p *problems) entries(key string, v any) []Entry {
	list, ok := v.([]any)
	if !ok {
		p.bad(key, `must be a list of patterns, e.g. ["app/*"]`)
		return nil
	}
	var out []Entry
	for i, item := range list {
		ik := fmt.Sprintf("%s[%d]", key, i)
		switch it := item.(type) {
		case string:
			out = append(out, Entry{Name: it})
		case map[string]any:
			if e, ok := p.entry(ik, it); ok {
				out = append(out, e)
			}
		default:
			p.bad(ik, `must be a pattern string or a map {name: PATTERN, versions: [V, …]}`)
		}
	}
	return out
}

// entry reads {name: PATTERN, versions: [V…]}; ok is false when it had a
// problem.
func (p *problems) entry(key string, m map[string]any) (e Entry, ok bool) {
	before := len(*p)
	for _, k := range slices.Sorted(maps.Keys(m)) {
		switch k {
		case "name":
			s, isStr := m[k].(string)
			if !isStr {
				p.bad(key+".name", "must be a pattern string")
			}
			e.Name = s
		case "versions":
			vs, isList := m[k].([]any)
			if !isList || len(vs) == 0 {
				p.bad(key+".versions", `must be a non-empty list of versions, e.g. [current, AWSPREVIOUS]`)
				continue
			}
			for j, x := range vs {
				s, isStr := x.(string)
				if !isStr {
					p.bad(fmt.Sprintf("%s.versions[%d]", key, j), "must be a version string")
					continue
				}
				e.Versions = append(e.Versions, s)
			}
		default:
			p.bad(key+"."+k, "%s", units.UnknownKey(k, []string{"name", "versions"}))
		}
	}
	if _, has := m["name"]; !has {
		p.bad(key+".name", "missing: every pattern needs a name")
	}
	return e, len(*p) == before
}

// ParseAllowList turns an env store's older allow list, written at origin
// ("stores.app.allow"), into its secrets rule. Its path.Match patterns mean
// the same as the rule's for environment variable names, except for
// character classes and escapes, which the rule does not have: those are
// refused with what to write instead.
func ParseAllowList(origin string, raw any) (*Spec, error) {
	var p problems
	list, ok := raw.([]any)
	if !ok {
		p.bad(origin, `must be a list of variable name patterns, e.g. ["APP_*"] (or write secrets: {allow: [...]})`)
		return nil, p.err()
	}
	spec := &Spec{Origin: origin}
	for i, item := range list {
		s, ok := item.(string)
		switch {
		case !ok:
			p.bad(fmt.Sprintf("%s[%d]", origin, i), "must be a variable name pattern")
		case strings.ContainsAny(s, `[]\`):
			p.bad(fmt.Sprintf("%s[%d]", origin, i), "pattern %q uses a character class or escape, which the secrets rule (that allow now is) does not support: list the names, or use * and ?", s)
		default:
			spec.Allow = append(spec.Allow, Entry{Name: s})
		}
	}
	return spec, p.err()
}

// callerKeys are the keys of a callers entry, sorted.
var callerKeys = []string{"accounts", "gids", "service_accounts", "stores", "tokens", "uids"}

// ParseCallers reads the agent config's callers section (docs/policy.md):
//
//	callers:
//	  etl:
//	    uids: [1001]
//	    gids: [2000]
//	    tokens: [ci]            # names of serve tokens
//	    accounts: ['CORP\etl', S-1-5-32-545]  # Windows users/groups
//	    service_accounts: [etl/loader]        # Kubernetes (csi-provider)
//	    stores:
//	      prod: {allow: ["etl/*"]}
//	      app: {}               # whatever the store's own rule allows
//
// stores are the declared stores' names, which an entry's stores must be
// among. Every problem is reported, joined, as a *[SettingError]; the specs
// hold what could be read, in name order, each rule's origin its key
// ("callers.etl.stores.prod"). Whether a token is declared is the serve
// section's to say: the config loader checks it.
func ParseCallers(raw any, stores []string) ([]CallerSpec, error) {
	var p problems
	m, ok := raw.(map[string]any)
	if !ok {
		p.bad("callers", "must be a map of caller names to {uids, gids, accounts, tokens, service_accounts, stores}")
		return nil, p.err()
	}
	declared := append([]string(nil), stores...)
	sort.Strings(declared)
	var out []CallerSpec
	for _, name := range slices.Sorted(maps.Keys(m)) {
		if sp, ok := p.caller(name, m[name], declared); ok {
			out = append(out, sp)
		}
	}
	return out, p.err()
}

// caller reads one entry of the callers section; ok is false when it is
// not a map.
func (p *problems) caller(name string, v any, stores []string) (sp CallerSpec, ok bool) {
	key := "callers." + name
	cm, ok := v.(map[string]any)
	if !ok {
		p.bad(key, "must be a map with uids, gids or tokens, and stores")
		return sp, false
	}
	sp = CallerSpec{Name: name, Stores: map[string]*Spec{}}
	for _, k := range slices.Sorted(maps.Keys(cm)) {
		at, v := key+"."+k, cm[k]
		switch k {
		case "uids":
			sp.UIDs = p.ids(at, v)
		case "gids":
			sp.GIDs = p.ids(at, v)
		case "accounts":
			sp.Accounts = p.strings(at, v, `must be a list of Windows accounts: SIDs (S-1-5-…) or names (DOMAIN\NAME)`, `must be a SID (S-1-5-…) or an account name (DOMAIN\NAME)`)
		case "tokens":
			sp.Tokens = p.strings(at, v, "must be a list of token names", "must be a token name")
		case "service_accounts":
			sp.ServiceAccounts = p.strings(at, v, `must be a list of Kubernetes service accounts, e.g. ["etl/loader", "reports/*"]`, "must be NAMESPACE/NAME or NAMESPACE/*")
		case "stores":
			p.callerStores(at, v, stores, sp.Stores)
		default:
			p.bad(at, "%s", units.UnknownKey(k, callerKeys))
		}
	}
	return sp, true
}

// callerStores reads an entry's stores into out: each a declared store,
// with its rule ({} for the store's own rule alone: nil).
func (p *problems) callerStores(key string, v any, stores []string, out map[string]*Spec) {
	sm, ok := v.(map[string]any)
	if !ok {
		p.bad(key, "must be a map of store names to rules ({} for the store's own rule)")
		return
	}
	for _, st := range slices.Sorted(maps.Keys(sm)) {
		sk := key + "." + st
		if i := sort.SearchStrings(stores, st); i == len(stores) || stores[i] != st {
			p.bad(sk, "no store %q is declared (declared: %v)", st, stores)
			continue
		}
		if r, ok := sm[st].(map[string]any); ok && len(r) == 0 {
			out[st] = nil
			continue
		}
		out[st] = p.rule(sk, sm[st])
	}
}

// strings reads a list of non-empty strings.
func (p *problems) strings(key string, v any, notList, notItem string) []string {
	list, ok := v.([]any)
	if !ok {
		p.bad(key, "%s", notList)
		return nil
	}
	var out []string
	for i, x := range list {
		s, ok := x.(string)
		if !ok || s == "" {
			p.bad(fmt.Sprintf("%s[%d]", key, i), "%s", notItem)
			continue
		}
		out = append(out, s)
	}
	return out
}

// ids reads a list of numeric uids or gids.
func (p *problems) ids(key string, v any) []int {
	list, ok := v.([]any)
	if !ok {
		p.bad(key, "must be a list of numeric ids, e.g. [1001]")
		return nil
	}
	var out []int
	for i, x := range list {
		n, ok := units.Int(x)
		if !ok || n < 0 {
			p.bad(fmt.Sprintf("%s[%d]", key, i), "must be a numeric id (0 or more)")
			continue
		}
		out = append(out, n)
	}
	return out
}
