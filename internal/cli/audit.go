package cli

import (
	"context"
	"os"

	"github.com/latchkey/latchkey/audit"
	"github.com/latchkey/latchkey/audit/observer"
	"github.com/latchkey/latchkey/config"
	"github.com/latchkey/latchkey/resolver"
	"github.com/latchkey/latchkey/secret"
)

// cliCaller is who the one-shot command acts for: its own process.
func cliCaller() secret.Caller {
	exe, err := os.Executable()
	if err != nil {
		exe = ""
	}
	return secret.Caller{Kind: secret.CallerCLI, UID: os.Getuid(), GID: os.Getgid(), PID: os.Getpid(), Exe: exe}
}

// withCaller marks ctx as the CLI's own request, with a fresh correlation
// ID for the audit log.
func withCaller(ctx context.Context) context.Context {
	return audit.WithRequest(secret.WithCaller(ctx, cliCaller()), audit.NewRequestID())
}

// openAudit opens the audit log the flag or the config asks for (the flag
// wins), or returns nil when neither does: the one-shot CLI's audit log is
// opt-in.
func (a *app) openAudit(agent *config.Agent) (resolver.Observer, error) {
	path := a.auditPath
	if path == "" && !agent.Audit.Disabled {
		// The config's file, when the flag names none.
		path = agent.Audit.File
	}
	if path == "" {
		return nil, nil
	}
	opts := audit.Options{Required: agent.Audit.Required, Logger: a.log}
	var l *audit.Log
	if path == config.AuditStderr {
		l = audit.New(a.io.Err, opts)
	} else {
		var err error
		if l, err = audit.Open(path, opts); err != nil {
			return nil, err
		}
	}
	a.audit = l
	return observer.New(l), nil
}

// openServeAudit opens the resident agent's audit log: on unless the
// config turns it off, to stderr unless it names a file (or --audit-log
// does).
func (a *app) openServeAudit(agent *config.Agent) (resolver.Observer, error) {
	if agent.Audit.Disabled && a.auditPath == "" {
		a.log.Warn("the audit log is turned off (audit.enabled: false): no record of who read which secret will be kept")
		return nil, nil
	}
	if a.auditPath == "" && agent.Audit.File == "" {
		a.auditPath = config.AuditStderr
	}
	return a.openAudit(agent)
}

// closeAudit closes the audit log, if one was opened.
func (a *app) closeAudit() {
	if a.audit != nil {
		_ = a.audit.Close()
	}
}
