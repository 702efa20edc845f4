//go:build unix

package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestServeAuditFIFOAtStart: a FIFO at audit.file (nobody reading it) used
// to hang `latchkey serve` silently before it listened. It must exit 3 at
// once with an error naming the setting, the path and what the path is.
func TestServeAuditFIFOAtStart(t *testing.T) {
	for _, reader := range []bool{false, true} {
		name := "no reader"
		if reader {
			name = "with a reader"
		}
		t.Run(name, func(t *testing.T) {
			dir := shortDir(t)
			fifo := filepath.Join(dir, "audit.jsonl")
			if err := syscall.Mkfifo(fifo, 0o600); err != nil {
				t.Fatal(err)
			}
			if reader {
				r, err := os.OpenFile(fifo, os.O_RDWR, 0)
				if err != nil {
					t.Fatal(err)
				}
				defer r.Close()
			}
			agent := writeFile(t, dir, "agent.yaml", "stores:\n  app: {type: env, secrets: {allow: [\"APP_*\"]}}\naudit: {file: "+fifo+"}\nserve: {socket: "+filepath.Join(dir, "s.sock")+"}\n")
			start := time.Now()
			r := latchkey(t, run{args: []string{"serve", "-c", agent}, dir: dir})
			if took := time.Since(start); took > 20*time.Second {
				t.Errorf("serve took %v to refuse the FIFO", took)
			}
			for _, want := range []string{"audit.file", fifo, "named pipe (FIFO)", "regular file"} {
				if r.code != 3 || !strings.Contains(r.stderr, want) {
					t.Errorf("serve with a FIFO at audit.file: exit %d, stderr lacks %q:\n%s", r.code, want, r.stderr)
				}
			}
		})
	}
}

// TestServeFIFOAfterRotation: logrotate-style, the audit file is renamed
// and an attacker plants a FIFO where the new file would be created, while
// a token file is removed; SIGHUP must still reload (the FIFO is refused,
// the old audit file kept) and the removed token must be refused, the
// other token still served.
func TestServeFIFOAfterRotation(t *testing.T) {
	dir := shortDir(t)
	sock := filepath.Join(dir, "s.sock")
	log := filepath.Join(dir, "audit.jsonl")
	keepTok, goneTok := "keep-token-0123456789abcdef", "gone-token-0123456789abcdef"
	keepFile := writeFile(t, dir, "keep.token", keepTok+"\n")
	goneFile := writeFile(t, dir, "gone.token", goneTok+"\n")
	cfg := map[string]any{
		"stores": map[string]any{"app": map[string]any{"type": "env", "secrets": map[string]any{"allow": []any{"APP_*"}}}},
		"serve": map[string]any{"socket": sock, "tcp": "127.0.0.1:0",
			"tokens": map[string]any{"keep": map[string]any{"file": keepFile}, "gone": map[string]any{"file": goneFile}}},
		"audit": map[string]any{"file": log},
	}
	b, _ := json.Marshal(cfg)
	agent := writeFile(t, dir, "agent.json", string(b))
	srv := serve(t, agent, sock, "APP_X=app-x-value")
	if srv.tcp == "" { // the listening line may reach the buffer after /readyz answers
		srv.tcp = listening.FindStringSubmatch(srv.waitLog("network=tcp"))[1]
	}
	const ref = "secret://app/APP_X"
	for _, tok := range []string{keepTok, goneTok} {
		if a := tokenGet(t, srv.tcp, tok, ref); a.status != 200 {
			t.Fatalf("before the reload: %d %s", a.status, a.body)
		}
	}

	if err := os.Rename(log, log+".1"); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(log, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(goneFile); err != nil {
		t.Fatal(err)
	}
	srv.signal(syscall.SIGHUP)
	srv.waitLog("audit log not reopened")
	srv.waitLog("token revoked")
	srv.waitLog("reloaded the agent config")
	if a := tokenGet(t, srv.tcp, goneTok, ref); a.status != 401 {
		t.Fatalf("the removed token after the reload: %d %s", a.status, a.body)
	}
	if a := tokenGet(t, srv.tcp, keepTok, ref); a.status != 200 || !strings.Contains(a.body, "app-x-value") {
		t.Fatalf("the kept token after the reload: %d %s", a.status, a.body)
	}
	// The records go on in the old (renamed) file, none into the FIFO.
	old, err := os.ReadFile(log + ".1")
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(old), `"event":"fetch"`); n < 3 {
		t.Errorf("the old audit file has %d fetch records after the refused reopen, want 3:\n%s", n, old)
	}
	if line := srv.waitLog("audit log not reopened"); !strings.Contains(line, "named pipe") {
		t.Errorf("the reopen error does not say what the path is: %s", line)
	}
	noLeak(t, "server log", srv.stderr.String(), keepTok, goneTok, "app-x-value")
}
