package server

import (
	"net"
	"os"
	"strconv"
	"syscall"

	"github.com/latchkey/latchkey/secret"
)

// peerCaller reads the connecting process's credentials from the kernel
// (SO_PEERCRED: as they were when it connected) and, when this process may
// read it, its executable. The executable is advisory: a PID can be reused
// once the peer exits.
func peerCaller(nc net.Conn) secret.Caller {
	caller := secret.Caller{Kind: secret.CallerUnix, UID: -1, GID: -1, PID: -1}
	c, ok := nc.(*net.UnixConn)
	if !ok {
		return caller
	}
	raw, err := c.SyscallConn()
	if err != nil {
		return caller
	}
	var cred *syscall.Ucred
	_ = raw.Control(func(fd uintptr) {
		cred, err = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	})
	if err != nil || cred == nil {
		return caller
	}
	caller.UID, caller.GID, caller.PID = int(cred.Uid), int(cred.Gid), int(cred.Pid)
	if exe, err := os.Readlink("/proc/" + strconv.Itoa(caller.PID) + "/exe"); err == nil {
		caller.Exe = exe
	}
	return caller
}
