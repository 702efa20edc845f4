//go:build unix

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/latchkey/latchkey/providers/aws/awstest"
)

// watchEnv is a loopback Secrets Manager holding secret "rot", an agent
// config and a workflow that reads it, and the environment to run in.
type watchEnv struct {
	srv        *awstest.Server
	dir        string
	agent, wf  string
	env        []string
	v1, v2, v3 string
}

func newWatchEnv(t *testing.T) *watchEnv {
	t.Helper()
	srv := awstest.Start(t)
	alice := srv.AddUser("alice")
	e := &watchEnv{srv: srv, dir: t.TempDir(), v1: "rot-planted-v1-aaaa", v2: "rot-planted-v2-bbbb", v3: "rot-planted-v3-cccc"}
	srv.PutString("rot", e.v1)
	e.agent = writeFile(t, e.dir, "agent.yaml", fmt.Sprintf(
		"stores:\n  aws:\n    type: aws\n    region: %s\n    endpoint: %s\n    max_attempts: 1\n", srv.Region, srv.URL))
	e.wf = writeFile(t, e.dir, "wf.yaml", "name: rot\nfields:\n  password: secret://aws/rot\n")
	for k, v := range srv.Env(alice) {
		e.env = append(e.env, k+"="+v)
	}
	return e
}

// started is a latchkey process running in the background. Its output
// goes to files, so that a command left running cannot hold it open.
type started struct {
	cmd            *exec.Cmd
	stdout, stderr *os.File
	done           chan struct{} // closed when the process has exited
	err            error         // Wait's result, once done is closed
}

func (e *watchEnv) start(t *testing.T, args ...string) *started {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(baseEnv(), e.env...)
	cmd.Dir = e.dir
	// Its own process group, so that cleaning up kills the command too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	s := &started{cmd: cmd, done: make(chan struct{})}
	var err error
	if s.stdout, err = os.CreateTemp(e.dir, "stdout"); err != nil {
		t.Fatal(err)
	}
	if s.stderr, err = os.CreateTemp(e.dir, "stderr"); err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = s.stdout, s.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.err = cmd.Wait(); close(s.done) }()
	t.Cleanup(func() {
		select {
		case <-s.done:
		default:
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-s.done
		}
		if t.Failed() {
			t.Logf("latchkey's stderr:\n%s", s.errors())
		}
		s.stdout.Close()
		s.stderr.Close()
	})
	return s
}

func (s *started) errors() string {
	b, _ := os.ReadFile(s.stderr.Name())
	return string(b)
}

// stop sends sig and returns the exit code.
func (s *started) stop(t *testing.T, sig syscall.Signal) int {
	t.Helper()
	_ = s.cmd.Process.Signal(sig)
	select {
	case <-s.done:
		if xe, ok := s.err.(*exec.ExitError); ok {
			return xe.ExitCode()
		}
		if s.err != nil {
			t.Fatal(s.err)
		}
		return 0
	case <-time.After(20 * time.Second):
		t.Fatalf("latchkey did not exit after %s", sig)
		return -1
	}
}

// waitFor polls file until it holds want, for at most d; it returns how
// long that took.
func waitFor(t *testing.T, file, want string, d time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for time.Since(start) < d {
		if b, _ := os.ReadFile(file); strings.Contains(string(b), want) {
			return time.Since(start)
		}
		time.Sleep(20 * time.Millisecond)
	}
	b, _ := os.ReadFile(file)
	t.Fatalf("%s does not hold %q after %s:\n%s", file, want, d, b)
	return 0
}

func lines(t *testing.T, file string) []string {
	t.Helper()
	b, _ := os.ReadFile(file)
	return strings.Fields(strings.ReplaceAll(string(b), " ", "="))
}

const interval = time.Second

