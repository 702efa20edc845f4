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
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/latchkey/latchkey/secret"
)

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
	l         *listener
	// trusted is set once the peer is known to be an authorized caller: at
	// accept for a unix peer that a callers entry names (or any unix peer
	// when there is no callers section), after a request with a valid
	// token on TCP. An untrusted connection answers one request and is
	// closed, lives at most untrustedLife, and is the first to go when too
	// many are open. Written under l.mu; read anywhere.
	trusted atomic.Bool
	timer   *time.Timer // closes it when it is still untrusted at untrustedLife
	once    sync.Once
}

// Close closes the connection and releases its slot once.
func (c *conn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.release(c) })
	return err
}

// trust marks the connection as an authorized caller's: it moves to the
// listener's trusted slots.
func (c *conn) trust() {
	if c.trusted.Load() {
		return
	}
	c.l.promote(c)
	if c.timer != nil {
		c.timer.Stop()
	}
}

// Limits on connections whose peer has not shown it is an authorized
// caller (see docs/serve.md, Limits).
const (
	// untrustedLife bounds an untrusted connection from accept to close:
	// long enough for a client to send its first request, too short to
	// hold a slot.
	untrustedLife = 2 * time.Second
	// minUntrusted is the fewest untrusted connections a listener keeps
	// open before it closes the oldest: the more it keeps, the faster a
	// stranger must open connections to push out a client's new one
	// before that client's first request arrives.
	minUntrusted = 128
	// untrustedPerUID is how many untrusted connections one unix uid may
	// hold at once; more are closed as soon as they are accepted.
	untrustedPerUID = 4
)

// listener wraps a listener and keeps two pools of connections. Trusted
// ones (an authorized caller's) number at most max: when a trusted unix
// peer connects while they are all taken, Accept waits for one to close, so
// excess clients queue in the kernel's backlog. Untrusted ones (a TCP peer
// before its token, a unix peer no callers entry names) number at most
// max(max, minUntrusted): one more closes the oldest. A peer that is not an
// authorized caller therefore never holds a slot an authorized one needs,
// and Accept never waits because of it.
type listener struct {
	net.Listener
	transport    transport
	max          int
	maxUntrusted int
	// trusts says whether a unix peer is an authorized caller, at accept;
	// nil trusts none until a request shows it.
	trusts    func(secret.Caller) bool
	life      time.Duration
	mu        sync.Mutex
	trustedN  int
	untrusted []*conn // in accept order
	freed     chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

func newListener(l net.Listener, t transport, maxConns int) *listener {
	return &listener{Listener: l, transport: t, max: maxConns, maxUntrusted: max(maxConns, minUntrusted), life: untrustedLife,
		freed: make(chan struct{}, 1), done: make(chan struct{})}
}

// Accept returns the next connection, waiting first for a trusted slot
// when its peer is trusted and they are all taken.
func (l *listener) Accept() (net.Conn, error) {
	for {
		c, err := l.accept()
		if c != nil || err != nil {
			return c, err
		}
	}
}

// accept accepts one connection; it returns neither a connection nor an
// error when it closed it at once (a unix uid over its share).
func (l *listener) accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	wc := &conn{Conn: c, transport: l.transport, l: l}
	if uc, ok := c.(*net.UnixConn); ok {
		wc.caller = peerCaller(uc)
		if l.trusts != nil && l.trusts(wc.caller) {
			for {
				l.mu.Lock()
				if l.trustedN < l.max {
					l.trustedN++
					wc.trusted.Store(true)
					l.mu.Unlock()
					return wc, nil
				}
				l.mu.Unlock()
				select {
				case <-l.freed:
				case <-l.done:
					_ = c.Close()
					return nil, net.ErrClosed
				}
			}
		}
	}
	l.mu.Lock()
	if l.transport == overUnix {
		same := 0
		for _, o := range l.untrusted {
			if o.caller.UID == wc.caller.UID {
				same++
			}
		}
		if same >= untrustedPerUID {
			// Closed before it costs a goroutine: the uid's own
			// connections are what it has to wait for.
			l.mu.Unlock()
			_ = c.Close()
			return nil, nil
		}
	}
	var victims []*conn
	if n := len(l.untrusted) + 1 - l.maxUntrusted; n > 0 {
		victims = slices.Clone(l.untrusted[:n])
	}
	for _, v := range victims {
		l.evict(v)
	}
	l.untrusted = append(l.untrusted, wc)
	wc.timer = time.AfterFunc(l.life, func() {
		l.mu.Lock()
		expired := slices.Contains(l.untrusted, wc)
		if expired {
			l.evict(wc)
		}
		l.mu.Unlock()
		if expired {
			_ = wc.Close()
		}
	})
	l.mu.Unlock()
	for _, v := range victims {
		_ = v.Close()
	}
	return wc, nil
}

// evict takes c out of the untrusted pool before it is closed, so that a
// request on it can no longer make it trusted. l.mu must be held.
func (l *listener) evict(c *conn) {
	if i := slices.Index(l.untrusted, c); i >= 0 {
		l.untrusted = slices.Delete(l.untrusted, i, i+1)
	}
}

// promote moves c to the trusted connections.
func (l *listener) promote(c *conn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if i := slices.Index(l.untrusted, c); i >= 0 {
		l.untrusted = slices.Delete(l.untrusted, i, i+1)
		l.trustedN++
		c.trusted.Store(true)
	}
}

// release forgets c and frees its slot.
func (l *listener) release(c *conn) {
	l.mu.Lock()
	if c.trusted.Load() {
		l.trustedN--
	} else if i := slices.Index(l.untrusted, c); i >= 0 {
		l.untrusted = slices.Delete(l.untrusted, i, i+1)
	}
	l.mu.Unlock()
	select {
	case l.freed <- struct{}{}:
	default:
	}
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
