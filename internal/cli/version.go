package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// Version and Commit are stamped at build time by scripts/build.sh:
//
//	go build -ldflags "-X github.com/latchkey/latchkey/internal/cli.Version=v1.2.3 -X github.com/latchkey/latchkey/internal/cli.Commit=0123abc" ./cmd/latchkey
//
// Unset, they fall back to what the Go toolchain recorded in the binary
// (the module version, and vcs.revision when VCS stamping was on).
var (
	Version = ""
	Commit  = ""
)

// buildInfo is what `latchkey version` reports.
type buildInfo struct {
	version, commit, goVersion string
}

// readBuildInfo combines the -ldflags stamps with the binary's build info.
func readBuildInfo() buildInfo {
	bi := buildInfo{version: strings.TrimSpace(Version), commit: strings.TrimSpace(Commit), goVersion: runtime.Version()}
	if info, ok := debug.ReadBuildInfo(); ok {
		if bi.version == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			bi.version = info.Main.Version
		}
		revision, modified := "", false
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				revision = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		if bi.commit == "" && revision != "" {
			bi.commit = revision
			if modified {
				bi.commit += "-dirty"
			}
		}
	}
	if bi.version == "" {
		bi.version = "(devel)"
	}
	if bi.commit == "" {
		bi.commit = "unknown"
	}
	return bi
}

// String is the one line `latchkey version` and `latchkey --version` print.
func (bi buildInfo) String() string {
	return fmt.Sprintf("latchkey %s (commit %s, %s %s/%s)", bi.version, bi.commit, bi.goVersion, runtime.GOOS, runtime.GOARCH)
}

func (a *app) versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print latchkey's version and commit",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return printVersion(cmd)
		},
	}
}

func printVersion(cmd *cobra.Command) error {
	if _, err := fmt.Fprintln(cmd.OutOrStdout(), readBuildInfo()); err != nil {
		return fail(ExitInternal, fmt.Errorf("writing the version: %w", err))
	}
	return nil
}