func TestExecWatchRestartsOnRotation(t *testing.T) {
	e := newWatchEnv(t)
	log := filepath.Join(e.dir, "child.log")
	script := fmt.Sprintf(`echo "start $PASSWORD" >> %s; trap 'echo term >> %s; exit 0' TERM; while :; do sleep 0.05; done`, log, log)
	p := e.start(t, "exec", "--watch=1s", "--mask", "-c", e.agent, "-w", e.wf, "--", "sh", "-c", script)
	waitFor(t, log, "start "+e.v1, 15*time.Second)

	// Unchanged: version probes only, no fetch, no restart.
	time.Sleep(2*interval + interval/2)
	if n := e.srv.Count("GetSecretValue"); n != 1 {
		t.Errorf("%d GetSecretValue calls while the secret was unchanged; want 1 (the first resolution)", n)
	}
	if n := e.srv.Count("DescribeSecret"); n < 2 {
		t.Errorf("%d DescribeSecret calls in 2.5 intervals; want a probe per interval", n)
	}
	if got := lines(t, log); len(got) != 1 {
		t.Fatalf("the command was restarted while nothing changed: %q", got)
	}

	// Rotated: restarted once, with the new value, within one interval.
	e.srv.PutString("rot", e.v2)
	took := waitFor(t, log, "start "+e.v2, 3*interval)
	if took > interval+interval/2 {
		t.Errorf("the restart came %s after the rotation; want within one interval (%s) plus the restart", took, interval)
	}
	time.Sleep(2 * interval)
	want := []string{"start=" + e.v1, "term", "start=" + e.v2}
	if got := lines(t, log); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("child log %q; want %q (one restart)", got, want)
	}
	if n := e.srv.Count("GetSecretValue"); n != 2 {
		t.Errorf("%d GetSecretValue calls; want 2 (one per distinct value)", n)
	}

	// SIGTERM reaches the command, which exits 0: so does latchkey.
	if code := p.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("exit code %d; want the command's 0\n%s", code, p.errors())
	}
	noLeak(t, "stderr", p.errors(), e.v1, e.v2)
}

func TestExecWatchSignals(t *testing.T) {
	e := newWatchEnv(t)
	log := filepath.Join(e.dir, "child.log")
	script := fmt.Sprintf(`echo "start $PASSWORD" >> %s; trap 'echo "hup $PASSWORD" >> %s' HUP; trap 'exit 7' TERM; while :; do sleep 0.05; done`, log, log)
	p := e.start(t, "exec", "--watch=1s", "--on-change=signal:HUP", "-c", e.agent, "-w", e.wf, "--", "sh", "-c", script)
	waitFor(t, log, "start "+e.v1, 15*time.Second)
	e.srv.PutString("rot", e.v2)
	waitFor(t, log, "hup "+e.v1, 3*interval) // signalled; its environment cannot change
	time.Sleep(2 * interval)
	want := []string{"start=" + e.v1, "hup=" + e.v1}
	if got := lines(t, log); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("child log %q; want %q (signalled once, never restarted)", got, want)
	}
	if code := p.stop(t, syscall.SIGTERM); code != 7 {
		t.Errorf("exit code %d; want the command's 7", code)
	}
}

func TestExecWatchKillsACommandThatIgnoresSIGTERM(t *testing.T) {
	e := newWatchEnv(t)
	log := filepath.Join(e.dir, "child.log")
	script := fmt.Sprintf(`echo "start $PASSWORD" >> %s; trap '' TERM; while :; do sleep 0.05; done`, log)
	p := e.start(t, "exec", "--watch=1s", "--grace=300ms", "-c", e.agent, "-w", e.wf, "--", "sh", "-c", script)
	waitFor(t, log, "start "+e.v1, 15*time.Second)
	e.srv.PutString("rot", e.v2)
	waitFor(t, log, "start "+e.v2, 4*interval)
	if !strings.Contains(p.errors(), "did not exit within the grace period after SIGTERM; killing it (SIGKILL)") {
		t.Errorf("stderr does not say the command was killed:\n%s", p.errors())
	}
	p.stop(t, syscall.SIGKILL)
}

