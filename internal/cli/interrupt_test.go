package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	_ "github.com/latchkey/latchkey/providers/env"
)

// TestInterruptedExit: a resolution that a signal cancels exits 128+N
// (130 for Ctrl-C), not 4 as a failed resolution would; a plain failure
// keeps its own code; exec's command keeps its own.
func TestInterruptedExit(t *testing.T) {
	dir := t.TempDir()
	agent := filepath.Join(dir, "agent.yaml")
	wf := filepath.Join(dir, "wf.yaml")
	if err := os.WriteFile(agent, []byte("stores:\n  demo:\n    type: env\n    secrets:\n      allow: [\"DEMO_*\"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(wf, []byte("name: w\nfields:\n  a: secret://demo/DEMO_MISSING_X\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cancelled := func(sig os.Signal) context.Context {
		ctx, cancel := context.WithCancelCause(context.Background())
		cancel(Interrupted{Signal: sig})
		return ctx
	}
	tests := []struct {
		name string
		ctx  context.Context
		args []string
		want int
	}{
		{"Ctrl-C during a resolution", cancelled(os.Interrupt), []string{"resolve", "-c", agent, "-w", wf}, 130},
		{"SIGTERM during a resolution", cancelled(syscall.SIGTERM), []string{"resolve", "-c", agent, "-w", wf}, 143},
		{"a failure without a signal", context.Background(), []string{"resolve", "-c", agent, "-w", wf}, ExitResolution},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := Main(tc.ctx, tc.args, IO{In: strings.NewReader(""), Out: &out, Err: &errb})
			if code != tc.want {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tc.want, errb.String())
			}
			if tc.want >= 128 && !strings.Contains(errb.String(), "latchkey: stopped: ") {
				t.Errorf("stderr does not say it was stopped:\n%s", errb.String())
			}
		})
	}
	// exec's command speaks for itself: its own code, even when a signal
	// was received.
	if _, err := os.Stat("/bin/sh"); err == nil {
		wfok := filepath.Join(dir, "ok.yaml")
		if err := os.WriteFile(wfok, []byte("name: w\nfields:\n  a: literal:x\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		var errb bytes.Buffer
		code := Main(cancelled(os.Interrupt), []string{"exec", "-c", agent, "-w", wfok, "--", "/bin/sh", "-c", "exit 3"}, IO{In: strings.NewReader(""), Out: &bytes.Buffer{}, Err: &errb})
		if code != 3 {
			t.Fatalf("exec: exit %d, want the command's 3; stderr:\n%s", code, errb.String())
		}
	}
}

// TestServeHelpHasNoWorkflowFlag: serve reads no workflow, so its help
// does not offer -w; other commands' help still does.
func TestServeHelpHasNoWorkflowFlag(t *testing.T) {
	help := func(args ...string) string {
		var out, errb bytes.Buffer
		if code := Main(context.Background(), args, IO{In: strings.NewReader(""), Out: &out, Err: &errb}); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errb.String())
		}
		return out.String()
	}
	if h := help("serve", "--help"); strings.Contains(h, "--workflow") || !strings.Contains(h, "--config") {
		t.Errorf("serve --help:\n%s", h)
	}
	if h := help("resolve", "--help"); !strings.Contains(h, "--workflow") {
		t.Errorf("resolve --help lacks --workflow:\n%s", h)
	}
}
