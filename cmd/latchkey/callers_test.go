//go:build unix

package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/latchkey/latchkey/audit/audittest"
	"github.com/latchkey/latchkey/internal/wasmtest"
	"github.com/latchkey/latchkey/providers/aws/awstest"
)

// asUser runs latchkey as uid (primary group uid, with group 0 as a
// supplementary group so that it may open the root-owned 0660 socket).
func asUser(t *testing.T, uid int, dir string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=/nonexistent"}
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(uid), Groups: []uint32{0}}}
	return collect(t, cmd)
}

// tokenGet asks the server over TCP for one reference with a token.
func tokenGet(t *testing.T, addr, token, ref string) answer {
	t.Helper()
	return get(t, &http.Client{Timeout: 30 * time.Second}, "GET", "http://"+addr+"/v1/secret?ref="+url.QueryEscape(ref), "", "X-Latchkey-Token", token)
}

// TestServeCallers: two real uids and two tokens, each with its own
// caller entry; each sees only what its rule allows, an unnamed caller is
// refused, a refused reference costs the backend nothing, a revoked token
// file stops working on reload, and the two entries never share a Wasm
// instance.
func TestServeCallers(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root: clients run as uids 1001, 1002 and 1003")
	}
	// Other uids must reach the binary and the files.
	if err := os.Chmod(filepath.Dir(bin), 0o755); err != nil {
		t.Fatal(err)
	}
	dir := shortDir(t)
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "s.sock")
	aws := awstest.Start(t)
	alice := aws.AddUser("alice")
	aws.PutString("etl/db", `{"password":"etl-pl4nted-pw"}`)
	aws.PutString("bi/db", `{"password":"bi-pl4nted-pw"}`)
	awsCalls := func() int { return len(aws.Calls()) }
	memo := wasmtest.Build(t, "cmd/latchkey/testdata/guests/memo")
	etlTok, biTok := "etl-token-0123456789abcdef", "bi-token-0123456789abcdef"
	etlFile := writeFile(t, dir, "etl.token", etlTok)
	biFile := writeFile(t, dir, "bi.token", biTok)
	log := filepath.Join(dir, "audit.jsonl")
	cfg := map[string]any{
		"stores": map[string]any{
			"app":  map[string]any{"type": "env", "secrets": map[string]any{"allow": []any{"APP_*"}}},
			"aws":  map[string]any{"type": "aws", "region": aws.Region, "endpoint": aws.URL, "max_attempts": 1},
			"memo": map[string]any{"type": "wasm", "module": memo, "allow_unpinned": true, "limits": map[string]any{"instances": 1}},
		},
		"serve": map[string]any{"socket": sock, "tcp": "127.0.0.1:0",
			"tokens": map[string]any{"ci-etl": map[string]any{"file": etlFile}, "ci-bi": map[string]any{"file": biFile}}},
		"audit": map[string]any{"file": log},
		"callers": map[string]any{
			"etl": map[string]any{"uids": []any{1001}, "tokens": []any{"ci-etl"},
				"stores": map[string]any{"app": map[string]any{"allow": []any{"APP_ETL"}}, "aws": map[string]any{"allow": []any{"etl/*"}}, "memo": map[string]any{}}},
			"bi": map[string]any{"uids": []any{1002}, "tokens": []any{"ci-bi"},
				"stores": map[string]any{"app": map[string]any{"allow": []any{"APP_BI"}}, "aws": map[string]any{"allow": []any{"bi/*"}}, "memo": map[string]any{}}},
		},
	}
	b, _ := json.Marshal(cfg)
	agent := writeFile(t, dir, "agent.json", string(b))
	env := []string{"APP_ETL=etl-app-value", "APP_BI=bi-app-value"}
	for k, v := range aws.Env(alice) {
		env = append(env, k+"="+v)
	}
	srv := serve(t, agent, sock, env...)
	wf := func(name, body string) string {
		p := writeFile(t, dir, name, "name: "+strings.TrimSuffix(name, ".yaml")+"\nfields:\n"+body)
		os.Chmod(p, 0o644)
		return p
	}
	etlWF := wf("etl.yaml", "  a: secret://app/APP_ETL\n  p: secret://aws/etl/db#password\n")
	biWF := wf("bi.yaml", "  a: secret://app/APP_BI\n  p: secret://aws/bi/db#password\n")
	server := "unix://" + sock

	t.Run("check --offline shows the callers and the audit log, without values", func(t *testing.T) {
		r := latchkey(t, run{args: []string{"check", "--offline", "-c", agent, "-w", etlWF}, env: env, dir: dir})
		for _, want := range []string{"CALLERS (latchkey serve; anyone else is refused)", "  etl: uids 1001; tokens ci-etl", `    aws: allow "etl/*"`,
			"    memo: the store's own rule", "latchkey serve: " + log} {
			if r.code != 0 || !strings.Contains(r.stdout, want) {
				t.Errorf("check --offline: exit %d, lacks %q:\n%s%s", r.code, want, r.stdout, r.stderr)
			}
		}
		noLeak(t, "check output", r.stdout+r.stderr, etlTok, biTok, "etl-pl4nted-pw", alice.SecretAccessKey)
	})

	t.Run("each uid sees only its own", func(t *testing.T) {
		if r := asUser(t, 1001, dir, "resolve", "--server", server, "-w", etlWF); r.code != 0 || !strings.Contains(r.stdout, "etl-pl4nted-pw") || !strings.Contains(r.stdout, "etl-app-value") {
			t.Fatalf("uid 1001, its own workflow: %d %s %s", r.code, r.stdout, r.stderr)
		}
		if r := asUser(t, 1002, dir, "resolve", "--server", server, "-w", biWF); r.code != 0 || !strings.Contains(r.stdout, "bi-pl4nted-pw") {
			t.Fatalf("uid 1002, its own workflow: %d %s %s", r.code, r.stdout, r.stderr)
		}
		before := awsCalls()
		r := asUser(t, 1001, dir, "resolve", "--server", server, "-w", biWF)
		if r.code != 3 || r.stdout != "" || !strings.Contains(r.stderr, "rule callers.etl.stores.app") || !strings.Contains(r.stderr, "rule callers.etl.stores.aws") {
			t.Fatalf("uid 1001 reading bi's secrets: %d %q %s", r.code, r.stdout, r.stderr)
		}
		noLeak(t, "stderr", r.stderr, "bi-pl4nted-pw", "bi-app-value")
		r = asUser(t, 1002, dir, "resolve", "--server", server, "-w", etlWF)
		if r.code != 3 || !strings.Contains(r.stderr, "rule callers.bi.stores.aws") {
			t.Fatalf("uid 1002 reading etl's secrets: %d %s", r.code, r.stderr)
		}
		if n := awsCalls() - before; n != 0 {
			t.Errorf("refused references made %d call(s) to Secrets Manager", n)
		}
	})

	t.Run("a caller no entry names is refused", func(t *testing.T) {
		r := asUser(t, 1003, dir, "resolve", "--server", server, "-w", etlWF)
		if r.code == 0 || !strings.Contains(r.stderr, "uid=1003") || !strings.Contains(r.stderr, "not named by any entry of the agent's callers section") {
			t.Fatalf("uid 1003: %d %s", r.code, r.stderr)
		}
		a := get(t, srv.unix, "GET", "http://l/v1/secret?ref="+url.QueryEscape("secret://app/APP_ETL"), "")
		if a.status != 403 || !strings.Contains(a.body, "uid=0") {
			t.Fatalf("root, unnamed: %d %s", a.status, a.body)
		}
		a = tokenGet(t, srv.tcp, "not-a-token-0123456789", "secret://app/APP_ETL")
		if a.status != 401 {
			t.Fatalf("unknown token: %d %s", a.status, a.body)
		}
	})

	t.Run("each token sees only its own", func(t *testing.T) {
		if a := tokenGet(t, srv.tcp, etlTok, "secret://aws/etl/db#password"); a.status != 200 || !strings.Contains(a.body, "etl-pl4nted-pw") {
			t.Fatalf("etl token, own secret: %d %s", a.status, a.body)
		}
		if a := tokenGet(t, srv.tcp, biTok, "secret://aws/bi/db#password"); a.status != 200 || !strings.Contains(a.body, "bi-pl4nted-pw") {
			t.Fatalf("bi token, own secret: %d %s", a.status, a.body)
		}
		before := awsCalls()
		if a := tokenGet(t, srv.tcp, etlTok, "secret://aws/bi/db#password"); a.status != 403 || !strings.Contains(a.body, "callers.etl.stores.aws") || strings.Contains(a.body, "bi-pl4nted") {
			t.Fatalf("etl token, bi's secret: %d %s", a.status, a.body)
		}
		if a := tokenGet(t, srv.tcp, biTok, "secret://app/APP_ETL"); a.status != 403 || !strings.Contains(a.body, "callers.bi.stores.app") {
			t.Fatalf("bi token, etl's variable: %d %s", a.status, a.body)
		}
		if n := awsCalls() - before; n != 0 {
			t.Errorf("refused references made %d call(s) to Secrets Manager", n)
		}
	})

	t.Run("two entries never share a wasm instance", func(t *testing.T) {
		ask := func(tok, name string) string {
			a := tokenGet(t, srv.tcp, tok, "secret://memo/"+name)
			if a.status != 200 {
				t.Fatalf("memo %s: %d %s", name, a.status, a.body)
			}
			var v struct{ Value string }
			json.Unmarshal([]byte(a.body), &v)
			return v.Value
		}
		ask(etlTok, "remember:etl-was-here")
		if got := ask(etlTok, "recall"); got != "etl-was-here" {
			t.Fatalf("etl's own instance forgot: %q (the test cannot tell instances apart)", got)
		}
		if got := ask(biTok, "recall"); got != "nothing" {
			t.Fatalf("bi was served by etl's instance: recalled %q", got)
		}
		// Each entry started an instance of its own: the store's series is
		// the sum over the entries' pools.
		m := get(t, srv.unix, "GET", "http://l/metrics", "")
		if !strings.Contains(m.body, `latchkey_wasm_instances_created_total{store="memo"} 2`) {
			t.Errorf("metrics do not show one instance per entry:\n%s", grepLines(m.body, "latchkey_wasm"))
		}
	})

	t.Run("a revoked token file stops working on reload", func(t *testing.T) {
		if err := os.Remove(biFile); err != nil {
			t.Fatal(err)
		}
		srv.signal(syscall.SIGHUP)
		srv.waitLog("token revoked")
		srv.waitLog("reloaded the agent config")
		if a := tokenGet(t, srv.tcp, biTok, "secret://aws/bi/db#password"); a.status != 401 {
			t.Fatalf("revoked token after reload: %d %s", a.status, a.body)
		}
		if a := tokenGet(t, srv.tcp, etlTok, "secret://aws/etl/db#password"); a.status != 200 {
			t.Fatalf("the other token after reload: %d %s", a.status, a.body)
		}
	})

	// Every access above is in the audit log, by the caller that made it.
	lb, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	recs := audittest.Records(t, lb, []byte("etl-pl4nted-pw"), []byte("bi-pl4nted-pw"), []byte(etlTok), []byte(biTok), []byte(alice.SecretAccessKey))
	seen := map[string]int{}
	for _, r := range recs {
		who := r.Caller.Kind + ":" + r.Caller.Token
		if r.Caller.UID != nil {
			who += ":" + strconv.Itoa(*r.Caller.UID)
		}
		seen[who+" "+r.Event+" "+r.Outcome]++
	}
	for _, want := range []string{"unix::1001 fetch ok", "unix::1002 fetch ok", "unix::1001 resolution error", "token:ci-etl fetch ok", "token:ci-bi resolution error"} {
		if seen[want] == 0 {
			t.Errorf("no audit record %q (have %v)", want, seen)
		}
	}
	noLeak(t, "server log", srv.stderr.String(), "etl-pl4nted-pw", "bi-pl4nted-pw", etlTok, biTok)
}

