package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"

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
	release   func()
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
	if l.transport == overUnix {
		wc.caller = peerCaller(c)
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
