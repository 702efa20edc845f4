//go:build unix

package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// holdEnv makes the test binary a connection holder instead of running
// tests (see TestMain): NETWORK:ADDRESS.
const holdEnv = "LATCHKEY_E2E_HOLD"

// holdConnections is the attacker of TestServeSlots, run as its own
// process (as another uid for the unix socket): it keeps 64 connections
// open to addr, half of them silent, half sending /ping every 20 ms to keep
// them alive, and opens a new one whenever one is closed. Every second it
// prints how many pings were answered and how many were answered on a
// connection that had already answered one.
func holdConnections(spec string) {
	network, addr, _ := strings.Cut(spec, ":")
	var pings, kept, dials atomic.Int64
	for i := 0; i < 64; i++ {
		go func(silent bool) {
			for {
				c, err := net.Dial(network, addr)
				if err != nil {
					time.Sleep(10 * time.Millisecond)
					continue
				}
				dials.Add(1)
				br := bufio.NewReader(c)
				for n := 0; ; n++ {
					_ = c.SetDeadline(time.Now().Add(10 * time.Second))
					if silent {
						_, _ = br.ReadByte()
						break
					}
					if _, err := io.WriteString(c, "GET /ping HTTP/1.1\r\nHost: l\r\n\r\n"); err != nil {
						break
					}
					resp, err := http.ReadResponse(br, nil)
					if err != nil {
						break
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					pings.Add(1)
					if n > 0 {
						kept.Add(1)
					}
					time.Sleep(20 * time.Millisecond)
				}
				c.Close()
				time.Sleep(5 * time.Millisecond) // holding, not flooding: a flood is a CPU fight, which nothing bounds
			}
		}(i%2 == 0)
	}
	for {
		time.Sleep(time.Second)
		fmt.Printf("dials=%d pings=%d kept=%d\n", dials.Load(), pings.Load(), kept.Load())
	}
}

// TestServeSlots attacks `latchkey serve` with max_connections: 8 as two
// strangers at once: uid 1003, which no callers entry names, on the unix
// socket, and a process with no token on TCP. Each holds 64 connections,
// silent or pinging, and reconnects as fast as they are closed. Meanwhile
// uid 0 (named) on the socket and a client with the token on TCP are each
// answered within 100 ms, and no stranger's connection answers a second
// ping.
func TestServeSlots(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root: the socket's stranger runs as uid 1003")
	}
	if err := os.Chmod(filepath.Dir(bin), 0o755); err != nil { // uid 1003 runs latchkey too
		t.Fatal(err)
	}
	dir := shortDir(t)
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// The holder is this test binary, copied where uid 1003 may run it.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	holder := filepath.Join(dir, "holder")
	if err := os.WriteFile(holder, b, 0o755); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "s.sock")
	tokFile := writeFile(t, dir, "token", serveToken)
	cfg := map[string]any{
		"stores": map[string]any{"env": map[string]any{"type": "env", "secrets": map[string]any{"allow": []any{"DEMO_*"}}}},
		"serve": map[string]any{"socket": sock, "tcp": "127.0.0.1:0", "max_connections": 8,
			"tokens": map[string]any{"ci": map[string]any{"file": tokFile}}},
		"callers": map[string]any{
			"root": map[string]any{"uids": []any{0}, "tokens": []any{"ci"}, "stores": map[string]any{"env": map[string]any{}}},
		},
	}
	raw, _ := json.Marshal(cfg)
	agent := writeFile(t, dir, "agent.json", string(raw))
	srv := serve(t, agent, sock)

	var holders []*exec.Cmd
	// hold starts a holder and returns a function that reads its latest
	// report (the reader goroutine writes it under mu).
	hold := func(spec string, uid int) func() string {
		cmd := exec.Command(holder)
		cmd.Env = []string{holdEnv + "=" + spec}
		if uid != 0 {
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(uid), Groups: []uint32{0}}} // group 0 may open the 0660 socket
		}
		out := &strings.Builder{}
		var mu sync.Mutex
		pr, pw := io.Pipe()
		cmd.Stdout = pw
		go func() {
			sc := bufio.NewScanner(pr)
			for sc.Scan() {
				mu.Lock()
				out.Reset()
				out.WriteString(sc.Text())
				mu.Unlock()
			}
		}()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		holders = append(holders, cmd)
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait(); pw.Close() })
		return func() string {
			mu.Lock()
			defer mu.Unlock()
			return out.String()
		}
	}
	unixStranger := hold("unix:"+sock, 1003)
	tcpStranger := hold("tcp:"+srv.tcp, 0)
	time.Sleep(time.Second) // the strangers hold everything they can

	ref := "/v1/secret?ref=" + url.QueryEscape("secret://env/DEMO_API_TOKEN")
	tcp := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	fresh := func() *http.Client { // a new connection each time, as a new client's
		c := unixHTTP(sock)
		c.Transport.(*http.Transport).DisableKeepAlives = true
		return c
	}
	var slowUnix, slowTCP time.Duration
	for i := 0; i < 20; i++ {
		begin := time.Now()
		if a := get(t, fresh(), "GET", "http://l"+ref, ""); a.status != 200 || !strings.Contains(a.body, plantedToken) {
			t.Fatalf("uid 0 over the socket: %d %s", a.status, a.body)
		}
		slowUnix = max(slowUnix, time.Since(begin))
		begin = time.Now()
		if a := get(t, tcp, "GET", "http://"+srv.tcp+ref, "", "X-Latchkey-Token", serveToken); a.status != 200 || !strings.Contains(a.body, plantedToken) {
			t.Fatalf("the token over TCP: %d %s", a.status, a.body)
		}
		slowTCP = max(slowTCP, time.Since(begin))
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(1100 * time.Millisecond) // one more report from each holder
	t.Logf("slowest authorized answer while strangers held connections: unix %v, tcp %v; unix stranger: %s; tcp stranger: %s",
		slowUnix, slowTCP, unixStranger(), tcpStranger())
	if slowUnix > 100*time.Millisecond || slowTCP > 100*time.Millisecond {
		t.Errorf("an authorized caller waited: unix %v, tcp %v; want ≤ 100 ms", slowUnix, slowTCP)
	}
	for name, out := range map[string]string{"uid 1003 on the socket": unixStranger(), "tokenless TCP": tcpStranger()} {
		var dials, pings, kept int
		if _, err := fmt.Sscanf(out, "dials=%d pings=%d kept=%d", &dials, &pings, &kept); err != nil {
			t.Fatalf("%s: no report from the holder: %q", name, out)
		}
		if dials < 64 || name == "tokenless TCP" && pings == 0 {
			t.Errorf("%s: the attack did not run (%s)", name, out)
		}
		if kept != 0 {
			t.Errorf("%s: %d pings answered on a kept-alive stranger's connection: /ping must not keep it open (%s)", name, kept, out)
		}
	}
	// Once its holder is gone, a stranger's request is answered, and refused.
	for _, h := range holders {
		_ = h.Process.Kill()
		_ = h.Wait()
	}
	wf := writeFile(t, dir, "wf.yaml", "fields:\n  a: secret://env/DEMO_API_TOKEN\n")
	if err := os.Chmod(wf, 0o644); err != nil {
		t.Fatal(err)
	}
	r := asUser(t, 1003, dir, "resolve", "--server", "unix://"+sock, "-w", wf)
	if r.code == 0 || !strings.Contains(r.stderr, "uid=1003") {
		t.Errorf("uid 1003 resolving: %d %s", r.code, r.stderr)
	}
}
