package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/latchkey/latchkey/internal/mask"
	"github.com/latchkey/latchkey/resolver"
)

// execLong is the help text of `latchkey exec`.
const execLong = `Resolve the workflow, then run COMMAND with every field as an environment
variable. Nothing is written to disk. Standard input is passed through,
signals are forwarded, and latchkey exits with COMMAND's exit code (128+N
when a signal N ended it).

Variable names: a field's "env" setting, else --env-prefix followed by the
field name upper-cased (--env-case preserve keeps its case), with every
character outside A-Z, a-z, 0-9 and _ replaced by _.

The command inherits latchkey's environment except the variables the
configured stores use: those they authenticate with (AWS_SECRET_ACCESS_KEY,
AZURE_CLIENT_SECRET, GOOGLE_APPLICATION_CREDENTIALS, a client_secret_env or
credential's variable…) and those the env store served as secrets (passed
as the fields instead). --keep-store-env keeps them; --clean-env starts from
an empty environment.

--mask replaces any resolved secret value (3 bytes or longer) that COMMAND
prints on stdout or stderr with "` + mask.Marker + `".

--watch[=INTERVAL] keeps re-checking the secrets (a metadata call per
secret where the store reports versions, else a fetch compared in memory)
and, when a value changes, restarts COMMAND with the new values: SIGTERM,
then SIGKILL if it has not exited after --grace. --on-change=signal:HUP
sends a signal instead and leaves it running (its environment cannot
change: for commands that reload from elsewhere). A failed re-check is
logged and the command keeps running. latchkey exits when COMMAND exits on
its own, with its code. See docs/rotation.md.`

// execCmd is `latchkey exec`: run a command with the resolved fields as
// its environment, optionally restarting it when they change.
func (a *app) execCmd() *cobra.Command {
	var cleanEnv, doMask, keepStoreEnv bool
	var ef envFlags
	var wf watchFlags
	var onChange string
	var grace time.Duration
	cmd := &cobra.Command{
		Use:   "exec [flags] -- COMMAND [ARGS...]",
		Short: "Run a command with the workflow's fields as environment variables",
		Long:  execLong,
		Example: `  latchkey exec -c agent.yaml -w workflow.yaml -- ./run-sync.sh
  latchkey exec --clean-env --mask -c agent.yaml -w wf.yaml -- env
  latchkey exec --watch=1m -c agent.yaml -w wf.yaml -- ./connector`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return fail(ExitUsage, errors.New("exec needs a command to run: latchkey exec [flags] -- COMMAND [ARGS...]"))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			namer, err := ef.namer()
			if err != nil {
				return err
			}
			interval, action, err := execWatchSettings(cmd, &wf, onChange, grace)
			if err != nil {
				return err
			}
			if interval > 0 {
				return a.execWatch(cmd.Context(), execWatch{args: args, namer: namer, cleanEnv: cleanEnv, keepEnv: keepStoreEnv, mask: doMask,
					interval: interval, action: action, grace: grace})
			}
			return a.execOnce(cmd.Context(), args, namer, cleanEnv, keepStoreEnv, doMask)
		},
	}
	// Flags after COMMAND are COMMAND's: `latchkey exec -c a.yaml -w wf.yaml ls -l`.
	cmd.Flags().SetInterspersed(false)
	cmd.Flags().BoolVar(&cleanEnv, "clean-env", false, "start COMMAND from an empty environment plus the resolved fields")
	cmd.Flags().BoolVar(&doMask, "mask", false, "replace resolved secret values in COMMAND's stdout and stderr")
	cmd.Flags().BoolVar(&keepStoreEnv, "keep-store-env", false, "pass COMMAND the variables the stores authenticate with or served (dropped by default)")
	wf.register(cmd)
	cmd.Flags().StringVar(&onChange, "on-change", "restart", "with --watch, when a value changes: restart (SIGTERM, --grace, SIGKILL, start again with the new values) or signal:NAME (send it, keep it running)")
	cmd.Flags().DurationVar(&grace, "grace", DefaultGrace, "with --watch and --on-change=restart: how long the command has to exit after SIGTERM before SIGKILL")
	ef.register(cmd)
	a.serverFlags(cmd)
	return cmd
}

// execWatchSettings reads exec's --watch interval (0: no watch) and, with
// one, what --on-change says to do and checks --grace; without one, it
// refuses --on-change and --grace, which would do nothing.
func execWatchSettings(cmd *cobra.Command, wf *watchFlags, onChange string, grace time.Duration) (time.Duration, changeAction, error) {
	interval, err := wf.interval(cmd)
	if err != nil {
		return 0, changeAction{}, err
	}
	if interval == 0 {
		if cmd.Flags().Changed("on-change") || cmd.Flags().Changed("grace") {
			return 0, changeAction{}, fail(ExitUsage, errors.New("--on-change and --grace act on changes that only --watch looks for: add --watch"))
		}
		return 0, changeAction{}, nil
	}
	action, err := parseChangeAction(onChange)
	if err != nil {
		return 0, changeAction{}, err
	}
	if grace <= 0 {
		return 0, changeAction{}, fail(ExitUsage, fmt.Errorf("--grace=%s: must be positive", grace))
	}
	return interval, action, nil
}

