package server

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/latchkey/latchkey/secret"
)

// DefaultSocketPath is where the unix socket goes when serve.socket is
// unset: $XDG_RUNTIME_DIR/latchkey.sock when XDG_RUNTIME_DIR is set (a
// user's own agent), else /run/latchkey/latchkey.sock (a system service;
// systemd's RuntimeDirectory=latchkey creates the directory).
func DefaultSocketPath(getenv func(string) string) string {
	if d := getenv("XDG_RUNTIME_DIR"); d != "" {
		return filepath.Join(d, "latchkey.sock")
	}
	return "/run/latchkey/latchkey.sock"
}

// maxSocketPath is the longest unix socket path Linux accepts (sun_path
// holds 108 bytes with the terminating NUL).
const maxSocketPath = 107

// ErrSocketInUse is wrapped by the error of [Server.Listen] when another
// process is serving on the socket path.
var ErrSocketInUse = errors.New("another latchkey serve is listening")

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

// listenTCP listens on addr and refuses, after the fact too, an address
// that is not loopback unless allowed.
func listenTCP(addr string, allowNonLoopback bool) (net.Listener, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("tcp %s: %w", addr, err)
	}
	ap, perr := netip.ParseAddrPort(l.Addr().String())
	if !allowNonLoopback && (perr != nil || !ap.Addr().IsLoopback()) {
		l.Close()
		return nil, fmt.Errorf("tcp %s: listening on %s, which is not loopback; set serve.allow_non_loopback: true to allow it", addr, l.Addr())
	}
	return l, nil
}

// transport says which listener a connection came through.
type transport int

const (
	overUnix transport = iota
	overTCP
)

// conn is an accepted connection with what is known about its peer.
type conn struct {
	net.Conn
	transport transport
	caller    secret.Caller // for unix peers
	release   func()
}

// Close releases the connection's slot once.
func (c *conn) Close() error {
	err := c.Conn.Close()
	c.release()
	return err
}

// listener wraps a listener: at most max connections open at once (Accept
// waits for a slot, so excess clients queue in the kernel's backlog), and
// each unix connection carries its peer's credentials.
type listener struct {
	net.Listener
	transport transport
	slots     chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

func newListener(l net.Listener, t transport, max int) *listener {
	return &listener{Listener: l, transport: t, slots: make(chan struct{}, max), done: make(chan struct{})}
}

// Accept waits for a free slot, then for a connection.
func (l *listener) Accept() (net.Conn, error) {
	select {
	case l.slots <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	var once sync.Once
	wc := &conn{Conn: c, transport: l.transport, release: func() { once.Do(func() { <-l.slots }) }}
	if uc, ok := c.(*net.UnixConn); ok {
		wc.caller = peerCaller(uc)
	}
	return wc, nil
}

// Close stops Accept, including one waiting for a slot.
func (l *listener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return l.Listener.Close()
}

type connKey struct{}

// connContext is http.Server.ConnContext: it puts the connection in the
// request contexts.
func connContext(ctx context.Context, c net.Conn) context.Context {
	if wc, ok := c.(*conn); ok {
		return context.WithValue(ctx, connKey{}, wc)
	}
	return ctx
}

func connFrom(ctx context.Context) *conn {
	c, _ := ctx.Value(connKey{}).(*conn)
	return c
}
