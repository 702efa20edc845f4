//go:build unix

// The built binary is tested over unix sockets; on Windows it is
// checked by building only (docs/windows.md).

package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// bin is the latchkey binary built once for all end-to-end tests.
var bin string

func TestMain(m *testing.M) {
	if spec := os.Getenv(holdEnv); spec != "" {
		holdConnections(spec) // TestServeSlots's attacker; never returns
	}
	dir, err := os.MkdirTemp("", "latchkey-e2e")
	if err != nil {
		panic(err)
	}
	bin = filepath.Join(dir, "latchkey")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		panic("building latchkey: " + err.Error())
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// Planted values: no test output but the resolved result may contain them.
const (
	plantedPassword = "pl4nted-Passw0rd"
	plantedToken    = "pl4nted-T0ken-xyz"
	plantedOther    = "agent-own-credential-77"
)

var planted = []string{plantedPassword, plantedToken, plantedOther}

// baseEnv is the environment every run gets: the example's secrets plus a
// credential the env store must refuse to hand out.
func baseEnv() []string {
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + os.Getenv("HOME"),
		`DEMO_DB={"username":"orders_app","password":"` + plantedPassword + `"}`,
		"DEMO_API_TOKEN=" + plantedToken,
		"AWS_SECRET_ACCESS_KEY=" + plantedOther,
	}
}

type run struct {
	args  []string
	env   []string
	stdin string
	dir   string
}

type result struct {
	stdout, stderr string
	code           int
}

func latchkey(t *testing.T, r run) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, r.args...)
	cmd.Env = append(baseEnv(), r.env...)
	cmd.Dir = r.dir
	if cmd.Dir == "" {
		cmd.Dir = "../../examples/env"
	}
	cmd.Stdin = strings.NewReader(r.stdin)
	return collect(t, cmd)
}

// collect runs cmd and returns its output and exit code; a command that
// cannot be run at all fails the test.
func collect(t *testing.T, cmd *exec.Cmd) result {
	t.Helper()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if xe, ok := err.(*exec.ExitError); ok {
		code = xe.ExitCode()
	} else if err != nil {
		t.Fatalf("running %s: %v", filepath.Base(cmd.Path), err)
	}
	return result{out.String(), errb.String(), code}
}

// writeFile writes content to dir/name with mode 0600 and returns the path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// mustResolve runs latchkey, which must succeed and print every one of wants.
func mustResolve(t *testing.T, r run, wants ...string) result {
	t.Helper()
	res := latchkey(t, r)
	if res.code != 0 {
		t.Fatalf("latchkey %v: exit %d: %s", r.args, res.code, res.stderr)
	}
	for _, w := range wants {
		if !strings.Contains(res.stdout, w) {
			t.Errorf("latchkey %v: stdout lacks %s:\n%s", r.args, w, res.stdout)
		}
	}
	return res
}

// mustFail runs latchkey, which must exit with code, print nothing on
// stdout, and say every one of wants on stderr.
func mustFail(t *testing.T, r run, code int, wants ...string) result {
	t.Helper()
	res := latchkey(t, r)
	if res.code != code || res.stdout != "" {
		t.Fatalf("latchkey %v: exit %d (want %d), stdout %q, stderr: %s", r.args, res.code, code, res.stdout, res.stderr)
	}
	for _, w := range wants {
		if !strings.Contains(res.stderr, w) {
			t.Errorf("latchkey %v: stderr lacks %q:\n%s", r.args, w, res.stderr)
		}
	}
	return res
}

// noLeak fails when any planted value appears in s.
func noLeak(t *testing.T, what, s string, values ...string) {
	t.Helper()
	for _, v := range values {
		if strings.Contains(s, v) {
			t.Errorf("%s contains the planted value %q", what, v)
		}
	}
}

var example = []string{"-c", "agent.yaml", "-w", "workflow.yaml"}

func TestResolveJSON(t *testing.T) {
	r := latchkey(t, run{args: append([]string{"resolve", "--log-level", "debug"}, example...)})
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{`"password": "` + plantedPassword + `"`, `"api_token": "` + plantedToken + `"`,
		`"username": "orders_app"`, `"region": "eu-west-1"`, `"banner": "secret://this/is/not/a/reference"`} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %s:\n%s", want, r.stdout)
		}
	}
	noLeak(t, "debug log", r.stderr, planted...)
	if !strings.Contains(r.stderr, "fetched secret") {
		t.Errorf("debug log should record fetches: %s", r.stderr)
	}
}

