package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/latchkey/latchkey/audit"
	"github.com/latchkey/latchkey/audit/observer"
	"github.com/latchkey/latchkey/config"
	"github.com/latchkey/latchkey/policy"
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

// writePolicy prints, without values, the agent config's audit and
// callers sections: what `check --offline` shows besides the stores.
func writePolicy(out *bytes.Buffer, agent *config.Agent, auditFlag string) {
	au := agent.Audit
	dest := func(file string) string {
		if file == "" {
			return "stderr"
		}
		return file
	}
	fmt.Fprintln(out, "\nAUDIT")
	switch {
	case auditFlag != "":
		fmt.Fprintf(out, "  this command: %s (--audit-log)\n", auditFlag)
	case au.File != "" && !au.Disabled:
		fmt.Fprintf(out, "  this command: %s\n", au.File)
	default:
		fmt.Fprintln(out, "  this command: off (--audit-log FILE or audit.file to turn it on)")
	}
	if au.Disabled {
		fmt.Fprintln(out, "  latchkey serve: off (audit.enabled: false)")
	} else {
		fmt.Fprintf(out, "  latchkey serve: %s\n", dest(au.File))
	}
	if au.Required {
		fmt.Fprintln(out, "  required: a resolution that cannot be recorded fails")
	}
	if len(agent.Callers) == 0 {
		fmt.Fprintln(out, "\nCALLERS (latchkey serve)\n  no callers section: every caller the socket or a token admits may use every store")
		return
	}
	fmt.Fprintln(out, "\nCALLERS (latchkey serve; anyone else is refused)")
	list := func(ids []int) string {
		s := make([]string, len(ids))
		for i, id := range ids {
			s[i] = strconv.Itoa(id)
		}
		return strings.Join(s, ", ")
	}
	for _, c := range agent.Callers {
		var who []string
		if len(c.UIDs) > 0 {
			who = append(who, "uids "+list(c.UIDs))
		}
		if len(c.GIDs) > 0 {
			who = append(who, "gids "+list(c.GIDs))
		}
		if len(c.Tokens) > 0 {
			who = append(who, "tokens "+strings.Join(c.Tokens, ", "))
		}
		fmt.Fprintf(out, "  %s: %s\n", c.Name, strings.Join(who, "; "))
		stores := make([]string, 0, len(c.Stores))
		for s := range c.Stores {
			stores = append(stores, s)
		}
		sort.Strings(stores)
		for _, s := range stores {
			spec := c.Stores[s]
			if spec == nil {
				fmt.Fprintf(out, "    %s: the store's own rule\n", s)
				continue
			}
			desc := "(invalid rule)"
			if r, err := policy.Compile(*spec, s, nil); err == nil {
				desc = r.String()
			}
			fmt.Fprintf(out, "    %s: %s\n", s, desc)
		}
	}
}
