// Package env is the store of type "env": it reads the agent's environment
// variables, limited by the store's secrets rule so that a workflow author
// cannot read the agent's own credentials (AWS_SECRET_ACCESS_KEY…).
//
// Settings (in the agent config, see docs/policy.md):
//
//	secrets: {allow: ["APP_*", "DB_PASSWORD"]}   # required
//	allow: ["APP_*"]                             # the same, older spelling
//
// The rule is enforced by the resolver while planning (package policy), so a
// store built by its factory without an allow list relies on it: such a
// store's Description says RequiresAllow, and the resolver refuses to
// build it without a rule that has allow patterns. [New] called directly
// still takes an allow list of its own.
//
// A variable that is not set is [secret.ErrNotFound]; one set to the empty
// string is the empty value. Versions are not supported.
package env

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"strings"

	"github.com/latchkey/latchkey/secret"
)

func init() {
	secret.Register(secret.Type{Name: "env", New: factory,
		Protection:   secret.Protection{Off: true}, // no backend: the agent's own environment
		SecretsAlias: "allow",                      // the older spelling of secrets.allow
	})
}

// Options configures a [Store]; the "env" store type decodes its settings
// straight into the fields with json tags.
type Options struct {
	// Allow lists the variable name patterns (path.Match syntax, case
	// sensitive) the store may read. Empty allows nothing.
	Allow []string `json:"allow"`
	// LookupEnv reads a variable; nil means os.LookupEnv.
	LookupEnv func(string) (string, bool) `json:"-"`
}

// Store reads allowed environment variables. It is safe for concurrent use.
type Store struct {
	name   string
	allow  []string // nil: governed by the resolver's secrets rule only
	lookup func(string) (string, bool)
	read   readSet // variables served, for usedEnv
}

func factory(_ context.Context, spec secret.Spec) (secret.Store, error) {
	var o Options // the settings are Options' fields with json tags
	if err := spec.Decode(&o); err != nil {
		return nil, err
	}
	if o.Allow == nil {
		// The resolver's rule governs the store (RequiresAllow).
		return &Store{name: spec.Name, lookup: os.LookupEnv}, nil
	}
	return New(spec.Name, o)
}

// New returns a Store named name (the name appears in errors).
func New(name string, opts Options) (*Store, error) {
	var errs []error
	if len(opts.Allow) == 0 {
		errs = append(errs, &secret.ConfigError{Store: name, Key: "allow",
			Msg: `is empty, so no variable can be read: list the names or patterns workflows may use, e.g. allow: ["APP_*"]`})
	}
	for _, p := range opts.Allow {
		if _, err := path.Match(p, ""); err != nil || p == "" {
			errs = append(errs, &secret.ConfigError{Store: name, Key: "allow", Msg: fmt.Sprintf("bad pattern %q", p)})
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	lookup := opts.LookupEnv
	if lookup == nil {
		lookup = os.LookupEnv
	}
	return &Store{name: name, allow: append([]string(nil), opts.Allow...), lookup: lookup}, nil
}

// Get returns the variable req.Name.
func (s *Store) Get(ctx context.Context, req secret.Request) (secret.Result, error) {
	if err := ctx.Err(); err != nil {
		return secret.Result{}, fmt.Errorf("env store %q: %w", s.name, err)
	}
	if req.Version != "" {
		return secret.Result{}, fmt.Errorf("env store %q: variable %q: environment variables have no versions (drop version=): %w",
			s.name, req.Name, secret.ErrInvalidConfig)
	}
	if req.Name == "" || strings.ContainsAny(req.Name, "=\x00") {
		return secret.Result{}, fmt.Errorf("env store %q: %q is not a valid variable name: %w", s.name, req.Name, secret.ErrInvalidConfig)
	}
	if s.allow != nil && !s.allowed(req.Name) {
		return secret.Result{}, fmt.Errorf("env store %q: variable %q is not in the store's allow list (%s); add it to \"allow\" if workflows may read it: %w",
			s.name, req.Name, strings.Join(s.allow, ", "), secret.ErrNotAllowed)
	}
	v, ok := s.lookup(req.Name)
	if ok {
		s.read.add(req.Name)
	}
	if !ok {
		return secret.Result{}, fmt.Errorf("env store %q: variable %q is not set in the agent's environment: %w", s.name, req.Name, secret.ErrNotFound)
	}
	return secret.Result{Value: secret.StringValue(v)}, nil
}

func (s *Store) allowed(name string) bool {
	for _, p := range s.allow {
		if ok, _ := path.Match(p, name); ok {
			return true
		}
	}
	return false
}

// Describe reports the allow list. The store must be given a secrets rule
// with allow patterns (RequiresAllow) when it was built without an allow
// list of its own, since the agent's own credentials live in its
// environment. Its Key, Check and UsedEnv are those of key.go, check.go
// and usedenv.go.
func (s *Store) Describe() secret.Description {
	d := secret.Description{
		Summary:       "agent environment, variables matching " + strings.Join(s.allow, ", "),
		UsedEnv:       s.read.names,
		Key:           s.secretKey,
		Check:         s.checkRequest,
		Naming:        secret.Naming{Subject: policySubject, Pattern: policyPattern},
		RequiresAllow: s.allow == nil,
	}
	if s.allow == nil {
		d.Summary = "agent environment, variables the store's secrets rule allows"
	}
	return d
}

// Close does nothing.
func (s *Store) Close() error { return nil }

// policySubject reads a request for a secrets rule ([secret.Naming]): a
// variable's name, exactly, and no version (variables have none).
func policySubject(req secret.Request) (secret.Subject, error) {
	if req.Version != "" {
		return secret.Subject{}, errors.New("environment variables have no versions (drop version=)")
	}
	return secret.Subject{Name: req.Name, Own: true, Version: secret.Current}, nil
}

// policyPattern reads a secrets rule's pattern ([secret.Naming]): a
// variable name pattern, matched exactly, case included.
func policyPattern(e secret.Pattern) (secret.Pattern, error) {
	if len(e.Versions) > 0 {
		return secret.Pattern{}, errors.New("environment variables have no versions: drop versions")
	}
	if strings.ContainsAny(e.Name, "=\x00") {
		return secret.Pattern{}, errors.New("a variable name holds no '=' or NUL")
	}
	return secret.Pattern{Name: e.Name}, nil
}
