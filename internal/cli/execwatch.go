package cli

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/latchkey/latchkey/internal/mask"
	"github.com/latchkey/latchkey/resolver"
)

// execWatch is what `exec --watch` was asked to do.
type execWatch struct {
	args     []string
	namer    envNamer
	cleanEnv bool
	keepEnv  bool // --keep-store-env
	mask     bool
	interval time.Duration
	action   changeAction
	grace    time.Duration
}

// child is one run of the command.
type child struct {
	c    *exec.Cmd
	outs []*mask.Writer
	done chan error // receives Wait's result, once
}

func (ch *child) flush() {
	for _, m := range ch.outs {
		_ = m.Flush()
	}
}

// execWatch runs the command, re-checks the secrets every interval and,
// when a value changes, restarts the command or signals it. It returns
// when the command exits on its own, with its exit code.
func (a *app) execWatch(ctx context.Context, o execWatch) error {
	path, err := lookCommand(o.args[0])
	if err != nil {
		return err
	}
	w, res, err := a.startWatch(ctx, o.interval)
	if err != nil {
		return err
	}
	defer w.close()
	// Forward signals for as long as latchkey runs; SIGINT and SIGTERM
	// also end the watch, so that a command stopping because it was asked
	// to is not started again.
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, forwardedSignals...)
	defer signal.Stop(sigs)

	secrets := secretsOf(res)
	ch, err := a.startChild(path, o, res, secrets)
	if err != nil {
		return err
	}
	stop := make(chan struct{})
	stopChecks := sync.OnceFunc(func() { close(stop) })
	defer stopChecks()
	changes := w.changes(ctx, stop)
	stopping := false
	for {
		select {
		case err := <-ch.done:
			ch.flush()
			return a.exitOf(o.args[0], ch.c, err)
		case s := <-sigs:
			if s == os.Interrupt || s == syscall.SIGTERM {
				stopping = true
				stopChecks() // the command is asked to stop: no restart after it
			}
			_ = ch.c.Process.Signal(s)
		case <-ctx.Done():
			return a.exitOf(o.args[0], ch.c, a.stop(ch, o))
		case next := <-changes:
			if stopping {
				continue
			}
			if !o.action.restart {
				a.log.Info("watch: a secret changed; signalling the command", "workflow", w.wf.Name, "signal", o.action.sig.String())
				_ = ch.c.Process.Signal(o.action.sig)
				continue
			}
			a.log.Info("watch: a secret changed; restarting the command", "workflow", w.wf.Name, "grace", o.grace)
			a.stop(ch, o)
			// Mask the old values too: output still in flight may hold them.
			secrets = append(secrets, secretsOf(next)...)
			if ch, err = a.startChild(path, o, next, secrets); err != nil {
				return err
			}
		}
	}
}

// startChild starts the command with res's fields in its environment.
func (a *app) startChild(path string, o execWatch, res *resolver.Result, secrets [][]byte) (*child, error) {
	pairs, err := o.namer.pairs(res)
	if err != nil {
		return nil, err
	}
	var env []string
	if !o.cleanEnv {
		env = os.Environ()
		if !o.keepEnv {
			env = a.dropStoreEnv(env)
		}
	}
	for _, p := range pairs {
		env = append(env, p.name+"="+string(p.value))
	}
	c := exec.Command(path, o.args[1:]...)
	c.Env = env
	c.Stdin = a.io.In
	ch := &child{c: c, done: make(chan error, 1)}
	stdout, stderr := a.io.Out, a.io.Err
	if o.mask {
		mo, me := mask.NewWriter(stdout, secrets), mask.NewWriter(stderr, secrets)
		ch.outs = append(ch.outs, mo, me)
		stdout, stderr = mo, me
	}
	c.Stdout, c.Stderr = stdout, stderr
	c.WaitDelay = maskWaitDelay
	if err := dieWithParent(c); err != nil {
		return nil, fail(ExitCannotRun, fmt.Errorf("exec %s: %w", o.args[0], err))
	}
	if err := c.Start(); err != nil {
		return nil, fail(ExitCannotRun, err)
	}
	go func() { ch.done <- c.Wait() }()
	return ch, nil
}

// stop ends the command: SIGTERM, then SIGKILL when it has not exited
// after the grace period. It returns Wait's result.
func (a *app) stop(ch *child, o execWatch) error {
	_ = askToStop(ch.c.Process)
	t := time.NewTimer(o.grace)
	defer t.Stop()
	var err error
	select {
	case err = <-ch.done:
	case <-t.C:
		a.log.Warn("watch: the command did not exit within the grace period after SIGTERM; killing it (SIGKILL)",
			"command", o.args[0], "grace", o.grace)
		_ = ch.c.Process.Kill()
		err = <-ch.done
	}
	ch.flush()
	return err
}

func secretsOf(res *resolver.Result) [][]byte {
	var out [][]byte
	for _, v := range res.Secrets() {
		out = append(out, v.Reveal())
	}
	return out
}
