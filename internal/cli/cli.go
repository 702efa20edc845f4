// Package cli implements the latchkey command line: resolve, exec, check,
// module and version. cmd/latchkey is a thin main around [Main].
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/latchkey/latchkey/audit"
	"github.com/latchkey/latchkey/config"
	"github.com/latchkey/latchkey/internal/safefile"
	"github.com/latchkey/latchkey/resolver"
	"github.com/latchkey/latchkey/workflow"
)

// Exit codes, documented in the README. exec returns the child's own code.
const (
	ExitOK         = 0
	ExitInternal   = 1   // unexpected failure (I/O on output, a bug)
	ExitUsage      = 2   // bad flags or arguments
	ExitConfig     = 3   // agent config or workflow invalid, store cannot be built
	ExitResolution = 4   // a field failed to resolve, or check found a failure
	ExitCannotRun  = 126 // exec: the command exists but cannot be run
	ExitNoCommand  = 127 // exec: the command does not exist
)

type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func fail(code int, err error) error { return &exitError{code: code, err: err} }

// IO is the process's standard streams.
type IO struct {
	In       io.Reader
	Out, Err io.Writer
}

type app struct {
	usedEnv    []string // after a local resolve: the variables its stores use
	io         IO
	configPath string
	wfPath     string
	sets       []string
	logLevel   string
	log        *slog.Logger
	server     string // --server: use a running latchkey serve
	tokenFile  string
	auditPath  string        // --audit-log
	audit      *audit.Log    // the open audit log, if any
	agent      *config.Agent // the loaded agent config, once check loaded it
}

// Main runs the latchkey command with args (without the program name) and
// returns the process exit code.
func Main(ctx context.Context, args []string, stdio IO) int {
	a := &app{io: stdio}
	root := a.rootCmd()
	root.SetArgs(args)
	root.SetIn(stdio.In)
	root.SetOut(stdio.Out)
	root.SetErr(stdio.Err)
	err := root.ExecuteContext(ctx)
	a.closeAudit()
	if err == nil {
		return ExitOK
	}
	if code, ok := interruptedExit(ctx, err); ok {
		fmt.Fprintln(stdio.Err, "latchkey: stopped:", context.Cause(ctx))
		return code
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && ee.err.Error() != "" {
			fmt.Fprintln(stdio.Err, "latchkey:", indent(ee.err.Error()))
		}
		return ee.code
	}
	// cobra's own errors: unknown flags and commands, bad arguments.
	fmt.Fprintln(stdio.Err, "latchkey:", err)
	fmt.Fprintln(stdio.Err, "Run 'latchkey --help' for usage.")
	return ExitUsage
}

// indent sets off the continuation lines of a multi-line error (every
// problem of a config, every failed field) under the first.
func indent(msg string) string {
	return strings.ReplaceAll(strings.TrimRight(msg, "\n"), "\n", "\n  ")
}

func (a *app) rootCmd() *cobra.Command {
	var showVersion bool
	root := &cobra.Command{
		Use:   "latchkey",
		Short: "Resolve the secrets a data-integration workflow needs from the agent's secret stores",
		Long: `latchkey resolves the fields of a workflow: each field is a literal value or a
reference to a secret (secret://STORE/NAME#KEY) in one of the stores the agent
config declares (env, aws, azure, gcp, or a sandboxed wasm module).

Exit codes: 0 success, 1 output could not be written, 2 usage error,
3 config or workflow error, 4 resolution failed (or check found a failure);
exec returns its command's code (126 cannot run it, 127 no such command).`,
		SilenceUsage:      true,
		SilenceErrors:     true,
		PersistentPreRunE: a.setup,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if showVersion {
				return printVersion(cmd)
			}
			return cmd.Help()
		},
	}
	root.Flags().BoolVar(&showVersion, "version", false, "print latchkey's version and commit")
	pf := root.PersistentFlags()
	pf.StringVarP(&a.configPath, "config", "c", os.Getenv("LATCHKEY_CONFIG"), "agent config file (.yaml, .json, .toml) [$LATCHKEY_CONFIG]")
	pf.StringVarP(&a.wfPath, "workflow", "w", os.Getenv("LATCHKEY_WORKFLOW"), "workflow file, or - for stdin [$LATCHKEY_WORKFLOW]")
	pf.StringVar(&a.auditPath, "audit-log", "", `append an audit record of every fetch and resolution to FILE (created 0600), or "stderr" (docs/audit.md)`)
	pf.StringArrayVar(&a.sets, "set", nil, "override an agent config key, e.g. --set stores.aws.region=eu-west-1 (repeatable)")
	lvl := os.Getenv("LATCHKEY_LOG_LEVEL")
	if lvl == "" {
		lvl = "warn"
	}
	pf.StringVar(&a.logLevel, "log-level", lvl, "log level on stderr: debug, info, warn, error [$LATCHKEY_LOG_LEVEL]")
	_ = root.RegisterFlagCompletionFunc("log-level", completeValues("debug", "info", "warn", "error"))
	_ = root.RegisterFlagCompletionFunc("config", completeConfigFiles)
	_ = root.RegisterFlagCompletionFunc("workflow", completeConfigFiles)
	version, module := a.versionCmd(), a.moduleCmd()
	hideGlobals(version, pf)
	hideGlobals(module, pf, "log-level")
	root.AddCommand(a.resolveCmd(), a.execCmd(), a.checkCmd(), version, module, a.serveCmd(), a.csiProviderCmd())
	root.AddCommand(a.serviceCmd(pf)) // Windows service install/uninstall/start/stop (service.go)
	setupCompletion(root)
	internalErrors(root)
	return root
}

