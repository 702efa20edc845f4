package cli

import (
	"context"
	"errors"
	"os"
	"syscall"
)

// Interrupted is the cause of a context that a signal cancelled (the
// command's main cancels the context it gives [Main] with it). Main then
// exits 128+N, the shell's convention: 130 for Ctrl-C (SIGINT), 143 for
// SIGTERM, rather than the code of the failure the cancellation caused.
type Interrupted struct {
	Signal os.Signal
}

// Error names the signal.
func (e Interrupted) Error() string { return e.Signal.String() + " signal received" }

// Is makes an Interrupted a [context.Canceled].
func (e Interrupted) Is(target error) bool { return target == context.Canceled }

// ExitCode is 128 plus the signal's number (130 when it has none).
func (e Interrupted) ExitCode() int {
	if s, ok := e.Signal.(syscall.Signal); ok && s > 0 && s < 64 {
		return 128 + int(s)
	}
	return 128 + int(syscall.SIGINT)
}

// interruptedExit returns the exit code of a command that failed because
// a signal cancelled ctx. exec's command speaks for itself (its own code),
// and a command that finished without error keeps its 0.
func interruptedExit(ctx context.Context, err error) (int, bool) {
	var in Interrupted
	if err == nil || !errors.As(context.Cause(ctx), &in) {
		return 0, false
	}
	var ee *exitError
	if errors.As(err, &ee) && ee.err != nil && ee.err.Error() == "" {
		return 0, false // exec's command exited on its own terms
	}
	return in.ExitCode(), true
}