func TestResolveFormatsAndFile(t *testing.T) {
	r := latchkey(t, run{args: append([]string{"resolve", "-f", "env"}, example...)})
	if r.code != 0 || !strings.Contains(r.stdout, "export PASSWORD='"+plantedPassword+"'\n") || !strings.Contains(r.stdout, "export ORDERS_API_TOKEN=") {
		t.Fatalf("env format: %d %s %s", r.code, r.stdout, r.stderr)
	}
	r = latchkey(t, run{args: append([]string{"resolve", "-f", "dotenv", "--env-prefix", "wf_", "--env-case", "preserve"}, example...)})
	if r.code != 0 || !strings.Contains(r.stdout, `wf_password="`+plantedPassword+`"`) {
		t.Fatalf("dotenv format: %d %s %s", r.code, r.stdout, r.stderr)
	}
	out := filepath.Join(t.TempDir(), "wf.json")
	if err := os.WriteFile(out, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = latchkey(t, run{args: append([]string{"resolve", "-o", out}, example...)})
	if r.code != 0 || r.stdout != "" {
		t.Fatalf("-o: exit %d, stdout %q, stderr %s", r.code, r.stdout, r.stderr)
	}
	fi, err := os.Stat(out)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("output file mode %v, %v; want 0600", fi.Mode(), err)
	}
	data, _ := os.ReadFile(out)
	if !strings.Contains(string(data), plantedPassword) {
		t.Fatal("output file lacks the resolved value")
	}
}

func TestResolveFromStdin(t *testing.T) {
	wf := `{"fields": {"p": "secret://demo/DEMO_DB#password"}}`
	r := latchkey(t, run{args: []string{"resolve", "-c", "agent.yaml", "-w", "-"}, stdin: wf})
	if r.code != 0 || !strings.Contains(r.stdout, plantedPassword) {
		t.Fatalf("stdin workflow: %d %s %s", r.code, r.stdout, r.stderr)
	}
}

func TestExec(t *testing.T) {
	r := latchkey(t, run{
		args:  append(append([]string{"exec"}, example...), "--", "sh", "-c", `read line; echo "in=$line pw=$PASSWORD tok=$ORDERS_API_TOKEN aws=${AWS_SECRET_ACCESS_KEY:-unset}"; exit 7`),
		stdin: "hello\n",
	})
	if r.code != 7 {
		t.Fatalf("want the child's exit code 7, got %d: %s", r.code, r.stderr)
	}
	want := "in=hello pw=" + plantedPassword + " tok=" + plantedToken + " aws=" + plantedOther
	if strings.TrimSpace(r.stdout) != want {
		t.Fatalf("child saw %q, want %q", r.stdout, want)
	}
	// --clean-env: only the resolved fields (no AWS_SECRET_ACCESS_KEY, no PATH).
	r = latchkey(t, run{args: append(append([]string{"exec", "--clean-env"}, example...), "--", "/usr/bin/env")})
	if r.code != 0 || strings.Contains(r.stdout, "AWS_SECRET_ACCESS_KEY") || strings.Contains(r.stdout, "PATH=") ||
		!strings.Contains(r.stdout, "PASSWORD="+plantedPassword) {
		t.Fatalf("--clean-env env:\n%s\n%s", r.stdout, r.stderr)
	}
}

// TestExecCommandFlags checks that flags after COMMAND are COMMAND's, with
// or without "--".
func TestExecCommandFlags(t *testing.T) {
	r := latchkey(t, run{args: append(append([]string{"exec"}, example...), "sh", "-c", `echo "$1 $PASSWORD"`, "sh", "--mask")})
	if r.code != 0 || r.stdout != "--mask "+plantedPassword+"\n" {
		t.Fatalf("exit %d, stdout %q, stderr %s", r.code, r.stdout, r.stderr)
	}
}

// TestOutputFailure checks that a result that cannot be written is an
// internal error (exit 1), not a usage error.
func TestOutputFailure(t *testing.T) {
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skipf("no /dev/full: %v", err)
	}
	defer full.Close()
	for _, args := range [][]string{{"resolve"}, {"check"}} {
		cmd := exec.Command(bin, append(args, example...)...)
		cmd.Dir = "../../examples/env"
		cmd.Env = baseEnv()
		var errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = full, &errb
		err := cmd.Run()
		xe, ok := err.(*exec.ExitError)
		if !ok || xe.ExitCode() != 1 || !strings.Contains(errb.String(), "no space left") || strings.Contains(errb.String(), "--help") {
			t.Errorf("%v to /dev/full: %v, stderr %q; want exit 1 naming the write error", args, err, errb.String())
		}
		noLeak(t, "stderr", errb.String(), planted...)
	}
}

