//go:build unix

package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestClosedPipe checks that output to a pipe whose reader has gone is
// exit 1 naming the broken pipe (the README's table), not death by SIGPIPE
// (141), for every command that prints; and that exec's command still gets
// SIGPIPE's default action (so `yes | head` ends as usual).
func TestClosedPipe(t *testing.T) {
	for _, args := range [][]string{{"resolve"}, {"resolve", "-f", "env"}, {"check"}, {"check", "-f", "json"}, {"check", "--offline"}, {"version"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			pr, pw, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			pr.Close() // the reader is gone before latchkey writes
			defer pw.Close()
			if args[0] != "version" {
				args = append(args, example...)
			}
			cmd := exec.Command(bin, args...)
			cmd.Dir = "../../examples/env"
			cmd.Env = baseEnv()
			var errb bytes.Buffer
			cmd.Stdout, cmd.Stderr = pw, &errb
			err = cmd.Run()
			xe, ok := err.(*exec.ExitError)
			if !ok || xe.ExitCode() != 1 || !strings.Contains(errb.String(), "broken pipe") {
				t.Errorf("%v into a closed pipe: %v (exit %d), stderr %q; want exit 1 naming the broken pipe", args, err, exitCode(err), errb.String())
			}
			noLeak(t, "stderr", errb.String(), planted...)
		})
	}

	// exec's command: SIGPIPE at its default, so it dies of it (141 from
	// latchkey, 128+13) instead of getting EPIPE and carrying on.
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	pr.Close()
	defer pw.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append(append([]string{"exec"}, example...), "--", "sh", "-c", "while :; do echo y; done")...)
	cmd.Dir = "../../examples/env"
	cmd.Env = baseEnv()
	cmd.Stdout = pw
	err = cmd.Run()
	if code := exitCode(err); code != 128+13 {
		t.Errorf("exec'd writer into a closed pipe: %v (exit %d), want 141 (its SIGPIPE)", err, code)
	}
}

func exitCode(err error) int {
	if xe, ok := err.(*exec.ExitError); ok {
		return xe.ExitCode()
	}
	if err == nil {
		return 0
	}
	return -1
}

// TestFullDisk checks that output to /dev/full (ENOSPC) is exit 1 naming
// the error, for every command that prints.
func TestFullDisk(t *testing.T) {
	for _, args := range [][]string{{"resolve", "-f", "dotenv"}, {"check", "-f", "json"}, {"check", "--offline"}, {"version"}, {"--version"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
			if err != nil {
				t.Skipf("no /dev/full: %v", err)
			}
			defer full.Close()
			if !strings.Contains(args[0], "version") {
				args = append(args, example...)
			}
			cmd := exec.Command(bin, args...)
			cmd.Dir = "../../examples/env"
			cmd.Env = baseEnv()
			var errb bytes.Buffer
			cmd.Stdout, cmd.Stderr = full, &errb
			err = cmd.Run()
			if exitCode(err) != 1 || !strings.Contains(errb.String(), "no space left") {
				t.Errorf("%v to /dev/full: %v (exit %d), stderr %q; want exit 1 naming the error", args, err, exitCode(err), errb.String())
			}
			noLeak(t, "stderr", errb.String(), planted...)
		})
	}
}
