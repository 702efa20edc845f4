package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/latchkey/latchkey/resolver"
	"github.com/latchkey/latchkey/server/api"

	"github.com/latchkey/latchkey/internal/units"
)

// Watch intervals: `--watch` alone re-checks every DefaultWatchInterval
// (Vault Agent renders non-leased secrets every 5 minutes); no interval
// below MinWatchInterval is accepted, so that a typo cannot turn an agent
// into a tight loop against a cloud's API.
const (
	DefaultWatchInterval = 5 * time.Minute
	MinWatchInterval     = time.Second
	// DefaultGrace is how long a restarted command has between SIGTERM
	// and SIGKILL.
	DefaultGrace = 10 * time.Second
)

// watchFlags are the flags exec and resolve share for --watch.
type watchFlags struct {
	watch string // "" when not watching
}

func (w *watchFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&w.watch, "watch", "",
		fmt.Sprintf("re-check the secrets every INTERVAL (--watch alone: %s; at least %s) and act when a value changes", DefaultWatchInterval, MinWatchInterval))
	cmd.Flags().Lookup("watch").NoOptDefVal = DefaultWatchInterval.String()
}

// interval returns the watch interval, 0 when not watching.
func (w *watchFlags) interval(cmd *cobra.Command) (time.Duration, error) {
	if !cmd.Flags().Changed("watch") {
		return 0, nil
	}
	d, err := units.ParseDuration(w.watch)
	if err != nil {
		return 0, fail(ExitUsage, fmt.Errorf("--watch=%s: not a duration; write e.g. --watch=30s or --watch=5m (--watch alone means %s)", w.watch, DefaultWatchInterval))
	}
	if d < MinWatchInterval {
		return 0, fail(ExitUsage, fmt.Errorf("--watch=%s: the interval must be at least %s (each check costs a metadata call per secret, or a fetch where the store has no version probe)", w.watch, MinWatchInterval))
	}
	return d, nil
}

// watcher re-checks one workflow's secrets with a long-lived resolver
// ([resolver.Resolver.Watch], the change detection the server's watch
// uses too). An unchanged secret whose store has version probes costs one
// metadata call per check; the others are fetched and compared by keyed
// digest, in memory only. With --server, the server does the checking and
// the watcher long-polls it (POST /v1/watch).
type watcher struct {
	r        *resolver.Resolver
	wf       resolver.Workflow
	timeout  time.Duration
	interval time.Duration
	log      *slog.Logger
	snap     *resolver.Snapshot

	remote      *api.Client
	name, token string
	doc         []byte
}

// startWatch loads the config and the workflow (or reaches the server),
// resolves it once and learns its versions.
func (a *app) startWatch(ctx context.Context, interval time.Duration) (*watcher, *resolver.Result, error) {
	if a.server != "" {
		c, name, doc, err := a.remote()
		if err != nil {
			return nil, nil, err
		}
		w := &watcher{remote: c, name: name, doc: doc, interval: interval, log: a.log}
		resp, err := c.Watch(ctx, name, doc, "", interval, api.MaxWatchWait)
		if err != nil {
			c.Close()
			return nil, nil, remoteError(err)
		}
		res, err := resp.Result()
		if err != nil {
			c.Close()
			return nil, nil, fail(ExitInternal, fmt.Errorf("%s: %w", c.Addr(), err))
		}
		w.token, w.wf.Name, a.usedEnv = resp.Token, resp.Workflow, resp.UsedEnv
		return w, res, nil
	}
	agent, r, wf, err := a.load(ctx)
	if err != nil {
		return nil, nil, err
	}
	w := &watcher{r: r, wf: wf, timeout: agent.Timeout, interval: interval, log: a.log}
	res, err := w.watch(ctx)
	if err != nil {
		r.Close()
		return nil, nil, err
	}
	a.usedEnv = r.UsedEnv()
	return w, res, nil
}