func TestExecMask(t *testing.T) {
	// The child prints the password in two writes with a pause between, and
	// the token on stderr.
	script := `printf '%s' "pw=${PASSWORD%????????}"; sleep 0.2; printf '%s\n' "${PASSWORD#????????} done"; echo "tok=$ORDERS_API_TOKEN" >&2`
	r := latchkey(t, run{args: append(append([]string{"exec", "--mask"}, example...), "--", "sh", "-c", script)})
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	noLeak(t, "masked stdout", r.stdout, plantedPassword)
	noLeak(t, "masked stderr", r.stderr, plantedToken)
	if r.stdout != "pw=<concealed by latchkey> done\n" || !strings.Contains(r.stderr, "tok=<concealed by latchkey>") {
		t.Fatalf("masked output: stdout %q stderr %q", r.stdout, r.stderr)
	}
}

func TestExecForwardsSignals(t *testing.T) {
	cmd := exec.Command(bin, append(append([]string{"exec"}, example...), "--", "sh", "-c",
		`trap 'echo got-term; exit 42' TERM; echo ready; while :; do sleep 0.05; done`)...)
	cmd.Dir = "../../examples/env"
	cmd.Env = baseEnv()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 6)
	if _, err := stdout.Read(buf); err != nil || string(buf) != "ready\n" {
		t.Fatalf("child did not start: %q %v", buf, err)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	rest := make([]byte, 64)
	n, _ := stdout.Read(rest)
	err = cmd.Wait()
	xe, ok := err.(*exec.ExitError)
	if !ok || xe.ExitCode() != 42 || !strings.Contains(string(rest[:n]), "got-term") {
		t.Fatalf("SIGTERM not forwarded: err %v, output %q", err, rest[:n])
	}
}

