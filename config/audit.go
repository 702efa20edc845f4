package config

import (
	"fmt"
	"sort"

	"github.com/latchkey/latchkey/audit"
	"github.com/latchkey/latchkey/policy"
)

// AuditStderr is the audit file value that writes records to stderr.
const AuditStderr = audit.Stderr

// AuditConfig is the audit section, which package audit owns and decodes
// ([audit.Settings]).
type AuditConfig = audit.Settings

// parseCallers reads the callers section:
//
//	callers:
//	  etl:
//	    uids: [1001]
//	    gids: [2000]
//	    tokens: [ci]            # names of serve tokens
//	    accounts: ['CORP\etl', S-1-5-32-545]  # Windows users/groups
//	    stores:
//	      prod: {allow: ["etl/*"]}
//	      app: {}               # whatever the store's own rule allows
func parseCallers(v any, stores map[string]any, bad func(key, format string, args ...any)) []policy.CallerSpec {
	m, ok := v.(map[string]any)
	if !ok {
		bad("callers", "must be a map of caller names to {uids, gids, accounts, tokens, service_accounts, stores}")
		return nil
	}
	var out []policy.CallerSpec
	for _, name := range sortedKeys(m) {
		key := "callers." + name
		cm, ok := m[name].(map[string]any)
		if !ok {
			bad(key, "must be a map with uids, gids or tokens, and stores")
			continue
		}
		sp := policy.CallerSpec{Name: name, Stores: map[string]*policy.Spec{}}
		for _, k := range sortedKeys(cm) {
			switch k {
			case "uids":
				sp.UIDs = parseIDs(key+".uids", cm[k], bad)
			case "gids":
				sp.GIDs = parseIDs(key+".gids", cm[k], bad)
			case "accounts":
				list, ok := cm[k].([]any)
				if !ok {
					bad(key+".accounts", "must be a list of Windows accounts: SIDs (S-1-5-…) or names (DOMAIN\\NAME)")
					continue
				}
				for i, a := range list {
					s, ok := a.(string)
					if !ok || s == "" {
						bad(fmt.Sprintf("%s.accounts[%d]", key, i), "must be a SID (S-1-5-…) or an account name (DOMAIN\\NAME)")
						continue
					}
					sp.Accounts = append(sp.Accounts, s)
				}
			case "tokens":
				list, ok := cm[k].([]any)
				if !ok {
					bad(key+".tokens", "must be a list of token names")
					continue
				}
				for i, t := range list {
					s, ok := t.(string)
					if !ok || s == "" {
						bad(fmt.Sprintf("%s.tokens[%d]", key, i), "must be a token name")
						continue
					}
					sp.Tokens = append(sp.Tokens, s)
				}
			case "service_accounts":
				list, ok := cm[k].([]any)
				if !ok {
					bad(key+".service_accounts", `must be a list of Kubernetes service accounts, e.g. ["etl/loader", "reports/*"]`)
					continue
				}
				for i, t := range list {
					s, ok := t.(string)
					if !ok || s == "" {
						bad(fmt.Sprintf("%s.service_accounts[%d]", key, i), "must be NAMESPACE/NAME or NAMESPACE/*")
						continue
					}
					sp.ServiceAccounts = append(sp.ServiceAccounts, s)
				}
			case "stores":
				sm, ok := cm[k].(map[string]any)
				if !ok {
					bad(key+".stores", "must be a map of store names to rules ({} for the store's own rule)")
					continue
				}
				for _, st := range sortedKeys(sm) {
					sk := key + ".stores." + st
					if _, declared := stores[st]; !declared {
						names := sortedKeys(stores)
						sort.Strings(names)
						bad(sk, "no store %q is declared (declared: %v)", st, names)
						continue
					}
					if r, ok := sm[st].(map[string]any); ok && len(r) == 0 {
						sp.Stores[st] = nil
						continue
					}
					sp.Stores[st] = parseRule(sk, sm[st], bad)
				}
			default:
				bad(key+"."+k, "unknown key (known: accounts, gids, service_accounts, stores, tokens, uids)")
			}
		}
		out = append(out, sp)
	}
	return out
}

func parseIDs(key string, v any, bad func(key, format string, args ...any)) []int {
	list, ok := v.([]any)
	if !ok {
		bad(key, "must be a list of numeric ids, e.g. [1001]")
		return nil
	}
	var out []int
	for i, x := range list {
		n, ok := toInt(x)
		if !ok || n < 0 {
			bad(fmt.Sprintf("%s[%d]", key, i), "must be a numeric id (0 or more)")
			continue
		}
		out = append(out, n)
	}
	return out
}