// changes checks in the background and sends each changed result; a
// failed check is logged and the next one tried. Checks stop when stop is
// closed or ctx ends. Locally a check runs every interval; against a
// server each check is a long poll that does the waiting itself.
func (w *watcher) changes(ctx context.Context, stop <-chan struct{}) <-chan *resolver.Result {
	out := make(chan *resolver.Result)
	go func() {
		pause := w.interval
		for {
			if w.remote != nil {
				pause = 0
			}
			t := time.NewTimer(pause)
			select {
			case <-stop:
				t.Stop()
				return
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			next, err := w.check(ctx)
			if err != nil {
				w.log.Warn("watch: re-checking the secrets failed; keeping the current values", "workflow", w.wf.Name, "error", err)
				if w.remote != nil {
					pause = w.interval // do not hammer a server that fails
					t := time.NewTimer(pause)
					select {
					case <-stop:
					case <-ctx.Done():
					case <-t.C:
					}
					t.Stop()
				}
				continue
			}
			if next == nil {
				continue
			}
			select {
			case out <- next:
			case <-stop:
				return
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

func (w *watcher) close() {
	if w.remote != nil {
		w.remote.Close()
		return
	}
	w.r.Close()
}

// watch checks the workflow under the config's timeout: the first call
// resolves it past any cache, the next ones return the new result when a
// value changed and nil when none did.
func (w *watcher) watch(ctx context.Context) (*resolver.Result, error) {
	ctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	res, snap, err := w.r.Watch(ctx, w.wf, w.snap)
	if err != nil {
		var rerr *resolver.Error
		if errors.As(err, &rerr) {
			return nil, fail(ExitResolution, err)
		}
		return nil, fail(ExitConfig, err)
	}
	if res == nil {
		w.log.Debug("watch: values unchanged", "workflow", w.wf.Name, "unprobed", snap.Versions().Unprobed)
	}
	w.snap = snap
	return res, nil
}

// check returns the new result when a value changed, nil when none did.
// When every secret's version is known and none moved, nothing is fetched.
func (w *watcher) check(ctx context.Context) (*resolver.Result, error) {
	if w.remote != nil {
		resp, err := w.remote.Watch(ctx, w.name, w.doc, w.token, w.interval, api.MaxWatchWait)
		if err != nil {
			return nil, remoteError(err)
		}
		if !resp.Changed {
			return nil, nil
		}
		res, err := resp.Result()
		if err != nil {
			return nil, err
		}
		w.token = resp.Token
		return res, nil
	}
	return w.watch(ctx)
}

// changeAction is what exec --watch does when a value changes.
type changeAction struct {
	restart bool
	sig     syscall.Signal
}

func parseChangeAction(s string) (changeAction, error) {
	if s == "restart" {
		return changeAction{restart: true}, nil
	}
	name, ok := strings.CutPrefix(s, "signal:")
	if ok {
		name = strings.TrimPrefix(strings.ToUpper(name), "SIG")
		if sig, known := signalNames[name]; known {
			return changeAction{sig: sig}, nil
		}
		if n, err := strconv.Atoi(name); err == nil && sendableSignal(n) {
			return changeAction{sig: syscall.Signal(n)}, nil
		}
	}
	return changeAction{}, fail(ExitUsage, fmt.Errorf("--on-change=%s: %s", s, signalHelp))
}

// runOnChange runs resolve --watch's --on-change command with /bin/sh -c,
// in latchkey's own environment (never the secrets), and logs its failure.
func (a *app) runOnChange(ctx context.Context, command string) {
	c := exec.CommandContext(ctx, "/bin/sh", "-c", command)
	c.Stdout, c.Stderr, c.Env = a.io.Err, a.io.Err, os.Environ()
	if err := c.Run(); err != nil {
		a.log.Warn("watch: the --on-change command failed", "command", command, "error", err)
	}
}

// resolveWatch writes the rendered workflow to output, then re-checks it
// every interval and rewrites output only when a value changed, running
// onChange after each rewrite. It returns on SIGINT or SIGTERM (nil) or
// when ctx ends.
func (a *app) resolveWatch(ctx context.Context, output, format string, namer envNamer, interval time.Duration, onChange string) error {
	w, res, err := a.startWatch(ctx, interval)
	if err != nil {
		return err
	}
	defer w.close()
	write := func(res *resolver.Result) error {
		var buf bytes.Buffer
		if err := render(&buf, format, res, namer); err != nil {
			return err
		}
		return writePrivate(output, buf.Bytes())
	}
	if err := write(res); err != nil {
		return err
	}
	a.log.Info("watch: wrote the workflow's fields", "workflow", w.wf.Name, "output", output, "interval", interval)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	stop := make(chan struct{})
	defer close(stop)
	changes := w.changes(ctx, stop)
	for {
		select {
		case <-sigs:
			return nil
		case <-ctx.Done():
			return nil
		case next := <-changes:
			if err := write(next); err != nil {
				a.log.Warn("watch: rewriting the file failed; it keeps its previous values", "output", output, "error", err)
				continue
			}
			a.log.Info("watch: a secret changed; rewrote the file", "workflow", w.wf.Name, "output", output)
			if onChange != "" {
				a.runOnChange(ctx, onChange)
			}
		}
	}
}