func TestCheck(t *testing.T) {
	r := latchkey(t, run{args: append([]string{"check"}, example...)})
	if r.code != 0 || !strings.Contains(r.stdout, "password   demo   DEMO_DB") || !strings.Contains(r.stdout, "absent: default used") {
		t.Fatalf("check: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	noLeak(t, "check output", r.stdout+r.stderr, planted...)
	r = latchkey(t, run{args: append([]string{"check", "--offline"}, example...), env: []string{"DEMO_DB="}})
	if r.code != 0 || !strings.Contains(r.stdout, `secrets rule (stores.demo.secrets): allow "DEMO_*"`) {
		t.Fatalf("check --offline: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}

func TestVersionHelpCompletion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--help"}, {"resolve", "--help"}, {"exec", "--help"}, {"check", "--help"}, {"completion", "bash"}} {
		r := latchkey(t, run{args: args})
		if r.code != 0 || r.stdout == "" {
			t.Errorf("%v: exit %d, stdout %d bytes, stderr %s", args, r.code, len(r.stdout), r.stderr)
		}
		noLeak(t, strings.Join(args, " "), r.stdout+r.stderr, planted...)
	}
}

// TestBadInput runs every bad input the issue lists through the binary: each
// must fail with a clear message and the documented exit code, print
// nothing on stdout, and leak no planted value.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string { return writeFile(t, dir, name, content) }
	agent := write("agent.yaml", "default_store: demo\nstores:\n  demo: {type: env, allow: [\"DEMO_*\"]}\n")
	n := 0
	wf := func(fields string) string {
		n++
		return write(fmt.Sprintf("wf-%d.yaml", n), "fields:\n"+fields)
	}
	// A directory where a file should be: unreadable even for root (CI runs
	// as root, which reads files whatever their mode).
	unreadable := filepath.Join(dir, "unreadable.yaml")
	if err := os.Mkdir(unreadable, 0o700); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"missing config file", []string{"resolve", "-c", filepath.Join(dir, "nope.yaml"), "-w", wf("  a: b\n")}, 3, []string{"nope.yaml", "no such file"}},
		{"unreadable config", []string{"resolve", "-c", unreadable, "-w", wf("  a: b\n")}, 3, []string{"unreadable.yaml", "is a directory"}},
		{"malformed config", []string{"resolve", "-c", write("bad.yaml", "stores:\n  demo:\n   type: env\n  allow: [\n"), "-w", wf("  a: b\n")}, 3, []string{"bad.yaml", "yaml: line"}},
		{"unknown store type", []string{"resolve", "-c", write("t.yaml", "stores: {demo: {type: vault}}\n"), "-w", wf("  a: b\n")}, 3, []string{`unknown store type "vault"`, "known types:"}},
		{"missing workflow", []string{"resolve", "-c", agent, "-w", filepath.Join(dir, "none.yaml")}, 3, []string{"none.yaml"}},
		{"unreadable workflow", []string{"resolve", "-c", agent, "-w", unreadable}, 3, []string{"unreadable.yaml", "is a directory"}},
		{"malformed workflow", []string{"resolve", "-c", agent, "-w", write("m.json", `{"fields": {"a": }`)}, 3, []string{"m.json", "line 1"}},
		{"undeclared store", []string{"resolve", "-c", agent, "-w", wf("  a: secret://vault/x\n")}, 3, []string{`uses store "vault"`, "declared: demo"}},
		{"empty field name", []string{"resolve", "-c", agent, "-w", wf("  \"\": x\n")}, 3, []string{"empty field name"}},
		{"duplicate fields", []string{"resolve", "-c", agent, "-w", wf("  a: x\n  a: y\n")}, 3, []string{`"a" is defined twice`}},
		{"typo in reference", []string{"resolve", "-c", agent, "-w", wf("  a: secret:/demo/DEMO_DB\n")}, 3, []string{`expected "//"`}},
		{"key absent", []string{"resolve", "-c", agent, "-w", wf("  a: secret://demo/DEMO_DB#passwd\n")}, 4, []string{`field "a"`, `key "passwd"`, "keys present: password, username"}},
		{"not JSON", []string{"resolve", "-c", agent, "-w", wf("  a: secret://demo/DEMO_API_TOKEN#k\n")}, 4, []string{"not a JSON document"}},
		{"env var not allowed", []string{"resolve", "-c", agent, "-w", wf("  a: secret://demo/AWS_SECRET_ACCESS_KEY\n")}, 3, []string{`field "a"`, `store "demo"`, "rule stores.demo.allow", `no allow pattern matches it (allow: "DEMO_*")`}},
		{"env var not allowed, offline check", []string{"check", "--offline", "-c", agent, "-w", wf("  a: secret://demo/AWS_SECRET_ACCESS_KEY\n")}, 3, []string{`field "a"`, "rule stores.demo.allow"}},
		{"malformed and dead patterns", []string{"check", "--offline", "-c", write("badrule.yaml", "stores:\n  demo:\n    type: env\n    secrets:\n      allow: [\"DEMO_*\", \"DEMO_DB\", \"A**\"]\n      deny: [\"DEMO_*\"]\n      alow: []\n"), "-w", wf("  a: b\n")}, 3,
			[]string{`"stores.demo.secrets.alow": unknown key`, `allow "DEMO_DB" is already covered by allow "DEMO_*"`, `"**"`, `allow "DEMO_*" can never match: deny "DEMO_*"`}},
		{"env store without a rule", []string{"check", "--offline", "-c", write("norule.yaml", "stores:\n  demo: {type: env}\n"), "-w", wf("  a: b\n")}, 3,
			[]string{`store "demo": setting "secrets": needs allow patterns`}},
		{"allow and secrets both", []string{"check", "--offline", "-c", write("both.yaml", "stores:\n  demo: {type: env, allow: [X], secrets: {allow: [Y]}}\n"), "-w", wf("  a: b\n")}, 3,
			[]string{`"stores.demo.allow": give the env store's patterns once`}},
		{"old character class", []string{"check", "--offline", "-c", write("class.yaml", "stores:\n  demo: {type: env, allow: [\"DEMO_[AB]\"]}\n"), "-w", wf("  a: b\n")}, 3,
			[]string{`"stores.demo.allow[0]"`, "character class"}},
		{"env var not set", []string{"resolve", "-c", agent, "-w", wf("  a: secret://demo/DEMO_NOPE\n")}, 4, []string{`"DEMO_NOPE" is not set`}},
		{"every failure listed", []string{"resolve", "-c", agent, "-w", wf("  a: secret://demo/DEMO_NOPE\n  b: secret://demo/DEMO_DB#x\n")}, 4, []string{"2 field(s) failed", `field "a"`, `field "b"`}},
		{"check fails", []string{"check", "-c", agent, "-w", wf("  a: secret://demo/DEMO_NOPE\n")}, 4, []string{"1 of 1 field(s) failed"}},
		{"bad format", []string{"resolve", "-f", "xml", "-c", agent, "-w", wf("  a: b\n")}, 2, []string{`--format "xml"`}},
		{"no config", []string{"resolve", "-w", wf("  a: b\n")}, 2, []string{"--config"}},
		{"exec no command", []string{"exec", "-c", agent, "-w", wf("  a: b\n"), "--", "no-such-cmd-zz"}, 127, []string{"no-such-cmd-zz"}},
		{"exec command not executable", []string{"exec", "-c", agent, "-w", wf("  a: b\n"), "--", agent}, 126, []string{"agent.yaml", "permission denied"}},
		{"exec a directory", []string{"exec", "-c", agent, "-w", wf("  a: b\n"), "--", dir}, 126, []string{"is a directory"}},
		{"exec without command", []string{"exec", "-c", agent, "-w", wf("  a: b\n")}, 2, []string{"exec needs a command", "-- COMMAND"}},
		{"deadline exceeded", []string{"resolve", "--set", "timeout=1ns", "-c", agent, "-w", wf("  a: secret://demo/DEMO_DB\n")}, 4, []string{`field "a"`, "deadline exceeded"}},
		{"bad --set", []string{"resolve", "--set", "nokey", "-c", agent, "-w", wf("  a: b\n")}, 2, []string{"want key=value"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := latchkey(t, run{args: tc.args})
			if r.code != tc.code {
				t.Errorf("exit %d, want %d; stderr: %s", r.code, tc.code, r.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stderr+r.stdout, w) {
					t.Errorf("output lacks %q:\nstdout: %s\nstderr: %s", w, r.stdout, r.stderr)
				}
			}
			if tc.args[0] == "resolve" && r.stdout != "" {
				t.Errorf("a failed resolve printed on stdout: %q", r.stdout)
			}
			if strings.Contains(r.stderr, "panic") || strings.Contains(r.stderr, "goroutine ") {
				t.Errorf("panicked: %s", r.stderr)
			}
			noLeak(t, "output", r.stdout+r.stderr, planted...)
		})
	}
}

