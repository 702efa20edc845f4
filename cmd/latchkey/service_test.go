//go:build unix

package main

import (
	"strings"
	"testing"
)

// TestServiceIsWindowsOnly runs the built binary: `latchkey service`
// exists everywhere, checks its flags, and off Windows exits 2 (usage)
// saying it is Windows-only, with nothing on stdout (docs/cli.md).
func TestServiceIsWindowsOnly(t *testing.T) {
	tests := []struct {
		args []string
		say  string
	}{
		{[]string{"service", "install", "-c", `C:\ProgramData\latchkey\agent.yaml`}, "works on Windows only"},
		{[]string{"service", "install", "--start", "delayed"}, `--start "delayed"`},
		{[]string{"service", "install", "--name", `..\evil`}, "--name"},
		{[]string{"service", "uninstall"}, "works on Windows only"},
		{[]string{"service", "start", "--name", "latchkey-etl"}, "works on Windows only"},
		{[]string{"service", "stop"}, "works on Windows only"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := latchkey(t, run{args: tc.args})
			if r.code != 2 || !strings.Contains(r.stderr, tc.say) || r.stdout != "" {
				t.Fatalf("exit %d, stdout %q, stderr %q; want 2 saying %q", r.code, r.stdout, r.stderr, tc.say)
			}
		})
	}
	if r := latchkey(t, run{args: []string{"service", "--help"}}); r.code != 0 || !strings.Contains(r.stdout, "uninstall") {
		t.Errorf("service --help: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
