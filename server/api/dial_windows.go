//go:build windows

package api

import (
	"context"
	"net"
	"strings"

	"github.com/Microsoft/go-winio"
)

// DefaultSocketPath is the named pipe the Windows agent listens on when
// serve.socket is unset ([DefaultPipePath]); getenv is not read.
func DefaultSocketPath(func(string) string) string { return DefaultPipePath }

// pipePrefix is the local named-pipe namespace.
const pipePrefix = `\\.\pipe\`

// pipeClientAccess is the access a caller asks for: what the agent's
// security descriptor grants callers (FILE_GENERIC_READ and
// FILE_GENERIC_WRITE without FILE_CREATE_PIPE_INSTANCE; server/pipe.go).
const pipeClientAccess = 0x0012019b

// dialLocal connects to the named pipe at path (\\.\pipe\NAME), or to the
// unix socket at path otherwise (Windows has AF_UNIX too). The pipe is
// opened at identification level, which lets the agent read who the
// client is but not act as it.
func dialLocal(ctx context.Context, path string) (net.Conn, error) {
	if len(path) > len(pipePrefix) && strings.EqualFold(path[:len(pipePrefix)], pipePrefix) {
		return winio.DialPipeAccessImpLevel(ctx, path, pipeClientAccess, winio.PipeImpLevelIdentification)
	}
	var d net.Dialer
	return d.DialContext(ctx, "unix", path)
}