func TestResolveWatchRewritesOnlyOnChange(t *testing.T) {
	e := newWatchEnv(t)
	out := filepath.Join(e.dir, "wf.env")
	hook := filepath.Join(e.dir, "hook.log")
	p := e.start(t, "resolve", "-c", e.agent, "-w", e.wf, "-f", "dotenv", "-o", out, "--watch=1s",
		"--on-change", "echo changed >> "+hook)
	waitFor(t, out, e.v1, 15*time.Second)
	first, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if first.Mode().Perm() != 0o600 {
		t.Errorf("mode %v; want 0600", first.Mode().Perm())
	}
	time.Sleep(2*interval + interval/2)
	again, _ := os.Stat(out)
	if !os.SameFile(first, again) || !again.ModTime().Equal(first.ModTime()) {
		t.Error("the file was rewritten while nothing changed")
	}
	if _, err := os.Stat(hook); err == nil {
		t.Error("--on-change ran while nothing changed")
	}

	e.srv.PutString("rot", e.v2)
	if took := waitFor(t, out, e.v2, 3*interval); took > interval+interval/2 {
		t.Errorf("rewritten %s after the rotation; want within one interval", took)
	}
	waitFor(t, hook, "changed", 2*interval)
	rewritten, _ := os.Stat(out)
	if os.SameFile(first, rewritten) || rewritten.Mode().Perm() != 0o600 {
		t.Errorf("not replaced atomically with mode 0600: same file %v, mode %v", os.SameFile(first, rewritten), rewritten.Mode().Perm())
	}
	e.srv.PutString("rot", e.v3)
	waitFor(t, out, e.v3, 3*interval)
	time.Sleep(interval / 2)
	if got := lines(t, hook); len(got) != 2 {
		t.Errorf("--on-change ran %d times for 2 changes", len(got))
	}
	if code := p.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("exit code %d after SIGTERM; want 0", code)
	}
	noLeak(t, "stderr", p.errors(), e.v1, e.v2, e.v3)
	matches, _ := filepath.Glob(filepath.Join(e.dir, ".latchkey-*"))
	if len(matches) > 0 {
		t.Errorf("temporary files left behind: %v", matches)
	}
}

func TestWatchBadInput(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"zero interval", []string{"exec", "--watch=0s", "--", "true"}, "--watch=0s: the interval must be at least 1s"},
		{"below the floor", []string{"exec", "--watch=500ms", "--", "true"}, "must be at least 1s"},
		{"not a duration", []string{"exec", "--watch=often", "--", "true"}, "--watch=often: not a duration"},
		{"unknown signal", []string{"exec", "--watch=1m", "--on-change=signal:FOO", "--", "true"}, "--on-change=signal:FOO: use restart, or signal:NAME"},
		{"on-change without watch", []string{"exec", "--on-change=restart", "--", "true"}, "add --watch"},
		{"resolve to stdout", []string{"resolve", "--watch=1m"}, "--watch needs --output FILE"},
		{"resolve on-change without watch", []string{"resolve", "-o", "x.env", "--on-change", "true"}, "add --watch"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{tc.args[0]}, example...)
			args = append(args, tc.args[1:]...)
			mustFail(t, run{args: args}, 2, tc.want)
		})
	}
}

// TestExecWatchThroughServer: with --server, the resident agent does the
// checking (POST /v1/watch, a long poll) and the client restarts its
// command once when the secret rotates; while unchanged, the server makes
// metadata calls only.
func TestExecWatchThroughServer(t *testing.T) {
	e := newWatchEnv(t)
	dir := shortDir(t)
	sock := filepath.Join(dir, "s.sock")
	agent := writeFile(t, dir, "agent.yaml", fmt.Sprintf(
		"stores:\n  aws:\n    type: aws\n    region: %s\n    endpoint: %s\n    max_attempts: 1\nserve:\n  socket: %s\n", e.srv.Region, e.srv.URL, sock))
	serve(t, agent, sock, e.env...)
	log := filepath.Join(e.dir, "child.log")
	script := fmt.Sprintf(`echo "start $PASSWORD" >> %s; trap 'echo term >> %s; exit 0' TERM; while :; do sleep 0.05; done`, log, log)
	p := e.start(t, "exec", "--server", "unix://"+sock, "--watch=1s", "-w", e.wf, "--", "sh", "-c", script)
	waitFor(t, log, "start "+e.v1, 15*time.Second)
	time.Sleep(2*interval + interval/2)
	if n := e.srv.Count("GetSecretValue"); n != 1 {
		t.Errorf("%d GetSecretValue calls while unchanged; want 1", n)
		for _, c := range e.srv.Calls() {
			t.Logf("%s %s %s %d", c.Action, c.SecretID, c.VersionStage, c.Status)
		}
	}
	if got := lines(t, log); len(got) != 1 {
		t.Fatalf("restarted while nothing changed: %q", got)
	}
	e.srv.PutString("rot", e.v2)
	if took := waitFor(t, log, "start "+e.v2, 4*interval); took > interval+interval/2 {
		t.Errorf("the restart came %s after the rotation; want within one interval", took)
	}
	time.Sleep(interval)
	want := []string{"start=" + e.v1, "term", "start=" + e.v2}
	if got := lines(t, log); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("child log %q; want %q", got, want)
	}
	if code := p.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("exit %d\n%s", code, p.errors())
	}
	noLeak(t, "stderr", p.errors(), e.v1, e.v2)
}
