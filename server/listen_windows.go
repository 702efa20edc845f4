//go:build windows

package server

import (
	"errors"
	"fmt"
	"net"

	"github.com/Microsoft/go-winio"
	"golang.org/x/sys/windows"

	"github.com/latchkey/latchkey/policy"
)

// listenLocal opens the named pipe serve.socket names. Its security
// descriptor ([pipeSDDL]) admits the agent's own account and the accounts
// of the callers section, nothing else; the system refuses everyone else
// before the agent reads a byte, and refuses remote clients. The first
// instance is created exclusively, so a pipe another process already made
// (another agent, or a squatter waiting for our clients) is an error.
//
// The descriptor is set once: a reload that names new accounts lets them
// in only after a restart; one that drops accounts refuses them at once
// (every request is matched against the current callers section).
func (s *Server) listenLocal() (net.Listener, error) {
	path, err := pipePath(s.opts.Socket)
	if err != nil {
		return nil, err
	}
	self, err := processSID()
	if err != nil {
		return nil, fmt.Errorf("named pipe %s: %w", path, err)
	}
	var sids []string
	if g := s.gen.Load(); g != nil && g.callers != nil {
		sids = g.callers.AccountSIDs()
	}
	sddl, err := pipeSDDL(self, sids)
	if err != nil {
		return nil, err
	}
	l, err := winio.ListenPipe(path, &winio.PipeConfig{SecurityDescriptor: sddl})
	switch {
	case err == nil:
		return pipeListener{l}, nil
	case errors.Is(err, windows.ERROR_ACCESS_DENIED) || errors.Is(err, windows.ERROR_ALREADY_EXISTS) || errors.Is(err, windows.ERROR_PIPE_BUSY):
		return nil, fmt.Errorf("named pipe %s: %w, or another process holds the pipe (stop it first, or set serve.socket to another pipe): %v", path, ErrSocketInUse, err)
	default:
		return nil, fmt.Errorf("named pipe %s: %w", path, err)
	}
}

// processSID returns the SID of the account the agent runs as.
func processSID() (string, error) {
	u, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		return "", fmt.Errorf("reading the agent's own account: %w", err)
	}
	return u.User.Sid.String(), nil
}

// lookupAccounts returns a copy of specs with every account name replaced
// by its SID, looked up on this machine (and its domain). An unknown name
// is an error naming the entry.
func lookupAccounts(specs []policy.CallerSpec) ([]policy.CallerSpec, error) {
	out := make([]policy.CallerSpec, len(specs))
	var errs []error
	for i, sp := range specs {
		out[i] = sp
		out[i].Accounts = nil
		for _, a := range sp.Accounts {
			if _, ok := policy.ParseSID(a); ok || !policy.ValidAccountName(a) {
				out[i].Accounts = append(out[i].Accounts, a) // CompileCallers judges it
				continue
			}
			sid, _, _, err := windows.LookupSID("", a)
			if err != nil {
				errs = append(errs, fmt.Errorf("callers.%s.accounts: no account %q on this machine or its domain: %w", sp.Name, a, err))
				continue
			}
			out[i].Accounts = append(out[i].Accounts, sid.String())
		}
	}
	return out, errors.Join(errs...)
}
