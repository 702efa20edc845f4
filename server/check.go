package server

import (
	"context"
	"strings"

	"github.com/latchkey/latchkey/resolver"
)

// Check reports each field of wf as `latchkey check` prints it: the plan
// and, unless offline, each field's outcome, plus how each store it uses
// (every store, offline) authenticates. It never holds a value. Its error
// is a plan error (an undeclared store…): the workflow is invalid.
func Check(ctx context.Context, res *resolver.Resolver, wf resolver.Workflow, offline bool) (*CheckResponse, error) {
	plan, err := res.Plan(wf)
	if err != nil {
		return nil, err
	}
	outcomes := map[string]resolver.FieldStatus{}
	if !offline {
		statuses, err := res.Check(ctx, wf)
		if err != nil {
			return nil, err
		}
		for _, st := range statuses {
			outcomes[st.Step.Field] = st
		}
	}
	out := &CheckResponse{Fields: make([]CheckedField, 0, len(plan.Steps))}
	used := map[string]bool{}
	for _, st := range plan.Steps {
		cf := CheckedField{Field: st.Field, Outcome: OutcomePlanned}
		if st.Ref != nil {
			cf.Store, cf.Type, cf.Secret, cf.Version, cf.Key = st.Store, st.StoreType, st.Request.Name, st.Request.Version, strings.Join(st.Ref.Key, ".")
			used[st.Store] = true
		}
		if !offline {
			fs := outcomes[st.Field]
			switch fs.Outcome {
			case resolver.Found:
				cf.Outcome = OutcomeOK
			case resolver.Defaulted:
				cf.Outcome = OutcomeDefaulted
			case resolver.Omitted:
				cf.Outcome = OutcomeOmitted
			case resolver.Failed:
				cf.Outcome = OutcomeFailed
				fe := fieldError(fs.Err)
				cf.Error = &fe
			}
		}
		out.Fields = append(out.Fields, cf)
	}
	for _, n := range res.StoreNames() {
		if !offline && !used[n] {
			continue
		}
		info := StoreInfo{Name: n}
		if id, ok := res.Identity(n); ok {
			info.Reported, info.Summary, info.Warnings = true, id.Summary, id.Warnings
		}
		out.Stores = append(out.Stores, info)
	}
	return out, nil
}

// Failed counts the fields that failed.
func (c *CheckResponse) Failed() int {
	n := 0
	for _, f := range c.Fields {
		if f.Outcome == OutcomeFailed {
			n++
		}
	}
	return n
}