// execOnce resolves the workflow once and runs the command args with its
// fields in the environment (see childEnv), masking the secrets in its
// output when doMask is set.
func (a *app) execOnce(ctx context.Context, args []string, namer envNamer, cleanEnv, keepStoreEnv, doMask bool) error {
	res, err := a.resolve(ctx)
	if err != nil {
		return err
	}
	env, err := a.childEnv(res, namer, cleanEnv, keepStoreEnv)
	if err != nil {
		return err
	}
	var secrets [][]byte
	for _, v := range res.Secrets() {
		secrets = append(secrets, v.Reveal())
	}
	return a.runChild(args, env, doMask, secrets)
}

// childEnv is the command's environment: latchkey's own (none with
// cleanEnv; without the stores' variables unless keepStoreEnv), then the
// fields of res named by namer.
func (a *app) childEnv(res *resolver.Result, namer envNamer, cleanEnv, keepStoreEnv bool) ([]string, error) {
	pairs, err := namer.pairs(res)
	if err != nil {
		return nil, err
	}
	var env []string
	if !cleanEnv {
		env = os.Environ()
		if !keepStoreEnv {
			env = a.dropStoreEnv(env)
		}
	}
	for _, p := range pairs {
		env = append(env, p.name+"="+string(p.value))
	}
	return env, nil
}

// dropStoreEnv removes from env the variables the stores of the last
// resolution use, logging their names (never their values).
func (a *app) dropStoreEnv(env []string) []string {
	if len(a.usedEnv) == 0 {
		return env
	}
	drop := map[string]bool{}
	for _, n := range a.usedEnv {
		drop[n] = true
	}
	out := env[:0:0]
	var dropped []string
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if drop[name] {
			dropped = append(dropped, name)
			continue
		}
		out = append(out, kv)
	}
	if len(dropped) > 0 {
		a.log.Debug("not passing the stores' own variables to the command (--keep-store-env passes them)", "variables", dropped)
	}
	return out
}

// maskWaitDelay is how long exec --mask keeps reading the command's output
// after the command itself exited.
const maskWaitDelay = 2 * time.Second

// lookCommand finds the command to run. As a shell does, it fails with
// 127 when there is no such command and 126 when there is one that cannot
// be run (not executable, a directory).
func lookCommand(name string) (string, error) {
	path, err := exec.LookPath(name)
	if err != nil {
		code := ExitCannotRun
		if errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist) {
			code = ExitNoCommand
		}
		return "", fail(code, fmt.Errorf("exec %s: %w", name, err))
	}
	return path, nil
}

func (a *app) runChild(args, env []string, doMask bool, secrets [][]byte) error {
	path, err := lookCommand(args[0])
	if err != nil {
		return err
	}
	c := exec.Command(path, args[1:]...)
	if err := dieWithParent(c); err != nil {
		return fail(ExitCannotRun, fmt.Errorf("exec %s: %w", args[0], err))
	}
	c.Env = env
	c.Stdin = a.io.In
	var outs []*mask.Writer
	stdout, stderr := a.io.Out, a.io.Err
	if doMask {
		mo, me := mask.NewWriter(stdout, secrets), mask.NewWriter(stderr, secrets)
		outs = append(outs, mo, me)
		stdout, stderr = mo, me
	}
	c.Stdout, c.Stderr = stdout, stderr
	// With --mask, output goes through pipes; a background process the
	// command left running could hold them open forever. Give it a moment
	// after the command exits, then close them.
	c.WaitDelay = maskWaitDelay
	// Forward signals: stop catching them once the child is gone.
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, forwardedSignals...)
	defer signal.Stop(sigs)
	if err := c.Start(); err != nil {
		return fail(ExitCannotRun, fmt.Errorf("exec %s: %w", args[0], err))
	}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-sigs:
				_ = c.Process.Signal(s)
			case <-done:
				return
			}
		}
	}()
	err = c.Wait()
	close(done)
	for _, m := range outs {
		_ = m.Flush()
	}
	return a.exitOf(args[0], c, err)
}

// exitOf turns the end of a command into latchkey's exit: the command's
// own code, 128+N when signal N ended it.
func (a *app) exitOf(name string, c *exec.Cmd, err error) error {
	if errors.Is(err, exec.ErrWaitDelay) {
		// The command exited; something it left behind held its output.
		a.log.Warn("stopped reading output of a process the command left running", "command", name, "after", maskWaitDelay)
		err = nil
		if code := c.ProcessState.ExitCode(); code != 0 {
			return fail(code, errors.New(""))
		}
	}
	if err == nil {
		return nil
	}
	var xe *exec.ExitError
	if errors.As(err, &xe) {
		code := xe.ExitCode()
		if ws, ok := xe.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			code = 128 + int(ws.Signal())
		}
		return fail(code, errors.New("")) // the child spoke for itself
	}
	return fail(ExitInternal, fmt.Errorf("exec %s: %w", name, err))
}

var _ io.Writer = (*mask.Writer)(nil)
