// Package check builds the report of `latchkey check`: the plan of a
// workflow and, unless offline, each field's outcome, with how each store
// authenticates. The CLI prints it and the agent's POST /v1/check answers
// with it ([api.CheckReport]), so that both say the same.
package check

import (
	"context"
	"sort"
	"strings"

	"github.com/latchkey/latchkey/resolver"
	"github.com/latchkey/latchkey/server/api"
)

// Workflow checks wf against r as `latchkey check` does: the plan and, unless
// offline, each field's outcome, plus how each store it uses (every store,
// offline) authenticates. A field that fails is in the report (OK false);
// the error is a plan error (an undeclared store…): the workflow is invalid.
func Workflow(ctx context.Context, r *resolver.Resolver, wf resolver.Workflow, offline bool) (*api.CheckReport, error) {
	plan, err := r.Plan(wf)
	if err != nil {
		return nil, err
	}
	rep := &api.CheckReport{Offline: offline, Workflow: wf.Name, Fields: []api.CheckField{}, Stores: []api.CheckStore{}, Errors: []resolver.ErrorJSON{}}
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
		row := api.CheckField{Field: st.Field, Type: "literal", Status: "ok"}
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
		st := api.CheckStore{Name: n, Warnings: []string{}}
		d, _ := r.Description(n)
		st.Identity = d.Summary
		st.Warnings = append(st.Warnings, d.Warnings...)
		if !offline && d.Principal != nil {
			who, err := d.Principal(ctx)
			st.Principal = who
			if err != nil {
				st.Principal = "unknown: " + err.Error()
			}
		}
		if desc, origin, ok := r.Rule(n); ok {
			st.Rule = &api.CheckRule{Origin: origin, Patterns: desc}
		}
		rep.Stores = append(rep.Stores, st)
	}
	rep.OK = len(rep.Errors) == 0
	return rep, nil
}
