package cli

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/latchkey/latchkey/internal/scaffold"
)

func (a *app) moduleInitCmd() *cobra.Command {
	var (
		o         scaffold.Options
		updateSDK bool
	)
	cmd := &cobra.Command{
		Use:   "init DIR --lang go|rust [--name NAME]",
		Short: "Start a new custom store: a buildable project with the guest SDK, a test and an agent config",
		Long: `Write a new custom-store project into DIR (created if missing; it must be
empty unless --force): a minimal working store against the guest SDK (Go:
main.go, built with GOOS=wasip1 GOARCH=wasm; Rust: main.rs, built with rustc
alone), its capabilities.json, build.sh, a test through latchkey module run
(Go: go test ./...; Rust: ./test.sh), an agent config (latchkey.yaml) and a
workflow using the store, and a README with the exact commands.

The guest SDK is not published anywhere go get or cargo could find it, so
init copies this latchkey's SDK into DIR/third_party/latchkey-sdk (a Go
project's go.mod replaces the SDK's module path with it): the project builds
offline. Its VERSION file names the latchkey that wrote it — the SDK's
version — and a digest of its files. Commit it; that pins the SDK.

--update-sdk replaces DIR's SDK copy with this latchkey's and touches nothing
else; it refuses a copy whose files were edited (they no longer match the
digest in VERSION) unless --force.

NAME (default: DIR's base name) names the store in the agent config, the
.wasm file and the Rust crate: 1 to 64 lowercase letters, digits and single
hyphens, starting with a letter. Files are created 0644 (scripts 0755, less
the umask) inside DIR only; a symbolic link is never followed.`,
		Example: `  latchkey module init ./vault-store --lang go
  cd vault-store && ./build.sh && go test ./...

  latchkey module init ./ssm --lang rust --name ssm-params
  latchkey module init --update-sdk ./vault-store     # after upgrading latchkey`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return fail(ExitUsage, fmt.Errorf("module init takes one DIR, got %d arguments: latchkey module init DIR --lang go|rust", len(args)))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := refuseGlobals(cmd, map[string]string{
				"config":   "module init writes a project, whose agent config is DIR/latchkey.yaml",
				"workflow": "module init writes a project, whose workflow is DIR/workflow.yaml",
				"set":      "module init reads no agent config",
			}); err != nil {
				return err
			}
			return moduleInit(cmd.OutOrStdout(), args[0], o, updateSDK)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Lang, "lang", "", "the store's language: go or rust (required, except with --update-sdk)")
	f.StringVar(&o.Name, "name", "", "the store's name (default: DIR's base name)")
	f.BoolVar(&o.Force, "force", false, "write into a non-empty DIR, replacing files of the same names and the SDK copy; with --update-sdk, replace an edited SDK copy")
	f.BoolVar(&updateSDK, "update-sdk", false, "replace DIR's copy of the guest SDK with this latchkey's, and nothing else")
	_ = cmd.RegisterFlagCompletionFunc("lang", completeValues(scaffold.LangGo, scaffold.LangRust))
	return cmd
}

// moduleInit writes a new project into dir, or with updateSDK replaces
// dir's SDK copy, as o says, and reports what it did on out. The options'
// Writer is set here, to this latchkey's version and commit.
func moduleInit(out io.Writer, dir string, o scaffold.Options, updateSDK bool) error {
	bi := readBuildInfo()
	o.Writer = fmt.Sprintf("%s (commit %s)", bi.version, bi.commit)
	var (
		res *scaffold.Result
		err error
	)
	if updateSDK {
		if o.Name != "" {
			return fail(ExitUsage, errors.New("--name does not apply to --update-sdk, which changes only the SDK copy"))
		}
		res, err = scaffold.UpdateSDK(dir, o)
	} else {
		res, err = scaffold.Init(dir, o)
	}
	if err != nil {
		if errors.Is(err, scaffold.ErrUsage) {
			return fail(ExitUsage, fmt.Errorf("module init: %w", err))
		}
		return fail(ExitInternal, err)
	}
	if updateSDK {
		writeSDKUpdated(out, res, o.Writer)
	} else {
		writeInitDone(out, res, o.Writer)
	}
	return nil
}

// writeSDKUpdated tells what module init --update-sdk replaced, with the
// scaffolder's notes. writer names the latchkey whose SDK it is.
func writeSDKUpdated(out io.Writer, res *scaffold.Result, writer string) {
	fmt.Fprintf(out, "%s: replaced %s with the guest SDK of latchkey %s (%d files, sha256 %s)\n",
		res.Dir, scaffold.SDKDir, writer, len(res.Files), res.SDKDigest)
	for _, n := range res.Notes {
		fmt.Fprintln(out, "note:", n)
	}
}

// writeInitDone tells what module init wrote and the commands that build
// and test it. writer names the latchkey whose SDK it copied.
func writeInitDone(out io.Writer, res *scaffold.Result, writer string) {
	fmt.Fprintf(out, "%s: wrote a %s store %q (%d files; guest SDK of latchkey %s in %s)\nnext:\n  cd %s\n",
		res.Dir, map[string]string{scaffold.LangGo: "Go", scaffold.LangRust: "Rust"}[res.Lang], res.Name, len(res.Files), writer, scaffold.SDKDir, res.Dir)
	if res.Lang == scaffold.LangGo {
		fmt.Fprintln(out, "  ./build.sh        # GOOS=wasip1 GOARCH=wasm go build, then latchkey module annotate\n  go test ./...     # includes a test through latchkey module run")
	} else {
		fmt.Fprintln(out, "  ./build.sh        # rustc --target wasm32-wasi (Debian: apt-get install rustc libstd-rust-dev-wasm32 lld)\n  ./test.sh         # unit tests, then a test through latchkey module run")
	}
}
