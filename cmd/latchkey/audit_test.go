//go:build unix

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/latchkey/latchkey/audit"
	"github.com/latchkey/latchkey/audit/audittest"
	"github.com/latchkey/latchkey/providers/aws/awstest"
	"github.com/latchkey/latchkey/providers/azure/azuretest"
	"github.com/latchkey/latchkey/providers/gcp/gcptest"
	"github.com/latchkey/latchkey/providers/wasm/wasmstoretest"
)

// fleet is one agent config with a store of every type, each pointed at
// its loopback server, with planted values and credentials.
type fleet struct {
	stores  map[string]any // the agent config's stores section
	env     []string       // the environment the agent needs
	planted []string       // values and credentials no log may hold
	// wf names two fields of one secret per store (so each store is
	// fetched once) and what the audit log must then hold.
	wf      string
	fetches map[[2]string][]string // store, secret → fields
}

func newFleet(t *testing.T) *fleet {
	t.Helper()
	f := &fleet{stores: map[string]any{}, fetches: map[[2]string][]string{}}
	pw := func(store string) string { return store + "-pl4nted-pw-" + strings.Repeat("z", 4) }
	doc := func(store string) string { return `{"username":"u-` + store + `","password":"` + pw(store) + `"}` }
	f.planted = append(f.planted, pw("env"), pw("aws"), pw("azure"), pw("gcp"), pw("wasm"), plantedOther)

	f.env = append(f.env, "E2E_DB="+doc("env"))
	f.stores["env"] = map[string]any{"type": "env", "secrets": map[string]any{"allow": []any{"E2E_*"}}}

	aws := awstest.Start(t)
	alice := aws.AddUser("alice")
	aws.PutString("prod/db", doc("aws"))
	aws.PutString("prod/admin", "aws-admin-never-read")
	for k, v := range aws.Env(alice) {
		f.env = append(f.env, k+"="+v)
	}
	f.planted = append(f.planted, alice.SecretAccessKey, "aws-admin-never-read")
	f.stores["aws"] = map[string]any{"type": "aws", "region": aws.Region, "endpoint": aws.URL, "max_attempts": 1,
		"secrets": map[string]any{"allow": []any{"prod/*"}, "deny": []any{"prod/admin*"}}}

	az := azuretest.Start(t)
	az.SetSecret("db", doc("azure"))
	azs := az.Settings("service_principal")
	azs["type"] = "azure"
	f.stores["azure"] = azs
	clientSecret, err := os.ReadFile(az.ClientSecretFile)
	if err != nil {
		t.Fatal(err)
	}
	f.planted = append(f.planted, strings.TrimSpace(string(clientSecret)))

	sa := gcptest.NewServiceAccount(t, "etl@demo-project.iam.gserviceaccount.com", "demo-project")
	gs := gcptest.Start(t, gcptest.Options{Accounts: []*gcptest.ServiceAccount{sa}, Secrets: []gcptest.Secret{
		{Project: "demo-project", ID: "db", Versions: []gcptest.Version{{Data: []byte(doc("gcp"))}}}}})
	f.stores["gcp"] = map[string]any{"type": "gcp", "project": "demo-project", "endpoint": gs.Addr, "insecure": true,
		"auth_method": "service_account_key", "credentials_file": sa.KeyFile, "max_attempts": 1}
	var key struct {
		PrivateKey string `json:"private_key"`
	}
	kb, _ := os.ReadFile(sa.KeyFile)
	if err := json.Unmarshal(kb, &key); err != nil || key.PrivateKey == "" {
		t.Fatalf("reading the service account key: %v", err)
	}
	// The key's base64 body, a line of it: PEM armour is not secret.
	f.planted = append(f.planted, strings.Split(key.PrivateKey, "\n")[1])

	ws := wasmstoretest.Start(t, map[string][]byte{"db": []byte(doc("wasm"))})
	wsettings := ws.Settings(t, wasmstoretest.BuildHTTPJSON(t), "")
	wsettings["type"] = "wasm"
	// The module's token is a host-held credential: the module writes only
	// its placeholder, and the audit log names the credential.
	wsettings["config"].(map[string]any)["header"] = map[string]any{"Authorization": "Bearer {{latchkey.credential:store_token}}"}
	wsettings["credentials"] = map[string]any{"store_token": map[string]any{"env": "E2E_WASM_TOKEN", "hosts": []any{"http://" + ws.HostPort()}}}
	f.env = append(f.env, "E2E_WASM_TOKEN="+ws.Token)
	f.stores["wasm"] = wsettings
	f.planted = append(f.planted, ws.Token)

	var wf strings.Builder
	wf.WriteString("name: fleet\nfields:\n")
	for _, st := range []string{"env", "aws", "azure", "gcp", "wasm"} {
		name := map[string]string{"env": "E2E_DB", "aws": "prod/db"}[st]
		if name == "" {
			name = "db"
		}
		wf.WriteString("  " + st + "_user: secret://" + st + "/" + name + "#username\n")
		wf.WriteString("  " + st + "_pass: secret://" + st + "/" + name + "#password\n")
		f.fetches[[2]string{st, name}] = []string{st + "_user", st + "_pass"}
	}
	f.wf = wf.String()
	return f
}

