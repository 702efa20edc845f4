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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], cli.IO{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
	stop()
	os.Exit(code)
}
