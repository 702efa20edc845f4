//go:build unix

package main

import (
	"strings"
	"testing"
)

// TestUsageErrors checks the CLI's answers to common slips: each is exit 2
// with a message saying what to write.
func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"unknown shell", []string{"completion", "tcsh"}, []string{`no completion for shell "tcsh"`, "bash, zsh, fish, powershell"}},
		{"no shell", []string{"completion"}, []string{"completion needs a shell"}},
		{"stray workflow", []string{"check", "-c", "agent.yaml", "workflow.yaml"}, []string{"takes no arguments", "write -w workflow.yaml"}},
		{"stray resolve", []string{"resolve", "-c", "agent.yaml", "x"}, []string{`got "x"`, "-w FILE"}},
		{"module run --config", []string{"module", "run", "m.wasm", "--config", `{"a":1}`, "--secret", "s"},
			[]string{"--config does not apply to latchkey module run", "--store-config JSON"}},
		{"bad format", []string{"check", "-c", "agent.yaml", "-w", "workflow.yaml", "-f", "yaml"}, []string{`--format "yaml": use table or json`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := latchkey(t, run{args: tc.args})
			if r.code != 2 {
				t.Errorf("exit %d, want 2: %s", r.code, r.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q: %s", w, r.stderr)
				}
			}
		})
	}
}

// TestHelpHidesGlobalsThatDoNotApply checks that version, completion and
// module do not list the agent-config flags, and resolve still does.
func TestHelpHidesGlobalsThatDoNotApply(t *testing.T) {
	for _, args := range [][]string{{"version", "--help"}, {"completion", "--help"}, {"completion", "bash", "--help"}, {"module", "--help"}, {"module", "run", "--help"}} {
		r := latchkey(t, run{args: args})
		if r.code != 0 || strings.Contains(r.stdout, "--workflow") || strings.Contains(r.stdout, "--set ") || strings.Contains(r.stdout, "-c, --config") {
			t.Errorf("%v: exit %d, lists global flags:\n%s", args, r.code, r.stdout)
		}
	}
	r := latchkey(t, run{args: []string{"module", "run", "--help"}})
	if !strings.Contains(r.stdout, "--log-level") || !strings.Contains(r.stdout, "--store-config") {
		t.Errorf("module run --help lacks --log-level or --store-config:\n%s", r.stdout)
	}
	r = latchkey(t, run{args: []string{"resolve", "--help"}})
	if !strings.Contains(r.stdout, "--workflow") {
		t.Errorf("resolve --help lost its global flags:\n%s", r.stdout)
	}
	// Nor does the shell offer them there.
	for _, args := range [][]string{{"__complete", "version", "--"}, {"__complete", "module", "run", "x", "--"}, {"__complete", "completion", "bash", "--"}} {
		r := latchkey(t, run{args: args})
		if strings.Contains(r.stdout, "--workflow") || strings.Contains(r.stdout, "--set") {
			t.Errorf("%v offers global flags:\n%s", args, r.stdout)
		}
	}
	if r := latchkey(t, run{args: []string{"__complete", "check", "--"}}); !strings.Contains(r.stdout, "--workflow") {
		t.Errorf("check's completion lost --workflow:\n%s", r.stdout)
	}
}

// TestFlagValueCompletion checks the completions offered for -f and
// --log-level, through cobra's completion protocol as the shell scripts
// call it.
func TestFlagValueCompletion(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"__complete", "resolve", "-f", ""}, "json\nenv\ndotenv\n"},
		{[]string{"__complete", "check", "--format", ""}, "table\njson\n"},
		{[]string{"__complete", "check", "--log-level", ""}, "debug\ninfo\nwarn\nerror\n"},
	}
	for _, tc := range tests {
		r := latchkey(t, run{args: tc.args})
		if !strings.HasPrefix(r.stdout, tc.want) {
			t.Errorf("%v: %q, want it to start with %q", tc.args, r.stdout, tc.want)
		}
	}
	r := latchkey(t, run{args: []string{"__complete", "check", "-c", ""}})
	if !strings.Contains(r.stdout, "yaml\nyml\njson\ntoml\n:8") { // :8 = ShellCompDirectiveFilterFileExt
		t.Errorf("-c completion: %q", r.stdout)
	}
}

// TestPinFormatFromYAML checks, through a real agent config file, that an
// all-digit sha256 that YAML reads as a number says to quote it, and that a
// pin that is no digest is a format error, not a digest mismatch.
func TestPinFormatFromYAML(t *testing.T) {
	dir := t.TempDir()
	wf := writeFile(t, dir, "wf.yaml", "fields:\n  a: secret://custom/db\n")
	tests := []struct{ name, pin, want string }{
		{"digits", strings.Repeat("1234567890", 6) + "1234", "quote it"},
		{"not hex", strings.Repeat("g", 64), "not a SHA-256 digest"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			agent := writeFile(t, dir, tc.name+".yaml", "stores:\n  custom:\n    type: wasm\n    module: ./none.wasm\n    sha256: "+tc.pin+"\n")
			r := latchkey(t, run{args: []string{"check", "--offline", "-c", agent, "-w", wf}})
			if r.code != 3 || !strings.Contains(r.stderr, `setting "sha256"`) || !strings.Contains(r.stderr, tc.want) || strings.Contains(r.stderr, "does not match") {
				t.Errorf("exit %d, want 3 with %q:\n%s", r.code, tc.want, r.stderr)
			}
		})
	}
}
