package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/latchkey/latchkey/internal/safefile"
	lkruntime "github.com/latchkey/latchkey/runtime"
)

// writeCapabilities prints a module's capability declaration for inspect.
func writeCapabilities(out io.Writer, c *lkruntime.Capabilities) {
	if c == nil {
		fmt.Fprintf(out, "capabilities: none declared (no %s section)\n", lkruntime.CapabilitiesSection)
		return
	}
	list := func(v []string) string {
		if len(v) == 0 {
			return "(none)"
		}
		return strings.Join(v, ", ")
	}
	fmt.Fprintf(out, "capabilities:\n  hosts:       %s\n  credentials: %s\n  config:      %s\n", list(c.Hosts), list(c.Credentials), list(c.Config))
}

func (a *app) moduleAnnotateCmd() *cobra.Command {
	var capsFile, out string
	cmd := &cobra.Command{
		Use:   "annotate FILE --capabilities JSON_FILE -o OUT",
		Short: "Add a capability declaration (the latchkey.capabilities section) to a module",
		Long: `Append a latchkey.capabilities custom section to a built module: the hosts
it calls, the credentials it expects and the config keys it reads (schema in
guest-sdk/ABI.md). This is the build step for Go guests, whose toolchain
cannot emit a custom section; Rust guests use the SDK's capabilities! macro.
The section is checked as the agent checks it, and a module that already has
one is refused. The annotated file has a new sha256: pin that one.`,
		Example: `  echo '{"version": 1, "hosts": ["config:store_url"], "config": ["store_url"]}' > caps.json
  latchkey module annotate store.wasm --capabilities caps.json -o store.wasm`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if capsFile == "" || out == "" {
				return fail(ExitUsage, errors.New("--capabilities JSON_FILE and -o OUT are required"))
			}
			wasmBytes, _, err := safefile.ReadFile(args[0], safefile.Options{MaxSize: maxModuleFile})
			if err != nil {
				return fail(ExitConfig, fmt.Errorf("module %s: %w", args[0], err))
			}
			raw, _, err := safefile.ReadFile(capsFile, safefile.Options{})
			if err != nil {
				return fail(ExitConfig, fmt.Errorf("capabilities %s: %w", capsFile, err))
			}
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.DisallowUnknownFields()
			var c lkruntime.Capabilities
			if err := dec.Decode(&c); err != nil {
				return fail(ExitConfig, fmt.Errorf("capabilities %s: %w", capsFile, err))
			}
			annotated, err := lkruntime.AppendCapabilities(wasmBytes, &c)
			if err != nil {
				return fail(ExitConfig, fmt.Errorf("module %s: %w", args[0], err))
			}
			info, err := lkruntime.Inspect(cmd.Context(), annotated, lkruntime.Limits{})
			if err != nil {
				return fail(ExitConfig, fmt.Errorf("module %s: %w", args[0], err))
			}
			if err := os.WriteFile(out, annotated, 0o644); err != nil {
				return fail(ExitConfig, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: sha256 %s\n", out, info.SHA256)
			return nil
		},
	}
	cmd.Flags().StringVar(&capsFile, "capabilities", "", "JSON file with the declaration (required)")
	cmd.Flags().StringVarP(&out, "output", "o", "", "where to write the annotated module; may be FILE itself (required)")
	return cmd
}
