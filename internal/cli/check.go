package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/latchkey/latchkey/resolver"
)

// checkReport is what check found, printed as a table or (--format json)
// as this JSON object. It never holds a value.
type checkReport struct {
	OK       bool                 `json:"ok"`
	Offline  bool                 `json:"offline"`
	Workflow string               `json:"workflow,omitempty"`
	Fields   []checkField         `json:"fields"`
	Stores   []checkStore         `json:"stores"`
	Errors   []resolver.ErrorJSON `json:"errors"`
}

// checkField is one row of the check table.
type checkField struct {
	Field   string `json:"field"`
	Store   string `json:"store,omitempty"`
	Type    string `json:"type"` // the store's type, or "literal"
	Secret  string `json:"secret,omitempty"`
	Version string `json:"version,omitempty"`
	Key     string `json:"key,omitempty"`
	// Status is "ok", "default" (absent: default used), "omitted" (optional,
	// absent), "failed", or "planned" (--offline: nothing was fetched).
	Status string              `json:"status"`
	Error  *resolver.ErrorJSON `json:"error,omitempty"`
}

// checkStore is a store the workflow uses (every store, offline): how it
// authenticates and its configuration warnings.
type checkStore struct {
	Name     string   `json:"name"`
	Identity string   `json:"identity,omitempty"`
	Warnings []string `json:"warnings"`
	// Rule is the store's secrets rule, when it has one: patterns only.
	Rule *checkRule `json:"secrets_rule,omitempty"`
}

func (a *app) checkCmd() *cobra.Command {
	var offline bool
	var format string
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Check that every field of a workflow resolves, printing no values",
		Long: `For each field, print which store and secret it uses and whether it resolves,
as a table without values. Exits 4 when any field fails.

With --offline nothing is fetched: the agent config and workflow are validated
and the plan is printed — every secret that would be fetched, from which
store, with which identity — along with configuration warnings.

With --format json the same is printed as one JSON object: {"ok", "offline",
"workflow", "fields": [{"field", "store", "type", "secret", "version", "key",
"status", "error"}], "stores": [{"name", "identity", "warnings"}], "errors":
[{"kind", "field", "store", "secret", "key", "setting", "message"}]}. A config
or workflow that cannot be loaded still prints that object, with "errors".`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "table" && format != "json" {
				return fail(ExitUsage, fmt.Errorf("--format %q: use table or json", format))
			}
			rep, err := a.check(cmd.Context(), offline)
			var buf bytes.Buffer
			if format == "json" {
				if rep == nil {
					rep = &checkReport{Offline: offline, Fields: []checkField{}, Stores: []checkStore{}, Errors: loadErrorsJSON(err)}
				}
				enc := json.NewEncoder(&buf)
				enc.SetIndent("", "  ")
				_ = enc.Encode(rep) // plain strings and slices always encode
			} else if rep != nil {
				rep.writeTable(&buf)
			}
			if _, werr := cmd.OutOrStdout().Write(buf.Bytes()); werr != nil {
				return fail(ExitInternal, fmt.Errorf("writing the report: %w", werr))
			}
			if rep != nil {
				for _, st := range rep.Stores {
					for _, w := range st.Warnings {
						a.log.Warn(w, "store", st.Name)
					}
				}
			}
			return err
		},
	}
	cmd.Flags().BoolVar(&offline, "offline", false, "validate and print the plan without fetching anything")
	cmd.Flags().StringVarP(&format, "format", "f", "table", "output format: table or json")
	return cmd
}

