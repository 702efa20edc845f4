package server

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
)

// listenFDsStart is the first file descriptor systemd passes (SD_LISTEN_FDS_START).
const listenFDsStart = 3

// activated returns the listeners systemd passed this process (socket
// activation: LISTEN_PID is our pid, LISTEN_FDS counts descriptors from
// 3), or none when it passed none. A unix socket is served as the socket
// (peer credentials), a TCP one as TCP (tokens, loopback unless allowed).
// The variables are unset so that they do not leak to anything started
// later.
func activated(getenv func(string) string, allowNonLoopback bool) ([]passed, error) {
	pid, fds := getenv("LISTEN_PID"), getenv("LISTEN_FDS")
	if pid == "" || fds == "" {
		return nil, nil
	}
	if p, err := strconv.Atoi(pid); err != nil || p != os.Getpid() {
		return nil, nil // meant for another process
	}
	n, err := strconv.Atoi(fds)
	if err != nil || n < 1 || n > 16 {
		return nil, fmt.Errorf("socket activation: LISTEN_FDS=%q: want 1 to 16 descriptors", fds)
	}
	for _, v := range []string{"LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"} {
		_ = os.Unsetenv(v)
	}
	var out []passed
	fail := func(err error) ([]passed, error) {
		for _, p := range out {
			_ = p.l.Close()
		}
		return nil, err
	}
	for i := 0; i < n; i++ {
		fd := listenFDsStart + i
		f := os.NewFile(uintptr(fd), "listen-fd-"+strconv.Itoa(fd))
		l, err := net.FileListener(f)
		f.Close() // FileListener holds a duplicate
		if err != nil {
			return fail(fmt.Errorf("socket activation: descriptor %d is not a listening stream socket (ListenStream= in the .socket unit): %w", fd, err))
		}
		switch tl := l.(type) {
		case *net.UnixListener:
			tl.SetUnlinkOnClose(false) // the socket unit owns the file
			out = append(out, passed{tl, overUnix})
		case *net.TCPListener:
			ap, perr := netip.ParseAddrPort(tl.Addr().String())
			if !allowNonLoopback && (perr != nil || !ap.Addr().Unmap().IsLoopback()) {
				_ = tl.Close()
				return fail(fmt.Errorf("socket activation: descriptor %d listens on %s, which is not loopback; set serve.allow_non_loopback: true to allow it", fd, tl.Addr()))
			}
			out = append(out, passed{tl, overTCP})
		default:
			_ = l.Close()
			return fail(errors.New("socket activation: descriptor " + strconv.Itoa(fd) + " is neither a unix nor a TCP socket"))
		}
	}
	return out, nil
}

// passed is a listener systemd passed.
type passed struct {
	l net.Listener
	t transport
}
