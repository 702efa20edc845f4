package resolver

import (
	"errors"
	"fmt"

	"github.com/latchkey/latchkey/policy"
	"github.com/latchkey/latchkey/secret"
)

// Workflow is the connector configuration of one workflow run: named fields,
// each a literal or a reference to a secret. Package workflow decodes it
// from YAML, JSON or TOML.
type Workflow struct {
	Name   string
	Fields []Field
}

// Field is one connector field of a [Workflow].
type Field struct {
	Name   string
	Source secret.Source
	// Env overrides the environment variable name `latchkey exec` gives the
	// field (empty: derived from Name).
	Env string
	// Where locates the field in its file ("workflow.yaml:12") for errors.
	Where string
}

// Plan is what a resolution will do, computed without I/O.
type Plan struct {
	Steps []Step
}

// Step is the plan for one field.
type Step struct {
	Field   string
	Env     string
	Literal string      // for a literal field
	Ref     *secret.Ref // nil for a literal field
	// Store and StoreType are the store the reference resolves to.
	Store     string
	StoreType string
	// Request is what the store is asked for (the store's secret document
	// when the reference names none).
	Request secret.Request
	// id is the secret's identity in its store; steps with equal stores
	// and ids share one fetch.
	id string
}

func (s Step) key() fetchKey { return fetchKey{store: s.Store, id: s.id} }

// Plan validates wf against the configured stores and returns the fetches a
// resolution would make. Every problem (an empty or duplicate field name, an
// undeclared store, a reference with no secret, a secret the store's rule
// refuses, a request the store reports it can never serve through
// [secret.Description.Check]) is reported, joined.
func (r *Resolver) Plan(wf Workflow) (*Plan, error) {
	p := &Plan{}
	var errs []error
	seen := map[string]string{}
	for i, f := range wf.Fields {
		where := f.Where
		if where == "" {
			where = fmt.Sprintf("field #%d", i+1)
		}
		if f.Name == "" {
			errs = append(errs, fmt.Errorf("%s: empty field name", where))
			continue
		}
		if prev, dup := seen[f.Name]; dup {
			errs = append(errs, fmt.Errorf("%s: field %q is defined twice (first at %s)", where, f.Name, prev))
			continue
		}
		seen[f.Name] = where
		step := Step{Field: f.Name, Env: f.Env}
		if f.Source.Ref == nil {
			step.Literal = f.Source.Literal
			p.Steps = append(p.Steps, step)
			continue
		}
		if err := r.planRef(&step, where, f.Source.Ref); err != nil {
			errs = append(errs, err)
			continue
		}
		p.Steps = append(p.Steps, step)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("workflow %q: %w", wf.Name, err)
	}
	return p, nil
}

// planRef fills in the step of the field step.Field (at where) that reads
// ref: the store it resolves to, the request, and the secret's identity.
// It returns the field's problem: no store, a store not declared or
// withheld from the caller, no secret, a refusal of the rules, or a
// request the store can never serve.
func (r *Resolver) planRef(step *Step, where string, ref *secret.Ref) error {
	step.Ref = ref
	step.Store = ref.Store
	if step.Store == "" {
		step.Store = r.defaultStore
	}
	if step.Store == "" {
		return fmt.Errorf("%s: field %q names no store and no default_store is configured (declared: %s)",
			where, step.Field, list(r.StoreNames()))
	}
	b, ok := r.stores[step.Store]
	if rule := r.withheld[step.Store]; !ok && rule != "" {
		req := ref.Request("")
		return fmt.Errorf("%s: field %q: %w", where, step.Field, &policy.Refusal{Field: step.Field, Origin: rule,
			Store: step.Store, Secret: req.Name, Version: req.Version, Why: "it does not list this store"})
	}
	if !ok {
		return fmt.Errorf("%s: field %q uses store %q, which the agent config does not declare (declared: %s)",
			where, step.Field, step.Store, list(r.StoreNames()))
	}
	step.StoreType = b.typ
	step.Request = ref.Request(b.document)
	if step.Request.Name == "" {
		return fmt.Errorf("%s: field %q names no secret, and store %q has no \"secret\" document setting",
			where, step.Field, step.Store)
	}
	if err := checkRules(step.Request, b.rule, b.caller); err != nil {
		var ref *policy.Refusal
		if errors.As(err, &ref) {
			ref.Field = step.Field
		}
		return fmt.Errorf("%s: field %q: %w", where, step.Field, err)
	}
	if b.desc.Check != nil {
		if err := b.desc.Check(step.Request); err != nil {
			return fmt.Errorf("%s: field %q: %w", where, step.Field, err)
		}
	}
	step.id = b.secretID(step.Request)
	return nil
}

// checkRules returns the first refusal of the rules that are set.
func checkRules(req secret.Request, rules ...*policy.Rule) error {
	for _, rule := range rules {
		if rule == nil {
			continue
		}
		if err := rule.Check(req); err != nil {
			return err
		}
	}
	return nil
}

// ParseField returns the field name whose value is written as s: a literal,
// or a reference when s starts with "secret:" (see [secret.ParseSource]).
// It is the shortest way for an embedder to build a [Workflow] in code.
func ParseField(name, s string) (Field, error) {
	src, err := secret.ParseSource(s)
	if err != nil {
		return Field{}, fmt.Errorf("field %q: %w", name, err)
	}
	return Field{Name: name, Source: src}, nil
}
