//go:build unix

package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/logbuf"
	"github.com/latchkey/latchkey/server/api"
)

// served is a `latchkey serve` process.
type served struct {
	t      *testing.T
	cmd    *exec.Cmd
	sock   string
	tcp    string // host:port, when serve.tcp is set
	stderr *logbuf.Buffer
	exited chan struct{}
	code   int
	unix   *http.Client
}

var listening = regexp.MustCompile(`msg=listening addr=(\S+) network=tcp`)

// shortDir is a temp dir short enough for a unix socket path.
func shortDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "lke")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// serve starts `latchkey serve -c agent` with env added to baseEnv and
// waits until /readyz answers over sock.
func serve(t *testing.T, agent, sock string, env ...string) *served {
	t.Helper()
	s := startServe(t, agent, sock, env...)
	s.waitReady()
	return s
}

func startServe(t *testing.T, agent, sock string, env ...string) *served {
	t.Helper()
	cmd := exec.Command(bin, "serve", "-c", agent)
	cmd.Env = append(baseEnv(), env...)
	cmd.Dir = filepath.Dir(agent)
	return startCmd(t, cmd, sock)
}

// startCmd starts cmd, a latchkey serve that will listen on sock.
func startCmd(t *testing.T, cmd *exec.Cmd, sock string) *served {
	t.Helper()
	s := &served{t: t, cmd: cmd, sock: sock, stderr: &logbuf.Buffer{}, exited: make(chan struct{}), unix: unixHTTP(sock)}
	s.cmd.Stderr = s.stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		err := s.cmd.Wait()
		s.code = 0
		if xe, ok := err.(*exec.ExitError); ok {
			s.code = xe.ExitCode()
		}
		close(s.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-s.exited:
		default:
			_ = s.cmd.Process.Kill()
			<-s.exited
		}
	})
	return s
}

func (s *served) waitReady() {
	s.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			s.t.Fatalf("latchkey serve exited %d:\n%s", s.code, s.stderr.String())
		default:
		}
		if resp, err := s.unix.Get("http://l/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				if m := listening.FindStringSubmatch(s.stderr.String()); m != nil {
					s.tcp = m[1]
				}
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.t.Fatalf("latchkey serve not ready after 60s:\n%s", s.stderr.String())
}

// signal sends sig and, for SIGTERM and SIGKILL, waits for the exit.
func (s *served) signal(sig syscall.Signal) {
	s.t.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil {
		s.t.Fatal(err)
	}
	if sig == syscall.SIGTERM || sig == syscall.SIGKILL {
		select {
		case <-s.exited:
		case <-time.After(30 * time.Second):
			s.t.Fatalf("latchkey serve did not exit after %v:\n%s", sig, s.stderr.String())
		}
	}
}

// waitLog waits for a line of the server's log that contains want.
func (s *served) waitLog(want string) string {
	s.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		sc := bufio.NewScanner(strings.NewReader(s.stderr.String()))
		for sc.Scan() {
			if strings.Contains(sc.Text(), want) {
				return sc.Text()
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.t.Fatalf("the server never logged %q:\n%s", want, s.stderr.String())
	return ""
}

func unixHTTP(path string) *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DialContext: api.UnixDialer(path)}}
}

type answer struct {
	status int
	body   string
}

// get sends a request over the unix socket (base "http://l") or TCP.
func get(t *testing.T, c *http.Client, method, url, body string, hdr ...string) answer {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, string(b)}
}

