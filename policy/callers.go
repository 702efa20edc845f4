package policy

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/latchkey/latchkey/secret"
)

// CallerSpec is one entry of the agent config's callers section: who the
// entry matches (unix peers by uid or gid, Windows pipe clients by user or
// group account, clients by token name) and which stores, and which
// secrets of each, they may use.
type CallerSpec struct {
	// Name names the entry in errors and in the audit log ("callers.NAME").
	Name   string
	UIDs   []int
	GIDs   []int
	Tokens []string
	// Accounts are Windows users or groups, each a SID ("S-1-5-21-…") or
	// an account name ("CORP\\etl", "etl@corp.example"). A name is
	// matched only once the Windows agent has looked it up and replaced
	// it by its SID ([ParseSID]); elsewhere it is checked for form only.
	Accounts []string
	// ServiceAccounts lists the Kubernetes service accounts of pods the
	// entry matches, as "NAMESPACE/NAME", or "NAMESPACE/*" for every
	// service account of a namespace (package csi).
	ServiceAccounts []string
	// Stores maps each store the caller may use to a rule over its secrets
	// that applies on top of the store's own; a nil rule adds nothing.
	Stores map[string]*Spec
}

// CallerRule is a compiled caller entry. It is immutable and safe for
// concurrent use.
type CallerRule struct {
	name   string
	stores map[string]*Rule // nil value: the store's own rule only
}

// Name returns the entry's name.
func (c *CallerRule) Name() string { return c.name }

// Stores returns the names of the stores the caller may use, sorted.
func (c *CallerRule) Stores() []string {
	out := make([]string, 0, len(c.stores))
	for s := range c.stores {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// Rule returns the caller's rule for store: ok is false when the caller
// may not use the store at all, and rule is nil when the caller may use
// whatever the store's own rule allows.
func (c *CallerRule) Rule(store string) (rule *Rule, ok bool) {
	rule, ok = c.stores[store]
	return rule, ok
}

// Callers is the compiled callers section.
type Callers struct {
	rules  map[string]*CallerRule
	uids   map[int]string
	gids   map[int]string
	tokens map[string]string
	sids   map[string]string // canonical SID → entry
	names  map[string]string // account name not yet looked up → entry
	sas    map[string]string // "ns/name" or "ns/*"
}

// CallerRefusal is the error of a caller no entry names. It wraps
// [secret.ErrNotAllowed] and names the caller (never a token's value).
type CallerRefusal struct {
	Caller secret.Caller
	// Entries are set when the caller's groups are named by more than one
	// entry, so that which applies would be a guess.
	Entries []string
}

// Error implements error.
func (e *CallerRefusal) Error() string {
	if len(e.Entries) > 1 {
		return fmt.Sprintf("%s is in groups named by several entries of the agent's callers section (callers.%s), so which applies is ambiguous; name its user account in one of them: %v",
			e.Caller, strings.Join(e.Entries, ", callers."), secret.ErrNotAllowed)
	}
	return fmt.Sprintf("%s is not named by any entry of the agent's callers section, so it may not use the agent; add it there: %v",
		e.Caller, secret.ErrNotAllowed)
}

// Unwrap returns [secret.ErrNotAllowed].
func (e *CallerRefusal) Unwrap() error { return secret.ErrNotAllowed }

// CompileCallers checks specs against the declared stores (name → the
// store's [secret.Naming], nil for names as written) and returns the
// callers section.
// Every problem is reported, joined: a store no store declares, a uid, gid
// or token two entries claim, an entry that matches no one or may use no
// store, and every bad pattern.
func CompileCallers(specs []CallerSpec, stores map[string]*secret.Naming) (*Callers, error) {
	c := &Callers{rules: map[string]*CallerRule{}, uids: map[int]string{}, gids: map[int]string{}, tokens: map[string]string{},
		sids: map[string]string{}, names: map[string]string{}, sas: map[string]string{}}
	var p callerProblems
	declared := slices.Sorted(maps.Keys(stores))
	for _, sp := range specs {
		key := "callers." + sp.Name
		if _, dup := c.rules[sp.Name]; dup {
			p.bad("%s: defined twice", key)
			continue
		}
		if len(sp.UIDs)+len(sp.GIDs)+len(sp.Tokens)+len(sp.Accounts)+len(sp.ServiceAccounts) == 0 {
			p.bad("%s: matches no caller: give uids, gids, accounts, tokens or service_accounts", key)
		}
		if len(sp.Stores) == 0 {
			p.bad("%s.stores: names no store, so the caller could use nothing: list the stores it may use", key)
		}
		c.claimIDs(&p, key, sp)
		c.claimAccounts(&p, key, sp)
		c.rules[sp.Name] = compileCallerStores(&p, key, sp, stores, declared)
	}
	if err := errors.Join(p...); err != nil {
		return nil, err
	}
	return c, nil
}

// callerProblems gathers CompileCallers' errors in the order it finds them.
type callerProblems []error

// bad records a problem, marked as [secret.ErrInvalidConfig].
func (p *callerProblems) bad(format string, args ...any) {
	*p = append(*p, fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), secret.ErrInvalidConfig))
}

