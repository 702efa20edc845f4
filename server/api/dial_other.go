//go:build !windows

package api

import (
	"context"
	"net"
	"path/filepath"
)

// DefaultSocketPath is where the agent's unix socket is when serve.socket
// is unset: $XDG_RUNTIME_DIR/latchkey.sock when XDG_RUNTIME_DIR is set (a
// user's own agent), else /run/latchkey/latchkey.sock (a system service;
// systemd's RuntimeDirectory=latchkey creates the directory). On Windows it
// is [DefaultPipePath].
func DefaultSocketPath(getenv func(string) string) string {
	if d := getenv("XDG_RUNTIME_DIR"); d != "" {
		return filepath.Join(d, "latchkey.sock")
	}
	return "/run/latchkey/latchkey.sock"
}

// dialLocal connects to the unix socket at path.
func dialLocal(ctx context.Context, path string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, "unix", path)
}
