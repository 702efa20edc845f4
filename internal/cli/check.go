package cli

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/latchkey/latchkey/resolver"
)

func (a *app) checkCmd() *cobra.Command {
	var offline bool
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Check that every field of a workflow resolves, printing no values",
		Long: `For each field, print which store and secret it uses and whether it resolves,
as a table without values. Exits 4 when any field fails.

With --offline nothing is fetched: the agent config and workflow are validated
and the plan is printed — every secret that would be fetched, from which
store, with which identity — along with configuration warnings.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			agent, r, wf, err := a.load(cmd.Context())
			if err != nil {
				return err
			}
			defer r.Close()
			plan, err := r.Plan(wf)
			if err != nil {
				return fail(ExitConfig, err)
			}
			out := cmd.OutOrStdout()
			status := map[string]string{}
			failed := 0
			if !offline {
				ctx, cancel := context.WithTimeout(cmd.Context(), agent.Timeout)
				defer cancel()
				statuses, err := r.Check(ctx, wf)
				if err != nil {
					return fail(ExitConfig, err)
				}
				for _, st := range statuses {
					status[st.Step.Field] = outcome(st)
					if st.Outcome == resolver.Failed {
						failed++
					}
				}
			}
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			if offline {
				fmt.Fprintln(tw, "FIELD\tSTORE\tTYPE\tSECRET\tVERSION\tKEY")
			} else {
				fmt.Fprintln(tw, "FIELD\tSTORE\tSECRET\tKEY\tSTATUS")
			}
			stores := map[string]bool{}
			for _, st := range plan.Steps {
				storeName, typ, sec, ver, key := "-", "literal", "-", "-", "-"
				if st.Ref != nil {
					storeName, typ, sec = st.Store, st.StoreType, st.Request.Name
					stores[st.Store] = true
					if st.Request.Version != "" {
						ver = st.Request.Version
					}
					if len(st.Ref.Key) > 0 {
						key = strings.Join(st.Ref.Key, ".")
					}
				}
				if offline {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", st.Field, storeName, typ, sec, ver, key)
				} else {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", st.Field, storeName, sec, key, status[st.Field])
				}
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			a.printIdentities(cmd, r, stores, offline)
			if failed > 0 {
				return fail(ExitResolution, fmt.Errorf("%d of %d field(s) failed to resolve", failed, len(plan.Steps)))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&offline, "offline", false, "validate and print the plan without fetching anything")
	return cmd
}

// printIdentities lists, for each store the workflow uses (every store when
// offline), how it authenticates and any configuration warnings.
func (a *app) printIdentities(cmd *cobra.Command, r *resolver.Resolver, used map[string]bool, all bool) {
	out := cmd.OutOrStdout()
	var names []string
	for _, n := range r.StoreNames() {
		if all || used[n] {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		return
	}
	fmt.Fprintln(out, "\nSTORES")
	for _, n := range names {
		id, ok := r.Identity(n)
		if !ok {
			fmt.Fprintf(out, "  %s: (identity not reported)\n", n)
			continue
		}
		fmt.Fprintf(out, "  %s: %s\n", n, id.Summary)
		for _, w := range id.Warnings {
			fmt.Fprintf(out, "    warning: %s\n", w)
			a.log.Warn(w, "store", n)
		}
	}
}

// outcome words a field's status for the check table.
func outcome(st resolver.FieldStatus) string {
	switch st.Outcome {
	case resolver.Defaulted:
		return "ok (absent: default used)"
	case resolver.Omitted:
		return "ok (optional, absent: omitted)"
	case resolver.Failed:
		return "FAIL: " + oneLine(st.Err.Err.Error())
	}
	return "ok"
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
