//go:build !windows

package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// errNotWindows is what `latchkey service` says on other systems.
var errNotWindows = errors.New("latchkey service manages a Windows service and works on Windows only; elsewhere run latchkey serve under your service manager (systemd: examples/systemd/latchkey.service)")

// serviceInstall checks its flags, so that a mistake in a script is
// reported wherever it is tried, then says the command is Windows-only.
func serviceInstall(_ *cobra.Command, name, account, start, config string) error {
	if config == "" {
		config = `C:\ProgramData\latchkey\agent.yaml`
	}
	s, err := newServiceSpec(name, account, start, `C:\Program Files\latchkey\latchkey.exe`, config)
	if err == nil {
		_, err = binPath(s.Exe, s.Args)
	}
	if err != nil {
		return fail(ExitUsage, err)
	}
	return fail(ExitUsage, errNotWindows)
}

func serviceUninstall(*cobra.Command, string) error { return fail(ExitUsage, errNotWindows) }
func serviceStart(*cobra.Command, string) error     { return fail(ExitUsage, errNotWindows) }
func serviceStop(*cobra.Command, string) error      { return fail(ExitUsage, errNotWindows) }
