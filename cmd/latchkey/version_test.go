//go:build unix

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestBuildScriptStampsVersion builds latchkey with scripts/build.sh with
// VCS stamping off and checks that `version` and `--version` name the
// version and the checkout's commit.
func TestBuildScriptStampsVersion(t *testing.T) {
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skipf("not a git checkout (or no git): %v", err)
	}
	commit := strings.TrimSpace(string(head))
	out := filepath.Join(t.TempDir(), "latchkey")
	build := exec.Command("bash", "../../scripts/build.sh", out)
	build.Env = append(os.Environ(), "GOFLAGS=-buildvcs=false", "LATCHKEY_VERSION=v9.8.7-test")
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("scripts/build.sh: %v\n%s", err, b)
	}
	for _, args := range [][]string{{"version"}, {"--version"}} {
		b, err := exec.Command(out, args...).Output()
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		want := regexp.MustCompile(`^latchkey v9\.8\.7-test \(commit ` + commit + `(-dirty)?, go1\.[0-9.]+ [a-z0-9]+/[a-z0-9]+\)\n$`)
		if !want.Match(b) {
			t.Errorf("%v printed %q, want %v", args, b, want)
		}
	}
}

// TestVersionFallback checks that a binary built without stamps (as the
// tests' own, with VCS stamping as the environment has it) still prints a
// version and a commit, from the build info.
func TestVersionFallback(t *testing.T) {
	r := latchkey(t, run{args: []string{"--version"}})
	want := regexp.MustCompile(`^latchkey \S+ \(commit (unknown|[0-9a-f]{40}(-dirty)?), go1\.\S+ \S+\)\n$`)
	if r.code != 0 || !want.MatchString(r.stdout) {
		t.Fatalf("--version: exit %d, %q", r.code, r.stdout)
	}
	if v := latchkey(t, run{args: []string{"version"}}); v.stdout != r.stdout {
		t.Fatalf("version %q and --version %q differ", v.stdout, r.stdout)
	}
}