// TestServeSameAsCLI runs resolve, check and exec with and without
// --server and requires the same stdout, stderr and exit code.
func TestServeSameAsCLI(t *testing.T) {
	dir := shortDir(t)
	example, _ := filepath.Abs("../../examples/env")
	tokenFile := writeFile(t, dir, "token", "cli-token-0123456789abcdef\n")
	agent := writeFile(t, dir, "agent.yaml", strings.ReplaceAll(mustRead(t, filepath.Join(example, "agent.yaml")), "timeout: 10s",
		"timeout: 10s\nserve:\n  socket: "+filepath.Join(dir, "s.sock")+"\n  tcp: 127.0.0.1:0\n  token_file: "+tokenFile))
	env := []string{"DEMO_BIN=\xff\xfe"}
	srv := serve(t, agent, filepath.Join(dir, "s.sock"), env...)
	wfDir := t.TempDir()
	bad := writeFile(t, wfDir, "bad.yaml", "fields:\n  a: secret://demo/DEMO_NOPE\n  b: secret://demo/DEMO_DB#nokey\n  c: secret://demo/AWS_SECRET_ACCESS_KEY\n  d: ok\n")
	undeclared := writeFile(t, wfDir, "undeclared.yaml", "fields:\n  a: secret://nostore/x\n")
	malformed := writeFile(t, wfDir, "malformed.json", `{"fields": {"a": "secret://demo/DEMO_DB",}}`)
	badRef := writeFile(t, wfDir, "badref.yaml", "fields:\n  a: Secret://demo/x?verison=2\n")
	binary := writeFile(t, wfDir, "binary.yaml", "fields:\n  b: secret://demo/DEMO_BIN\n")
	collide := writeFile(t, wfDir, "collide.yaml", "fields:\n  a-b: x\n  a_b: y\n")
	wf := filepath.Join(example, "workflow.yaml")
	tests := []struct {
		name  string
		args  []string
		stdin string
	}{
		{"resolve json", []string{"resolve", "-w", wf}, ""},
		{"resolve env", []string{"resolve", "-f", "env", "-w", wf}, ""},
		{"resolve dotenv prefix", []string{"resolve", "-f", "dotenv", "--env-prefix", "wf_", "--env-case", "preserve", "-w", wf}, ""},
		{"resolve stdin", []string{"resolve", "-w", "-"}, `{"fields": {"p": "secret://demo/DEMO_DB#password"}}`},
		{"resolve failures", []string{"resolve", "-w", bad}, ""},
		{"resolve undeclared store", []string{"resolve", "-w", undeclared}, ""},
		{"resolve malformed", []string{"resolve", "-w", malformed}, ""},
		{"resolve bad reference", []string{"resolve", "-w", badRef}, ""},
		{"resolve binary as json", []string{"resolve", "-w", binary}, ""},
		{"resolve missing file", []string{"resolve", "-w", filepath.Join(wfDir, "nope.yaml")}, ""},
		{"resolve bad format flag", []string{"resolve", "-f", "xml", "-w", wf}, ""},
		{"check", []string{"check", "-w", wf}, ""},
		{"check failures", []string{"check", "-w", bad}, ""},
		{"check offline", []string{"check", "--offline", "-w", wf}, ""},
		{"check json", []string{"check", "--format", "json", "-w", bad}, ""},
		{"check json offline", []string{"check", "-f", "json", "--offline", "-w", wf}, ""},
		{"check json undeclared", []string{"check", "-f", "json", "-w", undeclared}, ""},
		{"check undeclared", []string{"check", "-w", undeclared}, ""},
		{"exec", []string{"exec", "-w", wf, "--", "sh", "-c", `echo "pw=$PASSWORD tok=$ORDERS_API_TOKEN"; exit 7`}, ""},
		{"exec drops the stores' variables", []string{"exec", "-w", wf, "--", "sh", "-c", `echo "db=${DEMO_DB:-unset} tok=${DEMO_API_TOKEN:-unset}"`}, ""},
		{"exec keep-store-env", []string{"exec", "--keep-store-env", "-w", wf, "--", "sh", "-c", `echo "tok=${DEMO_API_TOKEN:-unset}"`}, ""},
		{"exec mask", []string{"exec", "--mask", "-w", wf, "--", "sh", "-c", `echo "pw=$PASSWORD"`}, ""},
		{"exec binary", []string{"exec", "-w", binary, "--", "sh", "-c", `printf %s "$B" | od -An -tx1`}, ""},
		{"exec failures", []string{"exec", "-w", bad, "--", "true"}, ""},
		{"exec collision", []string{"exec", "-w", collide, "--", "true"}, ""},
		{"exec no command", []string{"exec", "-w", wf, "--", "no-such-command-xyz"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			local := latchkey(t, run{args: append([]string{tc.args[0], "-c", agent}, tc.args[1:]...), stdin: tc.stdin, env: env, dir: dir})
			for _, server := range []struct{ addr, tokenFile string }{{"unix://" + srv.sock, ""}, {"tcp://" + srv.tcp, tokenFile}} {
				args := append([]string{tc.args[0], "--server", server.addr}, tc.args[1:]...)
				if server.tokenFile != "" {
					args = append([]string{tc.args[0], "--server", server.addr, "--token-file", server.tokenFile}, tc.args[1:]...)
				}
				remote := latchkey(t, run{args: args, stdin: tc.stdin, env: env, dir: dir})
				if i := strings.Index(local.stdout, "\nAUDIT\n"); i >= 0 && tc.args[0] == "check" {
					// check --offline describes the local config's audit and
					// callers sections; through a server there is no local
					// config, and the server's are its operator's.
					local.stdout = local.stdout[:i]
				}
				if local != remote {
					t.Fatalf("with and without --server %s differ:\nlocal:  exit %d\n%s\n%s\nremote: exit %d\n%s\n%s",
						server.addr, local.code, local.stdout, local.stderr, remote.code, remote.stdout, remote.stderr)
				}
				noLeak(t, "stderr", remote.stderr, plantedOther)
			}
		})
	}
	// LATCHKEY_SERVER does what --server does; an explicit -c wins over it
	// (not over --server).
	r := mustResolve(t, run{args: []string{"resolve", "-w", wf}, env: []string{"LATCHKEY_SERVER=unix://" + srv.sock}, dir: dir}, plantedPassword)
	noLeak(t, "stderr", r.stderr, plantedPassword)
	mustResolve(t, run{args: []string{"resolve", "-c", agent, "-w", wf}, env: []string{"LATCHKEY_SERVER=unix://" + filepath.Join(dir, "none.sock")}, dir: dir}, plantedPassword)
	mustFail(t, run{args: []string{"resolve", "-c", agent, "--server", "unix://" + filepath.Join(dir, "none.sock"), "-w", wf}, dir: dir}, 3, "cannot reach latchkey serve")
	// TCP with the token in LATCHKEY_TOKEN; without one, or a wrong one, a clear error.
	mustResolve(t, run{args: []string{"resolve", "--server", "tcp://" + srv.tcp, "-w", wf}, env: []string{"LATCHKEY_TOKEN=cli-token-0123456789abcdef"}, dir: dir}, plantedPassword)
	// A token file every user may read still works, with a warning that
	// names the file and its mode, never the token.
	loose := writeFile(t, dir, "loose-token", "cli-token-0123456789abcdef\n")
	if err := os.Chmod(loose, 0o644); err != nil {
		t.Fatal(err)
	}
	r = mustResolve(t, run{args: []string{"resolve", "--server", "tcp://" + srv.tcp, "--token-file", loose, "-w", wf}, dir: dir}, plantedPassword)
	if !strings.Contains(r.stderr, "--token-file "+loose+" has mode 0644: every user of the machine can read it") {
		t.Errorf("no warning about a world-readable --token-file:\n%s", r.stderr)
	}
	noLeak(t, "stderr", r.stderr, "cli-token-0123456789abcdef", plantedPassword)
	mustFail(t, run{args: []string{"resolve", "--server", "tcp://" + srv.tcp, "-w", wf}}, 2, "TCP needs a token")
	r = mustFail(t, run{args: []string{"resolve", "--server", "tcp://" + srv.tcp, "-w", wf}, env: []string{"LATCHKEY_TOKEN=wrong-token-0123456789"}}, 3, "not one of the agent's tokens")
	noLeak(t, "stderr", r.stderr, "cli-token-0123456789abcdef", "wrong-token-0123456789")
	// A server that is not running is a clear error.
	mustFail(t, run{args: []string{"resolve", "--server", "unix://" + filepath.Join(dir, "none.sock"), "-w", wf}}, 3, "cannot reach latchkey serve", "none.sock")
	mustFail(t, run{args: []string{"resolve", "--server", "http://x", "-w", wf}}, 2, "unix:///PATH or tcp://HOST:PORT")
	mustFail(t, run{args: []string{"resolve", "--server", "unix://" + srv.sock, "--set", "timeout=1s", "-w", wf}}, 2, "--set")
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestServeLifecycle drives the binary through reloads, a second server on
// the same socket, a path that is not a socket, kill -9 and a restart on
// the stale socket, and a drain on SIGTERM with a request in flight.
func TestServeLifecycle(t *testing.T) {
	dir := shortDir(t)
	sock := filepath.Join(dir, "s.sock")
	cfg := func(allow, extra string) string {
		return fmt.Sprintf("default_store: demo\nstores:\n  demo:\n    type: env\n    allow: [%s]\n%sserve:\n  socket: %s\n  grace_period: 20s\n", allow, extra, sock)
	}
	agent := writeFile(t, dir, "agent.yaml", cfg("DEMO_*", ""))
	srv := serve(t, agent, sock)
	fi, err := os.Stat(sock)
	if err != nil || fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o660 {
		t.Fatalf("socket %v mode %v", err, fi.Mode())
	}
	tokRef := "http://l/v1/secret?ref=secret://demo/DEMO_API_TOKEN"
	if a := get(t, srv.unix, "GET", tokRef, ""); a.status != 200 || !strings.Contains(a.body, plantedToken) {
		t.Fatalf("before reload: %d %s", a.status, a.body)
	}

	// A second server on the same socket is refused, and the first serves on.
	second := latchkey(t, run{args: []string{"serve", "-c", agent}, dir: dir})
	if second.code != 3 || !strings.Contains(second.stderr, "another latchkey serve is listening on it") || !strings.Contains(second.stderr, sock) {
		t.Fatalf("second server: %d %s", second.code, second.stderr)
	}
	if a := get(t, srv.unix, "GET", "http://l/healthz", ""); a.status != 200 {
		t.Fatalf("first server after the second was refused: %d", a.status)
	}

	// A bad config on SIGHUP: reported, every problem; the old one serves.
	writeFile(t, dir, "agent.yaml", cfg("DEMO_*", "timeout: soon\nconcurrency: 0\n"))
	srv.signal(syscall.SIGHUP)
	line := srv.waitLog("reload refused")
	if !strings.Contains(line, "timeout") || !strings.Contains(line, "concurrency") {
		t.Fatalf("refused reload does not name both problems: %s", line)
	}
	if a := get(t, srv.unix, "GET", tokRef, ""); a.status != 200 {
		t.Fatalf("after a refused reload: %d %s", a.status, a.body)
	}
	// A good one: the store's new allow list applies.
	writeFile(t, dir, "agent.yaml", cfg("DEMO_DB", ""))
	srv.signal(syscall.SIGHUP)
	srv.waitLog("reloaded the agent config")
	if a := get(t, srv.unix, "GET", tokRef, ""); a.status != 403 || !strings.Contains(a.body, "not_allowed") || !strings.Contains(a.body, "no allow pattern matches") {
		t.Fatalf("after reload the variable is no longer allowed: %d %s", a.status, a.body)
	}

	// kill -9 leaves the socket behind; a restart replaces it.
	srv.signal(syscall.SIGKILL)
	if _, err := os.Lstat(sock); err != nil {
		t.Fatalf("after kill -9 the socket file should remain: %v", err)
	}
	srv = serve(t, agent, sock)
	if a := get(t, srv.unix, "GET", "http://l/v1/secret?ref=secret://demo/DEMO_DB%23password", ""); a.status != 200 || !strings.Contains(a.body, plantedPassword) {
		t.Fatalf("after restart: %d %s", a.status, a.body)
	}

	// SIGTERM with a slow request in flight: it is answered, then exit 0.
	// The slow request is a check whose workflow is large enough to be
	// sent slowly: the body trickles in while the server drains.
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	body := "fields:\n  p: secret://demo/DEMO_DB#password\n"
	fmt.Fprintf(c, "POST /v1/resolve HTTP/1.1\r\nHost: l\r\nContent-Length: %d\r\n\r\n", len(body))
	if _, err := io.WriteString(c, body[:10]); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if _, err := net.Dial("unix", sock); err == nil {
		t.Error("a new connection was accepted while draining")
	}
	if _, err := io.WriteString(c, body[10:]); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("in-flight request during drain: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(b), plantedPassword) {
		t.Fatalf("in-flight request during drain: %d %s", resp.StatusCode, b)
	}
	select {
	case <-srv.exited:
	case <-time.After(30 * time.Second):
		t.Fatal("no exit after SIGTERM")
	}
	if srv.code != 0 {
		t.Fatalf("exit %d after SIGTERM:\n%s", srv.code, srv.stderr.String())
	}
	if _, err := os.Lstat(sock); !os.IsNotExist(err) {
		t.Errorf("socket left after a clean stop: %v", err)
	}
	noLeak(t, "server log", srv.stderr.String(), plantedPassword, plantedToken, plantedOther)

	// A path that is not a socket is refused and left alone.
	writeFile(t, dir, "s.sock", "not a socket")
	r := latchkey(t, run{args: []string{"serve", "-c", agent}, dir: dir})
	if r.code != 3 || !strings.Contains(r.stderr, "is not a socket") {
		t.Fatalf("serve on a regular file: %d %s", r.code, r.stderr)
	}
	if mustRead(t, sock) != "not a socket" {
		t.Fatal("the regular file was changed")
	}
}

// TestServeFromPython runs examples/serve/resolve.py, the standard-library
// Python client docs/serve.md shows, against the server.
func TestServeFromPython(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3 on PATH")
	}
	dir := shortDir(t)
	sock := filepath.Join(dir, "s.sock")
	example, _ := filepath.Abs("../../examples/env")
	agent := writeFile(t, dir, "agent.yaml", mustRead(t, filepath.Join(example, "agent.yaml"))+"serve:\n  socket: "+sock+"\n")
	serve(t, agent, sock)
	script, _ := filepath.Abs("../../examples/serve/resolve.py")
	runPy := func(wf string) (string, string, int) {
		r := collect(t, exec.Command(py, script, sock, wf))
		return r.stdout, r.stderr, r.code
	}
	out, stderr, code := runPy(filepath.Join(example, "workflow.yaml"))
	if code != 0 || !strings.Contains(out, "password="+plantedPassword+"\n") || !strings.Contains(out, "region=eu-west-1\n") {
		t.Fatalf("resolve.py: exit %d\n%s\n%s", code, out, stderr)
	}
	bad := writeFile(t, dir, "bad.yaml", "fields:\n  a: secret://demo/DEMO_NOPE\n  b: secret://demo/DEMO_DB#nokey\n")
	out, stderr, code = runPy(bad)
	if code != 4 || out != "" || !strings.Contains(stderr, `field "a"`) || !strings.Contains(stderr, `field "b"`) {
		t.Fatalf("resolve.py on a failing workflow: exit %d\n%s\n%s", code, out, stderr)
	}
}