// agent writes the fleet's agent config, with extra top-level sections.
func (f *fleet) agent(t *testing.T, dir string, extra map[string]any) string {
	t.Helper()
	cfg := map[string]any{"stores": f.stores}
	for k, v := range extra {
		cfg[k] = v
	}
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return writeFile(t, dir, "agent.json", string(b))
}

// checkFetches asserts each of the fleet's secrets was fetched exactly
// once, successfully, by caller kind, within one resolution.
func (f *fleet) checkFetches(t *testing.T, recs []audit.Record, kind string) {
	t.Helper()
	var resolutions []audit.Record
	fetches := 0
	for _, r := range recs {
		switch r.Event {
		case audit.EventResolution:
			resolutions = append(resolutions, r)
		case audit.EventFetch:
			fetches++
		}
		if r.Caller.Kind != kind || r.Workflow != "fleet" {
			t.Errorf("record of caller %+v workflow %q, want kind %s workflow fleet", r.Caller, r.Workflow, kind)
		}
	}
	if len(resolutions) != 1 || resolutions[0].Outcome != audit.OutcomeOK || resolutions[0].FieldCount != 10 {
		t.Fatalf("resolution records %+v, want one, ok, of 10 fields", resolutions)
	}
	if fetches != len(f.fetches) {
		t.Errorf("%d fetch records, want %d (one per secret)", fetches, len(f.fetches))
	}
	for k, fields := range f.fetches {
		got := audittest.Fetches(recs, k[0], k[1])
		if len(got) != 1 {
			t.Errorf("store %s secret %s: %d fetch records, want exactly 1", k[0], k[1], len(got))
			continue
		}
		r := got[0]
		if r.Outcome != audit.OutcomeOK || r.StoreType != k[0] || strings.Join(r.Fields, ",") != strings.Join(fields, ",") ||
			strings.Join(r.Keys, ",") != "username,password" || r.Request == "" || r.Request != resolutions[0].Request {
			t.Errorf("fetch record %+v", r)
		}
		if r.Cache == "hit" {
			if r.Upstream != nil && *r.Upstream != 0 || len(r.Outbound) != 0 {
				t.Errorf("a cache hit that went upstream: %+v", r)
			}
			continue
		}
		if k[0] == "wasm" {
			if len(r.Outbound) != 1 || r.Outbound[0].Method != "GET" || r.Outbound[0].Path != "/secrets/db" || r.Outbound[0].Status != 200 ||
				strings.Join(r.Outbound[0].Credentials, ",") != "store_token" {
				t.Errorf("wasm fetch record's outbound requests: %+v", r.Outbound)
			}
		}
		if k[0] == "aws" || k[0] == "gcp" {
			if r.Upstream == nil || *r.Upstream < 1 {
				t.Errorf("%s fetch record does not count its upstream call: %+v", k[0], r.Upstream)
			}
		}
	}
}

// TestAuditCLI runs a workflow over every store type through `latchkey
// resolve --audit-log` and checks the log: every line valid against the
// schema, each access exactly once, no planted value or credential.
func TestAuditCLI(t *testing.T) {
	f := newFleet(t)
	dir := t.TempDir()
	agent := f.agent(t, dir, nil)
	wf := writeFile(t, dir, "wf.yaml", f.wf)
	log := filepath.Join(dir, "audit.jsonl")
	mustResolve(t, run{args: []string{"resolve", "-c", agent, "-w", wf, "--audit-log", log}, env: f.env, dir: dir}, `"aws_pass": "aws-pl4nted`)
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(log); st.Mode().Perm() != 0o600 {
		t.Errorf("audit log mode %v, want 0600", st.Mode().Perm())
	}
	recs := audittest.Records(t, b, bytesOf(f.planted)...)
	f.checkFetches(t, recs, "cli")
	for _, r := range recs {
		if r.Caller.PID == nil || r.Caller.UID == nil || r.Caller.Exe == "" {
			t.Errorf("cli caller without its pid, uid or executable: %+v", r.Caller)
		}
	}

	// A refused reference: nothing fetched, the refusal recorded once.
	os.Remove(log)
	bad := writeFile(t, dir, "bad.yaml", "name: fleet\nfields:\n  a: secret://aws/prod/admin\n  b: secret://aws/arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/admin-AbCdEf\n")
	r := mustFail(t, run{args: []string{"resolve", "-c", agent, "-w", bad, "--audit-log", log}, env: f.env, dir: dir}, 3, `deny "prod/admin*"`)
	noLeak(t, "stderr", r.stderr, f.planted...)
	b, _ = os.ReadFile(log)
	recs = audittest.Records(t, b, bytesOf(f.planted)...)
	if len(recs) != 1 || recs[0].Event != audit.EventResolution || recs[0].ErrorKind != "not_allowed" || len(recs[0].Refused) != 2 ||
		recs[0].Refused[0].Rule != "stores.aws.secrets" || recs[0].Refused[0].Pattern != "prod/admin*" || recs[0].Refused[0].Field != "a" {
		t.Fatalf("records of a refused resolution: %+v", recs)
	}

	// The config's audit section, required: an unusable path stops the
	// command before anything is fetched (exit 3).
	for name, path := range map[string]string{"directory": dir, "under a file": filepath.Join(wf, "audit.jsonl")} {
		t.Run(name, func(t *testing.T) {
			agent := f.agent(t, t.TempDir(), map[string]any{"audit": map[string]any{"file": path, "required": true}})
			r := mustFail(t, run{args: []string{"resolve", "-c", agent, "-w", wf}, env: f.env, dir: dir}, 3, "audit log "+path)
			noLeak(t, "stderr", r.stderr, f.planted...)
		})
	}
}

