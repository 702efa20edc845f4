// Command latchkey resolves the secrets of data-integration workflows from
// the agent's secret stores: `latchkey resolve`, `exec`, `check` and
// `module`. Run `latchkey --help` for usage.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/latchkey/latchkey/internal/cli"
	_ "github.com/latchkey/latchkey/providers/standard"
)

func main() {
	if code, ok := runService(os.Args[1:]); ok {
		os.Exit(code) // run by the Windows service manager
	}
	// A closed pipe on stdout (latchkey resolve | head -c1) must be exit 1
	// with a message, as the README's exit-code table says, not death by
	// SIGPIPE (141): the reader did not get the whole result, and a script
	// should be told. Catching SIGPIPE, rather than ignoring it, makes Go
	// return EPIPE from the write while the command exec runs still starts
	// with SIGPIPE at its default.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	// Ctrl-C and SIGTERM cancel the command's context with the signal as
	// the cause, so that an interrupted command exits 130 (143), as the
	// shell's convention says, rather than with the failure it caused.
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		if s, ok := <-sigs; ok {
			cancel(cli.Interrupted{Signal: s})
		}
	}()
	code := cli.Main(ctx, os.Args[1:], cli.IO{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
	signal.Stop(sigs)
	cancel(nil)
	os.Exit(code)
}