// TestServeSocketActivation passes a unix and a TCP socket as systemd does
// (LISTEN_PID, LISTEN_FDS, descriptors 3 and 4): the server serves them,
// ignores serve.socket, asks TCP callers for the token, and on SIGTERM
// leaves the socket file to its owner.
func TestServeSocketActivation(t *testing.T) {
	dir := shortDir(t)
	sock := filepath.Join(dir, "act.sock")
	ul, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ul.SetUnlinkOnClose(false)
	uf, _ := ul.File()
	ul.Close()
	tl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tf, _ := tl.(*net.TCPListener).File()
	tcpAddr := tl.Addr().String()
	tl.Close()
	tok := writeFile(t, dir, "token", "act-token-0123456789abcdef\n")
	agent := writeFile(t, dir, "agent.yaml", "stores:\n  demo:\n    type: env\n    allow: [DEMO_*]\nserve:\n  socket: "+filepath.Join(dir, "ignored.sock")+"\n  token_file: "+tok+"\n")
	// sh's $$ is the pid latchkey keeps after exec, as systemd sets it.
	cmd := exec.Command("sh", "-c", `LISTEN_PID=$$ LISTEN_FDS=2 exec "$0" serve -c "$1"`, bin, agent)
	cmd.Env, cmd.Dir, cmd.ExtraFiles = baseEnv(), dir, []*os.File{uf, tf}
	srv := startCmd(t, cmd, sock)
	srv.waitReady()
	uf.Close()
	tf.Close()
	if a := get(t, srv.unix, "GET", "http://l/v1/secret?ref=secret://demo/DEMO_API_TOKEN", ""); a.status != 200 || !strings.Contains(a.body, plantedToken) {
		t.Fatalf("over the passed unix socket: %d %s", a.status, a.body)
	}
	if _, err := os.Lstat(filepath.Join(dir, "ignored.sock")); !os.IsNotExist(err) {
		t.Errorf("serve.socket was created under socket activation: %v", err)
	}
	tcp := &http.Client{Timeout: 10 * time.Second}
	if a := get(t, tcp, "GET", "http://"+tcpAddr+"/readyz", ""); a.status != 401 {
		t.Errorf("passed TCP socket without a token: %d", a.status)
	}
	if a := get(t, tcp, "GET", "http://"+tcpAddr+"/readyz", "", "X-Latchkey-Token", "act-token-0123456789abcdef"); a.status != 200 {
		t.Errorf("passed TCP socket with the token: %d %s", a.status, a.body)
	}
	srv.signal(syscall.SIGTERM)
	if srv.code != 0 {
		t.Fatalf("exit %d:\n%s", srv.code, srv.stderr.String())
	}
	if _, err := os.Lstat(sock); err != nil {
		t.Errorf("the passed socket's file was removed; it belongs to the socket unit: %v", err)
	}
	if !strings.Contains(srv.stderr.String(), "using the sockets systemd passed") {
		t.Errorf("log:\n%s", srv.stderr.String())
	}
}

