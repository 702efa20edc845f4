package cli

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/latchkey/latchkey/config"
	"github.com/latchkey/latchkey/resolver"
	"github.com/latchkey/latchkey/server"
)

func (a *app) serveCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the resident agent: an HTTP API on a unix socket (and loopback TCP)",
		Long: `Serve the agent config's stores over HTTP until SIGTERM or SIGINT: on a unix
socket (serve.socket; default $XDG_RUNTIME_DIR/latchkey.sock, else
/run/latchkey/latchkey.sock), whose callers are known by their uid, gid and
pid, and, when serve.tcp is set, on loopback TCP, where every request needs a
token. See docs/serve.md for the API and the serve: settings.

SIGHUP reloads the agent config: a bad one is reported and the old one keeps
serving; stores whose settings changed are rebuilt. Tokens whose files were
removed, emptied or changed are refused at once, before the rest of the
reload; a reload still running after 10s is reported, and given up after 60s.
It also reopens the audit log file (after logrotate). The audit log (docs/audit.md) is on by default,
to stderr; audit.file sends it to a file, audit.enabled: false turns it off. SIGTERM stops accepting,
lets requests in flight finish within serve.grace_period, and exits 0.

Exit codes: 0 stopped by a signal, 2 usage error, 3 config error, a store
that cannot be built, or a socket that cannot be used (another server is on
it, or the path is not a socket).`,
		Example: `  latchkey serve -c /etc/latchkey/agent.yaml
  curl --unix-socket $XDG_RUNTIME_DIR/latchkey.sock 'http://l/v1/secret?ref=secret://aws/prod/db%23password'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if a.configPath == "" {
				return fail(ExitUsage, errors.New("no agent config: give --config FILE (or set LATCHKEY_CONFIG)"))
			}
			if !cmd.Flags().Changed("log-level") && os.Getenv("LATCHKEY_LOG_LEVEL") == "" {
				a.logLevel = "info" // a service says when it listens, reloads and stops
				if err := a.setup(cmd, nil); err != nil {
					return err
				}
			}
			srv, err := a.startServer(cmd.Context())
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			stop := a.reloadOnSignals(ctx, srv)
			defer stop()
			if err := srv.Serve(ctx); err != nil {
				return fail(ExitConfig, err)
			}
			return nil
		},
	}
	// serve reads no workflow: its help does not list the global
	// --workflow flag (the flag is shared, so it is hidden only while
	// this help prints, which ends the process).
	cmd.SetHelpFunc(func(c *cobra.Command, args []string) {
		if f := c.InheritedFlags().Lookup("workflow"); f != nil {
			f.Hidden = true
			defer func() { f.Hidden = false }()
		}
		c.Parent().HelpFunc()(c, args)
	})
	return cmd
}

// startServer loads the agent config, opens the audit log, builds the
// server (which loads the config again on every reload) and listens on
// its sockets. Every failure is a config error (exit code 3).
func (a *app) startServer(ctx context.Context) (*server.Server, error) {
	agent, err := a.loadServeConfig()
	if err != nil {
		return nil, fail(ExitConfig, err)
	}
	obs, err := a.openServeAudit(agent)
	if err != nil {
		return nil, fail(ExitConfig, err)
	}
	load := func(context.Context) (*server.Spec, error) {
		agent, err := a.loadServeConfig()
		if err != nil {
			return nil, err
		}
		return serverSpec(agent, a.log), nil
	}
	srv, err := server.New(ctx, server.Config{Load: load, Logger: a.log, Observer: obs})
	if err != nil {
		return nil, fail(ExitConfig, err)
	}
	if err := srv.Listen(); err != nil {
		return nil, fail(ExitConfig, err)
	}
	return srv, nil
}

// reloadOnSignals reloads srv on every SIGHUP (and the Windows service's
// paramchange) until ctx ends, each reload in a goroutine of its own. The
// function it returns stops listening for SIGHUP.
func (a *app) reloadOnSignals(ctx context.Context, srv *server.Server) (stop func()) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go forwardReloads(ctx, hup) // the Windows service's paramchange
	go func() {
		for {
			select {
			case <-hup:
				// Not waited for: a reload that hangs must not
				// keep the next SIGHUP (and its revocations) out.
				go a.reloadOnHUP(ctx, srv)
			case <-ctx.Done():
				return
			}
		}
	}()
	return func() { signal.Stop(hup) }
}

// loadServeConfig reads the agent config `latchkey serve` was given.
func (a *app) loadServeConfig() (*config.Agent, error) {
	return config.Load(config.Options{Path: a.configPath, Set: a.sets})
}

// serverSpec is the server's view of an agent config: every store cached
// unless its cache section says enabled: false, the timeout, and the serve
// and callers sections.
func serverSpec(agent *config.Agent, log *slog.Logger) *server.Spec {
	return &server.Spec{
		Path:     agent.Path,
		Resolver: agent.CachedResolverConfig(log),
		Timeout:  agent.Timeout,
		Serve:    agent.Serve,
		Callers:  agent.Callers,
	}
}

// Bounds of a SIGHUP reload: when it is reported as slow, and when its
// context ends (a store build that honours it then fails, and the previous
// config keeps serving).
const (
	reloadReportAfter = 10 * time.Second
	reloadTimeout     = 60 * time.Second
)

// reloadOnHUP reopens the audit log and reloads the agent config. Neither
// can block on a file (internal/safefile); a reload that takes longer than
// reloadReportAfter is reported, and revoked tokens are refused from its
// start whatever becomes of it (server.Reload).
func (a *app) reloadOnHUP(ctx context.Context, srv *server.Server) {
	if a.audit != nil {
		_ = a.audit.Reopen() // logrotate moved it; an error is logged and the old file kept
	}
	rctx, cancel := context.WithTimeout(ctx, reloadTimeout)
	defer cancel()
	type result struct {
		ch  resolver.Changes
		err error
	}
	done := make(chan result, 1)
	go func() {
		ch, err := srv.Reload(rctx)
		done <- result{ch, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-time.After(reloadReportAfter):
		a.log.Error("reload still running: the previous config keeps serving until it finishes; tokens whose files were removed, emptied or changed are already refused",
			"after", reloadReportAfter, "gives_up_after", reloadTimeout)
		r = <-done
	}
	if r.err != nil {
		a.log.Error("reload refused; the previous config keeps serving", "err", r.err)
		return
	}
	a.log.Info("reloaded the agent config", "kept", r.ch.Kept, "rebuilt", r.ch.Built, "removed", r.ch.Removed)
}