// check loads everything and checks the workflow. It returns a nil report
// when the config or workflow cannot be loaded, and a report with an
// ExitResolution error when a field fails.
func (a *app) check(ctx context.Context, offline bool) (*checkReport, error) {
	agent, r, wf, err := a.load(ctx)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	plan, err := r.Plan(wf)
	if err != nil {
		return nil, fail(ExitConfig, err)
	}
	rep := &checkReport{Offline: offline, Workflow: wf.Name, Fields: []checkField{}, Stores: []checkStore{}, Errors: []resolver.ErrorJSON{}}
	statuses := map[string]resolver.FieldStatus{}
	if !offline {
		ctx, cancel := context.WithTimeout(ctx, agent.Timeout)
		defer cancel()
		list, err := r.Check(ctx, wf)
		if err != nil {
			return nil, fail(ExitConfig, err)
		}
		for _, st := range list {
			statuses[st.Step.Field] = st
		}
	}
	used := map[string]bool{}
	failed := 0
	for _, st := range plan.Steps {
		row := checkField{Field: st.Field, Type: "literal", Status: "ok"}
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
				failed++
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
		st := checkStore{Name: n, Warnings: []string{}}
		if id, ok := r.Identity(n); ok {
			st.Identity = id.Summary
			st.Warnings = append(st.Warnings, id.Warnings...)
		}
		if desc, origin, ok := r.Rule(n); ok {
			st.Rule = &checkRule{Origin: origin, Patterns: desc}
		}
		rep.Stores = append(rep.Stores, st)
	}
	rep.OK = failed == 0
	if failed > 0 {
		return rep, fail(ExitResolution, fmt.Errorf("%d of %d field(s) failed to resolve", failed, len(plan.Steps)))
	}
	return rep, nil
}

// checkRule is a store's secrets rule as check shows it.
type checkRule struct {
	Origin   string `json:"origin"`
	Patterns string `json:"patterns"`
}

// loadErrorsJSON is the "errors" list of a check that could not load its
// config or workflow: a usage problem has kind "usage", and any other
// problem that is not otherwise classified "invalid_config".
func loadErrorsJSON(err error) []resolver.ErrorJSON {
	var ee *exitError
	if !errors.As(err, &ee) {
		return resolver.ErrorsJSON(err)
	}
	list := resolver.ErrorsJSON(ee.err)
	for i := range list {
		switch {
		case ee.code == ExitUsage:
			list[i].Kind = "usage"
		case ee.code == ExitConfig && list[i].Kind == "other":
			list[i].Kind = "invalid_config"
		}
	}
	return list
}

// writeTable prints the report as the check table, then the stores.
func (rep *checkReport) writeTable(out *bytes.Buffer) {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	if rep.Offline {
		fmt.Fprintln(tw, "FIELD\tSTORE\tTYPE\tSECRET\tVERSION\tKEY")
	} else {
		fmt.Fprintln(tw, "FIELD\tSTORE\tSECRET\tKEY\tSTATUS")
	}
	dash := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	for _, f := range rep.Fields {
		if rep.Offline {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", f.Field, dash(f.Store), f.Type, dash(f.Secret), dash(f.Version), dash(f.Key))
		} else {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", f.Field, dash(f.Store), dash(f.Secret), dash(f.Key), f.statusWords())
		}
	}
	_ = tw.Flush() // a bytes.Buffer does not fail
	if len(rep.Stores) == 0 {
		return
	}
	fmt.Fprintln(out, "\nSTORES")
	for _, st := range rep.Stores {
		id := st.Identity
		if id == "" {
			id = "(identity not reported)"
		}
		fmt.Fprintf(out, "  %s: %s\n", st.Name, id)
		if st.Rule != nil {
			fmt.Fprintf(out, "    secrets rule (%s): %s\n", st.Rule.Origin, st.Rule.Patterns)
		}
		for _, w := range st.Warnings {
			fmt.Fprintf(out, "    warning: %s\n", w)
		}
	}
}

// statusWords words a field's status for the check table.
func (f checkField) statusWords() string {
	switch f.Status {
	case "default":
		return "ok (absent: default used)"
	case "omitted":
		return "ok (optional, absent: omitted)"
	case "failed":
		return "FAIL: " + f.Error.Message
	}
	return "ok"
}