// internalErrors makes an error that a command returns without an exit code
// (a failed write to stdout, say) exit with ExitInternal: only cobra's own
// errors, from parsing flags and arguments, are usage errors.
func internalErrors(c *cobra.Command) {
	for _, sub := range c.Commands() {
		internalErrors(sub)
	}
	run := c.RunE
	if run == nil {
		return
	}
	c.RunE = func(cmd *cobra.Command, args []string) error {
		err := run(cmd, args)
		var ee *exitError
		if err != nil && !errors.As(err, &ee) {
			return fail(ExitInternal, err)
		}
		return err
	}
}

func (a *app) setup(cmd *cobra.Command, _ []string) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(a.logLevel)); err != nil {
		return fail(ExitUsage, fmt.Errorf("--log-level %q: use debug, info, warn or error", a.logLevel))
	}
	a.log = slog.New(teeLog(cmd.Context(), slog.NewTextHandler(a.io.Err, &slog.HandlerOptions{Level: level})))
	if f := cmd.Flags().Lookup("server"); f != nil && !f.Changed && cmd.Flags().Changed("config") {
		a.server = "" // an explicit --config wins over LATCHKEY_SERVER; only --server wins over it
	}
	if a.auditPath != "" && a.server != "" {
		return fail(ExitUsage, errors.New("--audit-log records the fetches this process makes; with --server the server makes them and keeps the audit log (docs/audit.md): drop one of the two"))
	}
	cmd.SetContext(withCaller(cmd.Context()))
	return nil
}

// load reads the agent config and the workflow and builds the resolver.
func (a *app) load(ctx context.Context) (*config.Agent, *resolver.Resolver, resolver.Workflow, error) {
	var wf resolver.Workflow
	if a.configPath == "" {
		return nil, nil, wf, fail(ExitUsage, errors.New("no agent config: give --config FILE (or set LATCHKEY_CONFIG)"))
	}
	if a.wfPath == "" {
		return nil, nil, wf, fail(ExitUsage, errors.New("no workflow: give --workflow FILE, or --workflow - to read it from stdin (or set LATCHKEY_WORKFLOW)"))
	}
	for _, kv := range a.sets {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return nil, nil, wf, fail(ExitUsage, fmt.Errorf("--set %q: want key=value, e.g. --set stores.aws.region=eu-west-1", kv))
		}
	}
	agent, err := config.Load(config.Options{Path: a.configPath, Set: a.sets})
	wf, werr := a.readWorkflow()
	if err != nil || werr != nil {
		// Report every problem in one round: the config's, the stores'
		// own settings (building what could be read), the workflow's.
		if agent != nil {
			if r, serr := resolver.New(ctx, agent.ResolverConfig(a.log)); serr != nil {
				err = errors.Join(err, fmt.Errorf("agent config %s: %w", a.configPath, agent.Annotate(serr)))
			} else {
				r.Close()
			}
		}
		return nil, nil, wf, fail(ExitConfig, errors.Join(err, werr))
	}
	rc := agent.ResolverConfig(a.log)
	obs, err := a.openAudit(agent)
	if err != nil {
		return nil, nil, wf, fail(ExitConfig, err)
	}
	if obs != nil {
		rc.Observer = resolver.Observers(rc.Observer, obs)
	}
	r, err := resolver.New(ctx, rc)
	if err != nil {
		return nil, nil, wf, fail(ExitConfig, fmt.Errorf("agent config %s: %w", a.configPath, agent.Annotate(err)))
	}
	return agent, r, wf, nil
}

func (a *app) readWorkflow() (resolver.Workflow, error) {
	if a.wfPath == "-" {
		return workflow.Read("stdin", a.io.In)
	}
	f, _, err := safefile.Open(a.wfPath, safefile.Options{})
	if err != nil {
		return resolver.Workflow{}, fmt.Errorf("workflow: %w", err)
	}
	defer f.Close()
	return workflow.Read(a.wfPath, f)
}

// resolve loads everything and resolves the workflow under the config's
// timeout.
func (a *app) resolve(ctx context.Context) (*resolver.Result, error) {
	if a.server != "" {
		c, name, doc, err := a.remote()
		if err != nil {
			return nil, err
		}
		defer c.Close()
		resp, err := c.Resolve(ctx, name, doc)
		if err != nil {
			return nil, remoteError(err)
		}
		res, err := resp.Result()
		if err != nil {
			return nil, fail(ExitInternal, fmt.Errorf("%s: %w", c.Addr(), err))
		}
		a.usedEnv = resp.UsedEnv
		a.log.Info("resolved workflow", "workflow", resp.Workflow, "fields", len(res.Fields), "server", c.Addr())
		return res, nil
	}
	agent, r, wf, err := a.load(ctx)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	ctx, cancel := context.WithTimeout(ctx, agent.Timeout)
	defer cancel()
	res, err := r.Resolve(ctx, wf)
	if err != nil {
		var rerr *resolver.Error
		if errors.As(err, &rerr) {
			return nil, fail(ExitResolution, err)
		}
		return nil, fail(ExitConfig, err)
	}
	a.usedEnv = r.UsedEnv()
	a.log.Info("resolved workflow", "workflow", wf.Name, "fields", len(res.Fields))
	return res, nil
}
