//go:build !windows

package server

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/latchkey/latchkey/policy"
)

// maxSocketPath is the longest unix socket path Linux accepts (sun_path
// holds 108 bytes with the terminating NUL).
const maxSocketPath = 107

// listenLocal opens the local endpoint serve.socket names: a unix socket.
func (s *Server) listenLocal() (net.Listener, error) {
	return listenUnix(s.opts.Socket, s.opts.SocketMode)
}

// listenUnix creates the socket at path with mode. A socket nobody listens
// on (left by a process that was killed) is removed; a live one, or a path
// that is not a socket, is an error and is left alone.
func listenUnix(path string, mode os.FileMode) (*net.UnixListener, error) {
	if len(path) > maxSocketPath {
		return nil, fmt.Errorf("socket %s: the path is %d bytes; a unix socket's may be at most %d: choose a shorter serve.socket", path, len(path), maxSocketPath)
	}
	fi, err := os.Lstat(path)
	switch {
	case err == nil && fi.Mode()&fs.ModeSocket == 0:
		return nil, fmt.Errorf("socket %s: the path exists and is not a socket (%s); it was left alone: remove it or set serve.socket to another path", path, fi.Mode().Type())
	case err == nil:
		c, derr := net.DialTimeout("unix", path, time.Second)
		if derr == nil {
			c.Close()
			return nil, fmt.Errorf("socket %s: %w on it (stop it first, or set serve.socket to another path)", path, ErrSocketInUse)
		}
		if !errors.Is(derr, syscall.ECONNREFUSED) {
			return nil, fmt.Errorf("socket %s: exists and cannot be probed: %w", path, derr)
		}
		if rerr := os.Remove(path); rerr != nil {
			return nil, fmt.Errorf("socket %s: removing the stale socket: %w", path, rerr)
		}
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("socket %s: %w", path, err)
	}
	if _, err := os.Stat(filepath.Dir(path)); err != nil {
		return nil, fmt.Errorf("socket %s: its directory: %w (create it, or under systemd set RuntimeDirectory=latchkey)", path, err)
	}
	// The socket is created with no bits for anyone but its owner, then
	// opened up to mode: there is no moment at which others may connect.
	old := syscall.Umask(0o177)
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	syscall.Umask(old)
	if err != nil {
		return nil, fmt.Errorf("socket %s: %w", path, err)
	}
	if err := os.Chmod(path, mode); err != nil {
		l.Close()
		return nil, fmt.Errorf("socket %s: chmod %04o: %w", path, mode, err)
	}
	return l, nil
}

// lookupAccounts returns specs as they are: account names are looked up on
// Windows only, where a pipe client can be matched by them.
func lookupAccounts(specs []policy.CallerSpec) ([]policy.CallerSpec, error) {
	return specs, nil
}