// TestServeFromCurl runs the curl commands docs/serve.md shows.
func TestServeFromCurl(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("no curl on PATH")
	}
	dir := shortDir(t)
	sock := filepath.Join(dir, "s.sock")
	example, _ := filepath.Abs("../../examples/env")
	agent := writeFile(t, dir, "agent.yaml", mustRead(t, filepath.Join(example, "agent.yaml"))+"serve:\n  socket: "+sock+"\n")
	serve(t, agent, sock)
	wf := filepath.Join(example, "workflow.yaml")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"readyz", []string{"--unix-socket", sock, "http://l/readyz"}, `"status":"ready"`},
		{"resolve", []string{"--unix-socket", sock, "--data-binary", "@" + wf, "http://l/v1/resolve?name=workflow.yaml"}, `"value":"` + plantedPassword + `"`},
		{"secret", []string{"--unix-socket", sock, "http://l/v1/secret?ref=secret://demo/DEMO_DB%23password"}, `"value":"` + plantedPassword + `"`},
		{"invalidate", []string{"--unix-socket", sock, "-d", `{"store":"demo","secret":"DEMO_DB"}`, "http://l/v1/invalidate"}, `"dropped":`},
		{"sm agent", []string{"--unix-socket", sock, "http://l/secretsmanager/get?secretId=DEMO_API_TOKEN"}, `"SecretString":"` + plantedToken + `"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := exec.Command(curl, append([]string{"-sS", "--fail-with-body"}, tc.args...)...).CombinedOutput()
			if err != nil || !strings.Contains(string(out), tc.want) {
				t.Fatalf("curl %v: %v\n%s", tc.args, err, out)
			}
		})
	}
}
