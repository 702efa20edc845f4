//go:build windows

package server

import (
	"net"
	"runtime"
	"sync"

	"golang.org/x/sys/windows"

	"github.com/latchkey/latchkey/secret"
)

var procImpersonateNamedPipeClient = windows.NewLazySystemDLL("advapi32.dll").NewProc("ImpersonateNamedPipeClient")

// pipeListener returns its connections as *pipeConn.
type pipeListener struct{ net.Listener }

// Accept returns the next client, not yet identified.
func (l pipeListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &pipeConn{Conn: c}, nil
}

// pipeConn identifies its client after its first successful Read:
// Windows lets a pipe server impersonate its client only once it has read
// from the pipe (ERROR_CANNOT_IMPERSONATE before), and the HTTP server
// reads the request before any handler asks who sent it. Read and Caller
// may be called from different goroutines.
type pipeConn struct {
	net.Conn
	once   sync.Once
	mu     sync.Mutex
	caller secret.Caller
	known  bool
}

// Read reads, and after the first read that returned data identifies the
// client.
func (c *pipeConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 {
		c.once.Do(func() {
			caller := peerCaller(c.Conn)
			c.mu.Lock()
			c.caller, c.known = caller, true
			c.mu.Unlock()
		})
	}
	return n, err
}

// Caller returns the client, or an unknown pipe caller before the first
// read (a request is always read first, so that is never what a handler
// sees).
func (c *pipeConn) Caller() secret.Caller {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.known {
		return secret.Caller{Kind: secret.CallerPipe, UID: -1, GID: -1, PID: -1}
	}
	return c.caller
}

// peerCaller identifies a named pipe's client by its access token: the
// agent impersonates the client on a locked OS thread just long enough to
// open the thread's token, reads its user and enabled group SIDs, and
// reverts. A client that connected at anonymous level (winio's DialPipe
// default) has no token to read and is an unknown caller, which a callers
// section refuses. The PID and executable are advisory, as on Linux.
func peerCaller(c net.Conn) secret.Caller {
	caller := secret.Caller{Kind: secret.CallerPipe, UID: -1, GID: -1, PID: -1}
	if pc, ok := c.(*pipeConn); ok {
		return pc.Caller() // Accept's call: known after the first read
	}
	f, ok := c.(interface{ Fd() uintptr })
	if !ok {
		return caller
	}
	h := windows.Handle(f.Fd())
	var pid uint32
	if windows.GetNamedPipeClientProcessId(h, &pid) == nil {
		caller.PID = int(pid)
		caller.Exe = processImage(pid)
	}
	tok, ok := clientToken(h)
	if !ok {
		return caller
	}
	defer tok.Close()
	u, err := tok.GetTokenUser()
	if err != nil {
		return caller
	}
	sids := []string{u.User.Sid.String()}
	if gs, err := tok.GetTokenGroups(); err == nil {
		for _, g := range gs.AllGroups() {
			// A deny-only group (SE_GROUP_USE_FOR_DENY_ONLY) is never
			// enabled: it may refuse but never grant.
			if g.Attributes&windows.SE_GROUP_ENABLED != 0 && g.Attributes&windows.SE_GROUP_USE_FOR_DENY_ONLY == 0 {
				sids = append(sids, g.Sid.String())
			}
		}
	}
	caller.SIDs = sids
	return caller
}

// clientToken opens the pipe client's token by impersonating it, on a
// goroutine of its own locked to its OS thread. If reverting to the
// agent's identity fails, that goroutine ends still locked, and the
// runtime then ends its thread: no goroutine ever runs as the client.
func clientToken(h windows.Handle) (windows.Token, bool) {
	type result struct {
		tok windows.Token
		ok  bool
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		if r, _, _ := procImpersonateNamedPipeClient.Call(uintptr(h)); r == 0 {
			runtime.UnlockOSThread()
			ch <- result{}
			return
		}
		var tok windows.Token
		err := windows.OpenThreadToken(windows.CurrentThread(), windows.TOKEN_QUERY, true, &tok)
		if windows.RevertToSelf() != nil {
			if err == nil {
				tok.Close()
			}
			ch <- result{}
			return // still locked: the thread is retired
		}
		runtime.UnlockOSThread()
		ch <- result{tok, err == nil}
	}()
	r := <-ch
	return r.tok, r.ok
}

// processImage returns the executable of process pid, or "".
func processImage(pid uint32) string {
	p, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, pid)
	if err != nil {
		return ""
	}
	defer windows.CloseHandle(p)
	buf := make([]uint16, windows.MAX_LONG_PATH)
	n := uint32(len(buf))
	if windows.QueryFullProcessImageName(p, 0, &buf[0], &n) != nil {
		return ""
	}
	return windows.UTF16ToString(buf[:n])
}