func bytesOf(ss []string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

// TestAuditServe runs the same workflow through `latchkey serve` (audit to
// a file) with `resolve --server`, then rotates the file and sends SIGHUP:
// the records go on in a new file, and each access appears exactly once
// across the two.
func TestAuditServe(t *testing.T) {
	f := newFleet(t)
	dir := shortDir(t)
	log := filepath.Join(dir, "audit.jsonl")
	sock := filepath.Join(dir, "s.sock")
	agent := f.agent(t, dir, map[string]any{"audit": map[string]any{"file": log, "required": true}, "serve": map[string]any{"socket": sock}})
	wf := writeFile(t, dir, "wf.yaml", f.wf)
	srv := serve(t, agent, sock, f.env...)
	mustResolve(t, run{args: []string{"resolve", "--server", "unix://" + sock, "-w", wf}, dir: dir}, `"gcp_pass": "gcp-pl4nted`)
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	recs := audittest.Records(t, b, bytesOf(f.planted)...)
	f.checkFetches(t, recs, "unix")
	for _, r := range recs {
		if r.Caller.UID == nil || *r.Caller.UID != os.Getuid() || r.Caller.PID == nil || !strings.HasSuffix(r.Caller.Exe, "latchkey") {
			t.Errorf("unix caller is not the client process: %+v", r.Caller)
		}
	}

	mustFail(t, run{args: []string{"resolve", "--server", "unix://" + sock, "--audit-log", filepath.Join(dir, "x.jsonl"), "-w", wf}, dir: dir}, 2, "with --server the server")

	if err := os.Rename(log, log+".1"); err != nil {
		t.Fatal(err)
	}
	srv.signal(syscall.SIGHUP)
	srv.waitLog("reloaded the agent config")
	mustResolve(t, run{args: []string{"resolve", "--server", "unix://" + sock, "-w", wf}, dir: dir}, `"gcp_pass": "gcp-pl4nted`)
	b, err = os.ReadFile(log)
	if err != nil {
		t.Fatalf("no new audit file after SIGHUP: %v", err)
	}
	recs = audittest.Records(t, b, bytesOf(f.planted)...)
	if len(recs) == 0 {
		t.Fatal("the reopened audit file is empty")
	}
	// The stores are warm now (and may be cached): each secret still
	// appears once per resolution, whatever the cache said.
	f.checkFetches(t, recs, "unix")
	if old, _ := os.ReadFile(log + ".1"); strings.Count(string(old), "\n") != len(f.fetches)+1 {
		t.Errorf("the rotated file gained records after SIGHUP:\n%s", old)
	}
	noLeak(t, "server log", srv.stderr.String(), f.planted...)
}

// TestAuditServeDefault: without an audit section, `latchkey serve` writes
// the audit log to stderr, one JSON line per record between its text log
// lines; audit.enabled: false turns it off, with a warning.
func TestAuditServeDefault(t *testing.T) {
	for _, enabled := range []bool{true, false} {
		t.Run(fmt.Sprint("enabled=", enabled), func(t *testing.T) {
			dir := shortDir(t)
			sock := filepath.Join(dir, "s.sock")
			extra := ""
			if !enabled {
				extra = "audit: {enabled: false}\n"
			}
			agent := writeFile(t, dir, "agent.yaml", "stores:\n  demo: {type: env, secrets: {allow: [\"DEMO_*\"]}}\n"+extra+"serve:\n  socket: "+sock+"\n")
			srv := serve(t, agent, sock)
			if a := get(t, srv.unix, "GET", "http://l/v1/secret?ref=secret://demo/DEMO_API_TOKEN", ""); a.status != 200 {
				t.Fatalf("%d %s", a.status, a.body)
			}
			srv.signal(syscall.SIGTERM)
			var lines []byte
			for _, l := range strings.Split(srv.stderr.String(), "\n") {
				if strings.HasPrefix(l, "{") {
					lines = append(lines, l+"\n"...)
				}
			}
			recs := audittest.Records(t, lines, []byte(plantedToken))
			if enabled && (len(recs) != 2 || recs[0].Secret != "DEMO_API_TOKEN" || recs[1].Event != audit.EventResolution) {
				t.Fatalf("audit records on stderr: %+v\n%s", recs, srv.stderr.String())
			}
			if !enabled && (len(recs) != 0 || !strings.Contains(srv.stderr.String(), "the audit log is turned off")) {
				t.Fatalf("audit turned off, yet: %+v\n%s", recs, srv.stderr.String())
			}
		})
	}
}
