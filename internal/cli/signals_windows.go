//go:build windows

package cli

import (
	"os"
	"syscall"
)

// forwardedSignals are what exec catches while its command runs. Windows
// cannot send a process a signal (os.Process.Signal only kills), so
// nothing is forwarded: Ctrl-C reaches a console command directly, as it
// shares latchkey's console.
var forwardedSignals = []os.Signal{os.Interrupt, syscall.SIGTERM}

// signalNames is empty: --on-change=signal:NAME needs Unix signals.
var signalNames = map[string]syscall.Signal{}

// signalHelp is what --on-change accepts, for its usage error.
const signalHelp = "Windows cannot send a process a signal: use restart"

// sendableSignal reports false: Windows has no signals to send by number.
func sendableSignal(int) bool { return false }

// askToStop ends the command: Windows has no SIGTERM to ask with, so the
// grace period does not apply and the command is killed at once.
func askToStop(p *os.Process) error { return p.Kill() }
