//go:build !windows

package cli

import (
	"os"
	"syscall"
)

// forwardedSignals are the signals exec passes on to its command.
var forwardedSignals = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGWINCH}

// signalNames are the signals --on-change=signal:NAME may send.
var signalNames = map[string]syscall.Signal{
	"HUP": syscall.SIGHUP, "INT": syscall.SIGINT, "QUIT": syscall.SIGQUIT, "TERM": syscall.SIGTERM,
	"USR1": syscall.SIGUSR1, "USR2": syscall.SIGUSR2, "WINCH": syscall.SIGWINCH, "ALRM": syscall.SIGALRM,
}

// signalHelp is what --on-change accepts, for its usage error.
const signalHelp = "use restart, or signal:NAME (HUP, INT, QUIT, TERM, USR1, USR2, WINCH, ALRM, or a number)"

// sendableSignal reports whether signal number n may be sent by number:
// any but KILL and STOP, which a command cannot handle.
func sendableSignal(n int) bool {
	return n > 0 && n < 32 && n != int(syscall.SIGKILL) && n != int(syscall.SIGSTOP)
}

// askToStop asks the command to exit (SIGTERM); stop kills it after the
// grace period.
func askToStop(p *os.Process) error { return p.Signal(syscall.SIGTERM) }