// taken records that id, listed in the entry's field, is already matched
// by the entry prev.
func (p *callerProblems) taken(key, field, id, prev string) {
	p.bad("%s.%s: %s is already matched by callers.%s: a caller must be matched by one entry only", key, field, id, prev)
}

// claimIDs checks the entry's uids, gids and token names and claims each
// for it, recording one that is malformed or that another entry claimed.
func (c *Callers) claimIDs(p *callerProblems, key string, sp CallerSpec) {
	for _, u := range sp.UIDs {
		if u < 0 {
			p.bad("%s.uids: %d is not a uid", key, u)
		} else if prev, dup := claim(c.uids, u, sp.Name); dup {
			p.taken(key, "uids", fmt.Sprintf("uid %d", u), prev)
		}
	}
	for _, g := range sp.GIDs {
		if g < 0 {
			p.bad("%s.gids: %d is not a gid", key, g)
		} else if prev, dup := claim(c.gids, g, sp.Name); dup {
			p.taken(key, "gids", fmt.Sprintf("gid %d", g), prev)
		}
	}
	for _, t := range sp.Tokens {
		if t == "" {
			p.bad("%s.tokens: empty token name", key)
		} else if prev, dup := claim(c.tokens, t, sp.Name); dup {
			p.taken(key, "tokens", fmt.Sprintf("token %q", t), prev)
		}
	}
}

// claimAccounts checks the entry's Windows accounts (SIDs, or names not
// yet looked up, compared without case) and Kubernetes service accounts
// and claims each for it, recording one that is malformed or that another
// entry claimed.
func (c *Callers) claimAccounts(p *callerProblems, key string, sp CallerSpec) {
	for _, a := range sp.Accounts {
		if sid, ok := ParseSID(a); ok {
			if prev, dup := claim(c.sids, sid, sp.Name); dup {
				p.taken(key, "accounts", "account "+sid, prev)
			}
		} else if ValidAccountName(a) {
			if prev, dup := claim(c.names, strings.ToLower(a), sp.Name); dup {
				p.taken(key, "accounts", fmt.Sprintf("account %q", a), prev)
			}
		} else {
			p.bad("%s.accounts: %q is neither a SID (S-1-5-…) nor an account name (NAME, DOMAIN\\NAME or NAME@DOMAIN)", key, a)
		}
	}
	for _, sa := range sp.ServiceAccounts {
		ns, name, ok := strings.Cut(sa, "/")
		if !ok || !validK8sName(ns) || (name != "*" && !validK8sName(name)) {
			p.bad("%s.service_accounts: %q is not NAMESPACE/NAME or NAMESPACE/* (Kubernetes names: lower-case letters, digits, '-' and '.')", key, sa)
		} else if prev, dup := claim(c.sas, sa, sp.Name); dup {
			p.taken(key, "service_accounts", fmt.Sprintf("service account %q", sa), prev)
		}
	}
}

