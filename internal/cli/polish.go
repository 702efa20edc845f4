package cli

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// noArgs is cobra.NoArgs with a hint: a stray argument is most often a
// workflow or config file given without its flag.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	hint := "the workflow is given with -w FILE and the agent config with -c FILE"
	switch strings.ToLower(filepath.Ext(args[0])) {
	case ".yaml", ".yml", ".json", ".toml":
		hint = fmt.Sprintf("to use %s as the workflow, write -w %s (the agent config is -c FILE)", args[0], args[0])
	}
	return fail(ExitUsage, fmt.Errorf("%s takes no arguments, got %q: %s", cmd.CommandPath(), args[0], hint))
}

// completeValues completes a flag with a fixed list of values.
func completeValues(values ...string) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return values, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeConfigFiles completes a flag with YAML, JSON and TOML files.
func completeConfigFiles(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return []string{"yaml", "yml", "json", "toml"}, cobra.ShellCompDirectiveFilterFileExt
}

// shells are the shells `latchkey completion` writes scripts for.
var shells = []string{"bash", "zsh", "fish", "powershell"}

// setupCompletion adds cobra's completion command now, so that it can be
// adjusted: an unknown shell (tcsh) is a usage error rather than help with
// exit 0, and the global flags, which do not apply to it, are not shown.
func setupCompletion(root *cobra.Command) {
	globals := root.PersistentFlags()
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() != "completion" {
			continue
		}
		c.Args = cobra.ArbitraryArgs
		c.RunE = func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return fail(ExitUsage, fmt.Errorf("completion needs a shell: %s", strings.Join(shells, ", ")))
			}
			return fail(ExitUsage, fmt.Errorf("no completion for shell %q: use %s", args[0], strings.Join(shells, ", ")))
		}
		hideGlobals(c, globals)
	}
}

// hideGlobals leaves the global flags, but those named in keep, out of
// cmd's and its subcommands' help and completion: they do not apply there.
// It shadows each with a hidden persistent flag of cmd sharing its value,
// so that one given anyway still parses (and refuseGlobals can see it).
func hideGlobals(cmd *cobra.Command, globals *pflag.FlagSet, keep ...string) {
	globals.VisitAll(func(f *pflag.Flag) {
		if slices.Contains(keep, f.Name) || cmd.PersistentFlags().Lookup(f.Name) != nil {
			return
		}
		shadow := *f
		shadow.Hidden = true
		cmd.PersistentFlags().AddFlag(&shadow)
	})
}

// refuseGlobals fails when one of the global flags that do not apply to
// cmd was given on its command line, naming the flag meant instead.
func refuseGlobals(cmd *cobra.Command, instead map[string]string) error {
	var errs []error
	for name, hint := range instead {
		if f := cmd.Flags().Lookup(name); f != nil && f.Changed {
			errs = append(errs, fmt.Errorf("--%s does not apply to %s: %s", name, cmd.CommandPath(), hint))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fail(ExitUsage, err)
	}
	return nil
}
