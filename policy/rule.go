package policy

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/latchkey/latchkey/secret"
)

// Entry is one pattern of a [Spec] as written: a secret name pattern and,
// optionally, the versions it covers (none: every version).
type Entry struct {
	Name     string
	Versions []string
}

// String writes the entry as a config would show it: the name, and the
// versions in brackets when it has some.
func (e Entry) String() string {
	if len(e.Versions) == 0 {
		return strconv.Quote(e.Name)
	}
	return fmt.Sprintf("%q (versions %s)", e.Name, strings.Join(e.Versions, ", "))
}

// Spec is a secrets rule as written in the agent config.
type Spec struct {
	// Origin names where the rule was written, for errors:
	// "stores.aws.secrets", "callers.etl.stores.aws".
	Origin string
	Allow  []Entry
	Deny   []Entry
}

// pattern is a compiled pattern: the store's reading of an entry, and the
// entry as written, for messages.
type pattern struct {
	secret.Pattern
	written Entry
}

// Rule is a compiled secrets rule for one store. It is immutable and safe
// for concurrent use.
type Rule struct {
	origin  string
	store   string
	subject func(secret.Request) (secret.Subject, error)
	allow   []pattern
	deny    []pattern
}

// exactSubject reads a request for a store whose [secret.Naming] has no
// Subject: its name as written, in the store's own scope, except that dot
// segments are refused.
func exactSubject(req secret.Request) (secret.Subject, error) {
	// Such a store may use names as paths (a Wasm module building a URL):
	// "app/../admin" matches "app/*" but could reach "admin".
	for _, seg := range strings.Split(req.Name, "/") {
		if seg == "." || seg == ".." {
			return secret.Subject{}, errors.New(`the name has a "." or ".." segment, which a store that treats names as paths could resolve outside the rule's patterns`)
		}
	}
	v := req.Version
	if v == "" {
		v = secret.Current
	}
	return secret.Subject{Name: req.Name, Own: true, Version: v}, nil
}

// Compile checks spec against the store named store, whose
// [secret.Naming] reads the patterns and, later, the requests (nil, or a
// nil function in it: names as written, see [secret.Naming]), and returns
// the rule. Every problem is reported, joined, as a [*secret.ConfigError]
// naming the rule's origin.
func Compile(spec Spec, store string, n *secret.Naming) (*Rule, error) {
	var naming secret.Naming
	if n != nil {
		naming = *n
	}
	r := &Rule{origin: spec.Origin, store: store, subject: naming.Subject}
	if r.subject == nil {
		r.subject = exactSubject
	}
	c := &ruleCompiler{store: store, origin: spec.Origin, readPattern: naming.Pattern}
	if c.readPattern == nil {
		c.readPattern = func(p secret.Pattern) (secret.Pattern, error) { return p, nil }
	}
	if len(spec.Allow) == 0 && len(spec.Deny) == 0 {
		c.bad(spec.Origin, "has neither allow nor deny patterns: list what workflows may read, e.g. allow: [\"app/*\"]")
	}
	r.allow = c.patterns("allow", spec.Allow)
	r.deny = c.patterns("deny", spec.Deny)
	c.checkCovered("allow", r.allow, false)
	c.checkCovered("deny", r.deny, true)
	c.checkUnreachable(r.allow, r.deny)
	if err := errors.Join(c.errs...); err != nil {
		return nil, err
	}
	return r, nil
}

// ruleCompiler is one run of Compile: the rule's store and origin, how the
// store reads a pattern, and the problems found so far, in order.
type ruleCompiler struct {
	store, origin string
	readPattern   func(secret.Pattern) (secret.Pattern, error)
	errs          []error
}

// bad records a problem with the setting key.
func (c *ruleCompiler) bad(key, format string, args ...any) {
	c.errs = append(c.errs, &secret.ConfigError{Store: c.store, Key: key, Msg: fmt.Sprintf(format, args...)})
}

// patterns checks the globs of the entries of one list ("allow" or
// "deny") and reads each through the store's naming, leaving out every
// entry with a problem.
func (c *ruleCompiler) patterns(list string, entries []Entry) []pattern {
	var out []pattern
	for i, e := range entries {
		key := fmt.Sprintf("%s.%s[%d]", c.origin, list, i)
		if err := checkGlob(e.Name); err != nil {
			c.bad(key, "pattern %q %v", e.Name, err)
			continue
		}
		vok := true
		for _, v := range e.Versions {
			if err := checkGlob(v); err != nil {
				c.bad(key+".versions", "version pattern %q %v", v, err)
				vok = false
			}
		}
		if !vok {
			continue
		}
		p, err := c.readPattern(secret.Pattern{Name: e.Name, Versions: append([]string(nil), e.Versions...)})
		if err != nil {
			c.bad(key, "pattern %q: %v", e.Name, err)
			continue
		}
		out = append(out, pattern{Pattern: p, written: e})
	}
	return out
}

// checkCovered records each pattern of a list that another pattern of the
// same list already covers; of two equal patterns, only the later one.
func (c *ruleCompiler) checkCovered(list string, ps []pattern, deny bool) {
	for i, p := range ps {
		for j, q := range ps {
			if i == j || !patternCovers(q, p, deny) {
				continue
			}
			// Of two equal patterns report only the later one.
			if patternCovers(p, q, deny) && j > i {
				continue
			}
			c.bad(c.origin+"."+list, "%s %s is already covered by %s %s: remove one", list, p.written, list, q.written)
			break
		}
	}
}

