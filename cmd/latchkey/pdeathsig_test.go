//go:build linux

package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestExecChildDiesWithLatchkey kills latchkey with SIGKILL while exec's
// command runs and checks that the command does not outlive it.
func TestExecChildDiesWithLatchkey(t *testing.T) {
	for _, mask := range []bool{false, true} {
		name := "plain"
		if mask {
			name = "mask"
		}
		t.Run(name, func(t *testing.T) {
			args := []string{"exec"}
			if mask {
				args = append(args, "--mask")
			}
			args = append(append(args, example...), "--", "sh", "-c", `echo $$; exec sleep 60`)
			cmd := exec.Command(bin, args...)
			cmd.Dir = "../../examples/env"
			cmd.Env = baseEnv()
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			line, err := bufio.NewReader(out).ReadString('\n')
			if err != nil {
				cmd.Process.Kill()
				t.Fatalf("reading the child's pid: %v", err)
			}
			pid, err := strconv.Atoi(strings.TrimSpace(line))
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			_ = cmd.Wait()
			deadline := time.Now().Add(10 * time.Second)
			for alive(pid) {
				if time.Now().After(deadline) {
					syscall.Kill(pid, syscall.SIGKILL)
					t.Fatalf("exec's command (pid %d) outlived latchkey", pid)
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}

// alive reports whether pid runs: it exists and is not a zombie waiting
// for a parent (init in a container may be slow to reap it).
func alive(pid int) bool {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}