// compileCallerStores compiles the entry's rule for each store it names
// (nil: the store's own rule only), in store order, recording a store that
// is not declared (declared lists those that are, sorted) and every error
// of a rule. A rule without an origin gets callers.NAME.stores.STORE.
func compileCallerStores(p *callerProblems, key string, sp CallerSpec, stores map[string]*secret.Naming, declared []string) *CallerRule {
	rule := &CallerRule{name: sp.Name, stores: map[string]*Rule{}}
	for _, st := range sortedStores(sp.Stores) {
		n, ok := stores[st]
		if !ok {
			p.bad("%s.stores.%s: no store %q is declared (declared: %s)", key, st, st, strings.Join(declared, ", "))
			continue
		}
		spec := sp.Stores[st]
		if spec == nil {
			rule.stores[st] = nil
			continue
		}
		if spec.Origin == "" {
			spec.Origin = key + ".stores." + st
		}
		r, err := Compile(*spec, st, n)
		if err != nil {
			*p = append(*p, err)
			continue
		}
		rule.stores[st] = r
	}
	return rule
}

// sortedStores returns the names of the stores m has rules for, sorted.
func sortedStores(m map[string]*Spec) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// claim records owner as the entry that matches id, or returns the entry that
// already does.
func claim[K comparable](m map[K]string, id K, owner string) (prev string, dup bool) {
	if prev, dup = m[id]; !dup {
		m[id] = owner
	}
	return prev, dup
}

// Match returns the entry that names caller: a unix peer by its uid, else
// by its gid; a pipe client by its user SID, else by the one entry that
// names any of its group SIDs (several such entries are a refusal: which
// applies would depend on group order); a token client by its token's
// name. Any other caller, and one no entry names, is refused with a
// [*CallerRefusal].
func (c *Callers) Match(caller secret.Caller) (*CallerRule, error) {
	name := ""
	switch caller.Kind {
	case secret.CallerPipe:
		if len(caller.SIDs) == 0 {
			break
		}
		if n, ok := c.sids[caller.SIDs[0]]; ok {
			name = n
			break
		}
		var found []string
		for _, g := range caller.SIDs[1:] {
			if n, ok := c.sids[g]; ok && !slices.Contains(found, n) {
				found = append(found, n)
			}
		}
		if len(found) > 1 {
			sort.Strings(found)
			return nil, &CallerRefusal{Caller: caller, Entries: found}
		}
		if len(found) == 1 {
			name = found[0]
		}
	case secret.CallerUnix:
		if n, ok := c.uids[caller.UID]; ok && caller.UID >= 0 {
			name = n
		} else if n, ok := c.gids[caller.GID]; ok && caller.GID >= 0 {
			name = n
		}
	case secret.CallerToken:
		name = c.tokens[caller.Token]
	case secret.CallerPod:
		// The exact service account first, then its namespace's wildcard.
		if n, ok := c.sas[caller.Namespace+"/"+caller.ServiceAccount]; ok && caller.ServiceAccount != "" {
			name = n
		} else if n, ok := c.sas[caller.Namespace+"/*"]; ok && caller.Namespace != "" {
			name = n
		}
	}
	if name == "" {
		return nil, &CallerRefusal{Caller: caller}
	}
	return c.rules[name], nil
}

// AccountSIDs returns the SIDs the entries' accounts name, sorted: the
// users and groups the Windows agent's pipe admits.
func (c *Callers) AccountSIDs() []string {
	out := make([]string, 0, len(c.sids))
	for s := range c.sids {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// Names returns the entries' names, sorted.
func (c *Callers) Names() []string {
	out := make([]string, 0, len(c.rules))
	for n := range c.rules {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Rule returns the entry named name.
func (c *Callers) Rule(name string) (*CallerRule, bool) {
	r, ok := c.rules[name]
	return r, ok
}

// validK8sName reports whether s is a Kubernetes namespace or service
// account name (a DNS subdomain: lower-case letters, digits, '-' and '.',
// starting and ending with a letter or digit, at most 253 characters).
func validK8sName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
		if !alnum && (c != '-' && c != '.' || i == 0 || i == len(s)-1) {
			return false
		}
	}
	return true
}
