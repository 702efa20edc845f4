package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/latchkey/latchkey/secret"
)

// ErrSocketInUse is wrapped by the error of [Server.Listen] when another
// process is serving on the socket path.
var ErrSocketInUse = errors.New("another latchkey serve is listening")

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

// lateCaller is a connection that learns its peer only once it has read
// from it: a Windows named pipe's client can be impersonated only then.
type lateCaller interface {
	Caller() secret.Caller
}

// peer returns who is at the other end of a local connection.
func (c *conn) peer() secret.Caller {
	if lc, ok := c.Conn.(lateCaller); ok {
		return lc.Caller()
	}
	return c.caller
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
			return l.admitTrusted(wc)
		}
	}
	return l.admitUntrusted(wc)
}

// admitTrusted waits for a free slot of the trusted pool and marks wc
// trusted, or closes wc when the listener closes first.
func (l *listener) admitTrusted(wc *conn) (net.Conn, error) {
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
			_ = wc.Conn.Close()
			return nil, net.ErrClosed
		}
	}
}

// admitUntrusted puts wc in the untrusted pool for at most l.life,
// evicting the oldest connections when the pool is full. A unix peer whose
// uid already holds its share is closed at once instead (nil, nil).
func (l *listener) admitUntrusted(wc *conn) (net.Conn, error) {
	l.mu.Lock()
	if l.transport == overUnix && wc.caller.Kind == secret.CallerUnix {
		// Per uid; a Windows pipe's client is known only after its first
		// read, so its connections are bounded by the strangers' pool.
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
			_ = wc.Conn.Close()
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