// TestExecMaskBackgroundProcess checks that a process the command leaves
// running with its stdout open does not keep exec --mask waiting.
func TestExecMaskBackgroundProcess(t *testing.T) {
	start := time.Now()
	r := latchkey(t, run{args: append(append([]string{"exec", "--mask"}, example...), "--", "sh", "-c", "sleep 30 & echo pw=$PASSWORD; exit 3")})
	if took := time.Since(start); took > 15*time.Second {
		t.Fatalf("exec --mask waited %v for a background process", took)
	}
	if r.code != 3 || r.stdout != "pw=<concealed by latchkey>\n" {
		t.Fatalf("exit %d, stdout %q, stderr %s", r.code, r.stdout, r.stderr)
	}
}

// TestExecDoesNotRunOnFailure checks that exec runs nothing when a field
// fails: the command must never start with a partial environment.
func TestExecDoesNotRunOnFailure(t *testing.T) {
	dir := t.TempDir()
	wf := writeFile(t, dir, "wf.yaml", "fields:\n  ok: secret://demo/DEMO_DB#password\n  bad: secret://demo/DEMO_NOPE\n")
	marker := filepath.Join(dir, "ran")
	r := mustFail(t, run{args: []string{"exec", "-c", "agent.yaml", "-w", wf, "--", "touch", marker}}, 4, `field "bad"`)
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("the command ran although a field failed")
	}
	noLeak(t, "stderr", r.stderr, planted...)
}

// TestCheckStatuses checks that check reports each field's own outcome —
// found, default used, omitted, failed — even when another field fails.
func TestCheckStatuses(t *testing.T) {
	dir := t.TempDir()
	wf := writeFile(t, dir, "wf.yaml", `fields:
  found: secret://demo/DEMO_DB#password
  defaulted: secret://demo/DEMO_NOPE?default=x
  omitted: secret://demo/DEMO_NOPE#k?optional
  failed: secret://demo/DEMO_DB#nokey
`)
	r := latchkey(t, run{args: []string{"check", "-c", "agent.yaml", "-w", wf}})
	if r.code != 4 {
		t.Fatalf("exit %d, want 4: %s", r.code, r.stderr)
	}
	for _, want := range []string{"found      demo   DEMO_DB    password  ok\n", "absent: default used", "optional, absent: omitted", `FAIL: key "nokey"`} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("check output lacks %q:\n%s", want, r.stdout)
		}
	}
	noLeak(t, "check output", r.stdout+r.stderr, planted...)
}
