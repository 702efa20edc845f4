package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/latchkey/latchkey/internal/check"
	"github.com/latchkey/latchkey/resolver"
	"github.com/latchkey/latchkey/server/api"
)

// checkReport is what check found, printed as a table or (--format json)
// as JSON: the same report a server's /v1/check answers with.
type checkReport = api.CheckReport

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
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "table" && format != "json" {
				return fail(ExitUsage, fmt.Errorf("--format %q: use table or json", format))
			}
			rep, err := a.check(cmd.Context(), offline)
			addCSIWarnings(rep, a.agent)
			var buf bytes.Buffer
			if format == "json" {
				if rep == nil {
					rep = &checkReport{Offline: offline, Fields: []api.CheckField{}, Stores: []api.CheckStore{}, Errors: loadErrorsJSON(err)}
				}
				enc := json.NewEncoder(&buf)
				enc.SetIndent("", "  ")
				_ = enc.Encode(rep) // plain strings and slices always encode
			} else if rep != nil {
				writeTable(rep, &buf)
				if offline && a.agent != nil {
					writePolicy(&buf, a.agent, a.auditPath)
				}
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
	a.serverFlags(cmd)
	cmd.Flags().StringVarP(&format, "format", "f", "table", "output format: table or json")
	_ = cmd.RegisterFlagCompletionFunc("format", completeValues("table", "json"))
	return cmd
}

// check checks the workflow, through a running server when --server is
// given, else by building the stores here. It returns a nil report when
// the config or workflow cannot be loaded, and a report with an
// ExitResolution error when a field fails.
func (a *app) check(ctx context.Context, offline bool) (*checkReport, error) {
	var rep *checkReport
	if a.server != "" {
		c, name, doc, err := a.remote()
		if err != nil {
			return nil, err
		}
		defer c.Close()
		if rep, err = c.Check(ctx, name, doc, offline); err != nil {
			return nil, remoteError(err)
		}
	} else {
		agent, r, wf, err := a.load(ctx)
		if err != nil {
			return nil, err
		}
		defer r.Close()
		a.agent = agent
		ctx, cancel := context.WithTimeout(ctx, agent.Timeout)
		defer cancel()
		if rep, err = check.Workflow(ctx, r, wf, offline); err != nil {
			return nil, fail(ExitConfig, err)
		}
	}
	if failed := rep.Failed(); failed > 0 {
		return rep, fail(ExitResolution, fmt.Errorf("%d of %d field(s) failed to resolve", failed, len(rep.Fields)))
	}
	return rep, nil
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
	var re *api.ResponseError
	if errors.As(ee.err, &re) && len(re.Errors) > 0 {
		list = append([]resolver.ErrorJSON(nil), re.Errors...) // as the server's resolver split them
	}
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
func writeTable(rep *checkReport, out *bytes.Buffer) {
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
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", f.Field, dash(f.Store), dash(f.Secret), dash(f.Key), statusWords(f))
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
		if st.Principal != "" {
			fmt.Fprintf(out, "    principal used: %s\n", st.Principal)
		}
		if st.Rule != nil {
			fmt.Fprintf(out, "    secrets rule (%s): %s\n", st.Rule.Origin, st.Rule.Patterns)
		}
		for _, w := range st.Warnings {
			fmt.Fprintf(out, "    warning: %s\n", w)
		}
	}
}

// statusWords words a field's status for the check table.
func statusWords(f api.CheckField) string {
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
