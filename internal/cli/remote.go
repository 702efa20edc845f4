package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/latchkey/latchkey/internal/safefile"
	"github.com/latchkey/latchkey/server/api"
	"github.com/latchkey/latchkey/workflow"
)

// serverFlags registers --server and --token-file on a command that can
// use a running `latchkey serve` instead of building the stores itself.
func (a *app) serverFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&a.server, "server", os.Getenv("LATCHKEY_SERVER"),
		"use a running latchkey serve: unix:///PATH (unix:// for the default socket) or tcp://127.0.0.1:PORT [$LATCHKEY_SERVER]")
	cmd.Flags().StringVar(&a.tokenFile, "token-file", os.Getenv("LATCHKEY_TOKEN_FILE"),
		"file holding the token for a tcp:// server (or set LATCHKEY_TOKEN) [$LATCHKEY_TOKEN_FILE]")
}

// remote returns a client for --server and the workflow document to send,
// read as `latchkey` reads it without a server (same name, same cap), so
// that errors read the same.
func (a *app) remote() (*api.Client, string, []byte, error) {
	if a.wfPath == "" {
		return nil, "", nil, fail(ExitUsage, errors.New("no workflow: give --workflow FILE, or --workflow - to read it from stdin (or set LATCHKEY_WORKFLOW)"))
	}
	if len(a.sets) > 0 {
		return nil, "", nil, fail(ExitUsage, errors.New("--set cannot change a running server's config: drop it, or run without --server"))
	}
	token := os.Getenv("LATCHKEY_TOKEN")
	if a.tokenFile != "" {
		b, fi, err := safefile.ReadFile(a.tokenFile, safefile.Options{})
		if err != nil {
			return nil, "", nil, fail(ExitConfig, fmt.Errorf("--token-file: %w", err))
		}
		if why := safefile.Exposed(fi); why != "" {
			a.log.Warn("--token-file "+a.tokenFile+" has "+why, "flag", "token-file")
		}
		token = strings.TrimRight(string(b), "\r\n")
	}
	c, err := api.NewClient(a.server, token)
	if err != nil {
		return nil, "", nil, fail(ExitUsage, fmt.Errorf("--server: %w", err))
	}
	name, r := a.wfPath, io.Reader(a.io.In)
	if a.wfPath == "-" {
		name = "stdin"
	} else {
		f, _, err := safefile.Open(a.wfPath, safefile.Options{})
		if err != nil {
			return nil, "", nil, fail(ExitConfig, fmt.Errorf("workflow: %w", err))
		}
		defer f.Close()
		r = f
	}
	doc, err := workflow.ReadAll(name, r)
	if err != nil {
		return nil, "", nil, fail(ExitConfig, err)
	}
	return c, name, doc, nil
}

// remoteError gives a server's error the exit code the same failure has
// without a server.
func remoteError(err error) error {
	var re *api.ResponseError
	if errors.As(err, &re) && re.Code == api.CodeResolutionFailed {
		return fail(ExitResolution, err)
	}
	return fail(ExitConfig, err)
}