// checkUnreachable records each allow pattern that a deny pattern covers,
// since deny wins and the allow could never match.
func (c *ruleCompiler) checkUnreachable(allow, deny []pattern) {
	for _, a := range allow {
		for _, d := range deny {
			if patternCovers(d, a, true) {
				c.bad(c.origin, "allow %s can never match: deny %s refuses everything it names (deny wins); remove the allow or narrow the deny", a.written, d.written)
				break
			}
		}
	}
}

// patternCovers reports whether every request b matches, a matches too.
// Deny patterns ignore scope.
func patternCovers(a, b pattern, deny bool) bool {
	if !deny && a.Scope != b.Scope && (a.Scope == "" || b.Scope == "" || !covers(a.Scope, b.Scope)) {
		return false
	}
	if !covers(a.Name, b.Name) {
		return false
	}
	if len(a.Versions) == 0 {
		return true
	}
	if len(b.Versions) == 0 {
		return false
	}
	for _, bv := range b.Versions {
		ok := false
		for _, av := range a.Versions {
			if covers(av, bv) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func (p pattern) versionMatches(v string) bool {
	if len(p.Versions) == 0 {
		return true
	}
	for _, pv := range p.Versions {
		if match(pv, v) {
			return true
		}
	}
	return false
}

// Refusal is the error of a request a rule refuses. It wraps
// [secret.ErrNotAllowed] and holds names only.
type Refusal struct {
	// Field is the workflow field whose reference was refused, when the
	// resolver knows it (it is not part of the message: the resolver's
	// own wrapping names the field).
	Field  string
	Origin string // the rule: "stores.aws.secrets"
	Store  string
	Secret string // the name as the reference wrote it
	// Version is the version as the reference wrote it ("" for none).
	Version string
	// Deny is the deny entry that refused it; nil when no allow entry
	// matched.
	Deny *Entry
	// Allow lists the allow entries, when none matched.
	Allow []Entry
	// Why adds what the store said about the name, when it could not be
	// read at all.
	Why string
}

// Error implements error.
func (e *Refusal) Error() string {
	what := fmt.Sprintf("secret %q", e.Secret)
	if e.Version != "" {
		what += fmt.Sprintf(" version %q", e.Version)
	}
	switch {
	case e.Why != "":
		return fmt.Sprintf("store %q: %s is refused by rule %s: %s: %v", e.Store, what, e.Origin, e.Why, secret.ErrNotAllowed)
	case e.Deny != nil:
		return fmt.Sprintf("store %q: %s is refused by rule %s: deny %s matches it: %v", e.Store, what, e.Origin, e.Deny, secret.ErrNotAllowed)
	}
	allow := make([]string, len(e.Allow))
	for i, a := range e.Allow {
		allow[i] = a.String()
	}
	return fmt.Sprintf("store %q: %s is refused by rule %s: no allow pattern matches it (allow: %s); add one if workflows may read it: %v",
		e.Store, what, e.Origin, strings.Join(allow, ", "), secret.ErrNotAllowed)
}

// Unwrap returns [secret.ErrNotAllowed].
func (e *Refusal) Unwrap() error { return secret.ErrNotAllowed }

// Check returns nil when the rule lets req through, else a [*Refusal].
func (r *Rule) Check(req secret.Request) error {
	refusal := func() *Refusal {
		return &Refusal{Origin: r.origin, Store: r.store, Secret: req.Name, Version: req.Version}
	}
	sub, err := r.subject(req)
	if err != nil {
		// A name the store cannot read is refused here rather than left to
		// the store: the rule cannot vouch for it.
		refuse := refusal()
		refuse.Why = err.Error()
		return refuse
	}
	for i := range r.deny {
		d := &r.deny[i]
		if !d.versionMatches(sub.Version) {
			continue
		}
		hit := match(d.Name, sub.Name)
		for _, a := range sub.Aliases {
			hit = hit || match(d.Name, a)
		}
		if hit {
			refuse := refusal()
			refuse.Deny = &d.written
			return refuse
		}
	}
	if len(r.allow) == 0 {
		return nil
	}
	for _, a := range r.allow {
		scopeOK := sub.Own
		if a.Scope != "" {
			scopeOK = match(a.Scope, sub.Scope)
		}
		if scopeOK && match(a.Name, sub.Name) && a.versionMatches(sub.Version) {
			return nil
		}
	}
	refuse := refusal()
	for _, a := range r.allow {
		refuse.Allow = append(refuse.Allow, a.written)
	}
	return refuse
}

// Origin names where the rule was written.
func (r *Rule) Origin() string { return r.origin }

// String describes the rule without any value, as `latchkey check
// --offline` shows it: `allow "app/*", "shared/db" (versions current); deny "app/admin*"`.
func (r *Rule) String() string {
	var parts []string
	for _, l := range []struct {
		name string
		ps   []pattern
	}{{"allow", r.allow}, {"deny", r.deny}} {
		if len(l.ps) == 0 {
			continue
		}
		s := make([]string, len(l.ps))
		for i, p := range l.ps {
			s[i] = p.written.String()
		}
		parts = append(parts, l.name+" "+strings.Join(s, ", "))
	}
	return strings.Join(parts, "; ")
}

// HasAllow reports whether the rule lists allow patterns.
func (r *Rule) HasAllow() bool { return len(r.allow) > 0 }
