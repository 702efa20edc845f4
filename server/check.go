package server

import (
	"context"
	"sort"
	"strings"

	"github.com/latchkey/latchkey/resolver"
)

// CheckReport is what a check found: `latchkey check --format json` prints
// it, and POST /v1/check answers with it, so that a check through a server
// prints what it prints without one. It never holds a value.
type CheckReport struct {
	OK       bool                 `json:"ok"`
	Offline  bool                 `json:"offline"`
	Workflow string               `json:"workflow,omitempty"`
	Fields   []CheckField         `json:"fields"`
	Stores   []CheckStore         `json:"stores"`
	Errors   []resolver.ErrorJSON `json:"errors"`
}

// CheckField is one field of a check (a row of the check table).
type CheckField struct {
	Field   string `json:"field"`
	Store   string `json:"store,omitempty"`
	Type    string `json:"type"` // the store's type, or "literal"
	Secret  string `json:"secret,omitempty"`
	Version string `json:"version,omitempty"`
	Key     string `json:"key,omitempty"`
	// Status is "ok", "default" (absent: default used), "omitted" (optional,
	// absent), "failed", or "planned" (offline: nothing was fetched).
	Status string              `json:"status"`
	Error  *resolver.ErrorJSON `json:"error,omitempty"`
}

// CheckStore is a store the workflow uses (every store, offline): how it
// authenticates and its configuration warnings.
type CheckStore struct {
	Name     string `json:"name"`
	Identity string `json:"identity,omitempty"`
	// Principal is who the store actually acted as (online only, when the
	// store can say: secret.Principaler), or why it could not be learned.
	Principal string   `json:"principal,omitempty"`
	Warnings  []string `json:"warnings"`
	// Rule is the store's secrets rule, when it has one: patterns only.
	Rule *CheckRule `json:"secrets_rule,omitempty"`
}

// CheckRule is a store's secrets rule as check shows it.
type CheckRule struct {
	Origin   string `json:"origin"`
	Patterns string `json:"patterns"`
}

// Check checks wf against r as `latchkey check` does: the plan and, unless
// offline, each field's outcome, plus how each store it uses (every store,
// offline) authenticates. A field that fails is in the report (OK false);
// the error is a plan error (an undeclared store…): the workflow is invalid.
func Check(ctx context.Context, r *resolver.Resolver, wf resolver.Workflow, offline bool) (*CheckReport, error) {
	plan, err := r.Plan(wf)
	if err != nil {
		return nil, err
	}
	rep := &CheckReport{Offline: offline, Workflow: wf.Name, Fields: []CheckField{}, Stores: []CheckStore{}, Errors: []resolver.ErrorJSON{}}
	statuses := map[string]resolver.FieldStatus{}
	if !offline {
		list, err := r.Check(ctx, wf)
		if err != nil {
			return nil, err
		}
		for _, st := range list {
			statuses[st.Step.Field] = st
		}
	}
	used := map[string]bool{}
	for _, st := range plan.Steps {
		row := CheckField{Field: st.Field, Type: "literal", Status: "ok"}
		if st.Ref != nil {
			row.Store, row.Type, row.Secret, row.Version = st.Store, st.StoreType, st.Request.Name, st.Request.Version
			row.Key = strings.Join(st.Ref.Key, ".")
			used[st.Store] = true
		}
		if offline {
			row.Status = "planned"
		} else {
			fs := statuses[st.Field]
			switch fs.Outcome {
			case resolver.Defaulted:
				row.Status = "default"
			case resolver.Omitted:
				row.Status = "omitted"
			case resolver.Failed:
				row.Status = "failed"
				e := resolver.FieldErrorJSON(fs.Err)
				row.Error = &e
				rep.Errors = append(rep.Errors, e)
			}
		}
		rep.Fields = append(rep.Fields, row)
	}
	var names []string
	for _, n := range r.StoreNames() {
		if offline || used[n] {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		st := CheckStore{Name: n, Warnings: []string{}}
		if id, ok := r.Identity(n); ok {
			st.Identity = id.Summary
			st.Warnings = append(st.Warnings, id.Warnings...)
		}
		if !offline {
			if who, ok, err := r.Principal(ctx, n); ok {
				st.Principal = who
				if err != nil {
					st.Principal = "unknown: " + err.Error()
				}
			}
		}
		if desc, origin, ok := r.Rule(n); ok {
			st.Rule = &CheckRule{Origin: origin, Patterns: desc}
		}
		rep.Stores = append(rep.Stores, st)
	}
	rep.OK = len(rep.Errors) == 0
	return rep, nil
}

// Failed counts the fields that failed.
func (c *CheckReport) Failed() int { return len(c.Errors) }