// TestServeCallersBadConfig: a callers section with problems, or an audit
// file that cannot be opened, stops serve at start-up (exit 3) with every
// problem named.
func TestServeCallersBadConfig(t *testing.T) {
	dir := shortDir(t)
	noAudit := writeFile(t, dir, "noaudit.yaml", "stores:\n  app: {type: env, secrets: {allow: [\"APP_*\"]}}\naudit: {file: "+dir+"}\nserve:\n  socket: "+filepath.Join(dir, "a.sock")+"\n")
	if r := latchkey(t, run{args: []string{"serve", "-c", noAudit}, dir: dir}); r.code != 3 || !strings.Contains(r.stderr, "audit log "+dir+" (audit.file): "+dir+" is a directory") {
		t.Fatalf("serve with a directory as its audit file: exit %d: %s", r.code, r.stderr)
	}
	tok := writeFile(t, dir, "t.token", "tok-0123456789abcdef")
	agent := writeFile(t, dir, "agent.yaml", `stores:
  app: {type: env, secrets: {allow: ["APP_*"]}}
serve:
  socket: `+filepath.Join(dir, "s.sock")+`
  tokens: {ci: {file: `+tok+`}}
callers:
  a: {uids: [1001], stores: {app: {allow: ["APP_A", "APP_A"]}, nope: {}}}
  b: {uids: [1001], tokens: [ci, ghost], stores: {app: {}}}
  c: {stores: {app: {deny: ["APP_*"]}}}
  d: {gids: [x], stores: {}}
`)
	r := latchkey(t, run{args: []string{"serve", "-c", agent}, dir: dir})
	if r.code != 3 {
		t.Fatalf("exit %d, want 3: %s", r.code, r.stderr)
	}
	for _, want := range []string{
		`"callers.a.stores.nope": no store "nope" is declared`,
		`allow "APP_A" is already covered by allow "APP_A"`,
		`callers.b.uids: uid 1001 is already matched by callers.a`,
		`"callers.b.tokens": no token "ghost" is declared in serve.tokens`,
		`callers.c: matches no caller`,
		`"callers.d.gids[0]": must be a numeric id`,
		`callers.d.stores: names no store`,
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
