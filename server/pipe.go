package server

import (
	"fmt"
	"slices"
	"strings"

	"github.com/latchkey/latchkey/policy"
	"github.com/latchkey/latchkey/server/api"
)

// The Windows agent listens on a named pipe instead of a unix socket. What
// can be decided without Windows (the pipe's name, the security descriptor
// that says who may open it) is here, built and tested on every platform;
// listen_windows.go only hands it to the system.

// DefaultPipePath is the named pipe the Windows agent listens on when
// serve.socket is unset.
const DefaultPipePath = api.DefaultPipePath

// pipePrefix is the local pipe namespace. A pipe on another machine
// (\\host\pipe\…) is never listened on: the agent's pipe refuses remote
// clients.
const pipePrefix = `\\.\pipe\`

// maxPipeName is the longest pipe name Windows accepts (256 characters
// including the \\.\pipe\ prefix).
const maxPipeName = 256 - len(pipePrefix)

// pipePath returns the pipe path serve.socket names on Windows: a full
// local pipe path (\\.\pipe\NAME, any case) or a bare NAME. Anything else
// (a file path, a remote pipe, a name holding a backslash) is an error
// naming serve.socket.
func pipePath(s string) (string, error) {
	name := s
	if len(s) >= len(pipePrefix) && strings.EqualFold(s[:len(pipePrefix)], pipePrefix) {
		name = s[len(pipePrefix):]
	} else if strings.HasPrefix(s, `\\`) || strings.HasPrefix(s, "//") {
		return "", fmt.Errorf("serve.socket %q: not a local named pipe; use %sNAME (the agent never listens on another machine's pipe)", s, pipePrefix)
	}
	switch {
	case name == "":
		return "", fmt.Errorf("serve.socket %q: the pipe has no name; use %sNAME", s, pipePrefix)
	case len(name) > maxPipeName:
		return "", fmt.Errorf("serve.socket %q: the pipe name is %d characters; at most %d are allowed", s, len(name), maxPipeName)
	case strings.ContainsAny(name, `\/:`):
		return "", fmt.Errorf("serve.socket %q: on Windows serve.socket is a named pipe (%sNAME, NAME without \\, / or :), not a file path", s, pipePrefix)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return "", fmt.Errorf("serve.socket %q: the pipe name holds a control character", s)
		}
	}
	return pipePrefix + name, nil
}

// Access masks of the pipe's security descriptor.
const (
	// pipeClientAccess is what a caller is granted: FILE_GENERIC_READ,
	// FILE_WRITE_DATA, FILE_WRITE_EA and FILE_WRITE_ATTRIBUTES. It is
	// GENERIC_WRITE without FILE_APPEND_DATA, which on a pipe is
	// FILE_CREATE_PIPE_INSTANCE: a caller that had it could create an
	// instance of the agent's pipe and answer the next client in the
	// agent's place.
	pipeClientAccess = 0x0012019b
	// pipeOwnerAccess is the agent's own account's: everything, so that it
	// can create the pipe's further instances.
	pipeOwnerAccess = 0x001f01ff // FILE_ALL_ACCESS
)

// pipeSDDL returns the security descriptor, in SDDL, of the agent's pipe:
// owned by the agent's account (self), which has full access, and opened
// only by the accounts given (the SIDs of the callers section's entries;
// with no callers section, none: the agent's own account only). The DACL
// is protected (P) so that nothing is inherited, and has no entry for
// anyone else, so Everyone, Anonymous, network logons and even
// Administrators (unless named) are refused by the system before the agent
// reads a byte. Every SID is checked and canonical; a bad one is an error
// naming it.
func pipeSDDL(self string, callers []string) (string, error) {
	own, ok := policy.ParseSID(self)
	if !ok {
		return "", fmt.Errorf("named pipe: the agent's own SID %q is not a SID", self)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "O:%sG:%sD:P(A;;0x%08x;;;%s)", own, own, pipeOwnerAccess, own)
	sids := make([]string, 0, len(callers))
	for _, c := range callers {
		sid, ok := policy.ParseSID(c)
		if !ok {
			return "", fmt.Errorf("named pipe: %q is not a SID (account names are looked up before the pipe is made)", c)
		}
		if sid != own && !slices.Contains(sids, sid) {
			sids = append(sids, sid)
		}
	}
	slices.Sort(sids)
	for _, sid := range sids {
		fmt.Fprintf(&b, "(A;;0x%08x;;;%s)", pipeClientAccess, sid)
	}
	return b.String(), nil
}
