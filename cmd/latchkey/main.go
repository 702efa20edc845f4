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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], cli.IO{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
	stop()
	os.Exit(code)
}
