//go:build unix

package main

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/audit/audittest"
	w "github.com/latchkey/latchkey/internal/wasmtest"
)

// versionModule returns a module whose latchkey_get records version with
// version_set (whatever the host answers) and returns value.
func versionModule(version, value string) []byte {
	put := func(addr int32, s string) []byte {
		var out []byte
		for i := range len(s) {
			out = append(out, w.Code(w.I32Const(addr+int32(i)), w.I32Const(int32(s[i])), w.I32Store8(0))...)
		}
		return out
	}
	get := w.Code(put(0, value), put(8192, version),
		w.I32Const(8192), w.I32Const(int32(len(version))), w.Call(w.FnVersionSet), w.Drop,
		w.I32Const(0), w.I32Const(int32(len(value))), w.Call(w.FnResultSet), w.Drop, w.I32Const(0))
	return w.Guest(get).Encode()
}

// TestServeVersionCarriesNoSecret runs `latchkey serve` with Wasm stores
// whose modules write, as their version, the value they return, a bound
// credential (percent-encoded, base64), or an audit line to inject; it
// resolves through /v1/resolve, /v1/secret and the SM Agent endpoint and
// reads the audit log: neither the answers, the audit records nor the
// server's log hold the secrets (in any encoding) or the injected text,
// and the leaky fetches fail naming the store's module.
func TestServeVersionCarriesNoSecret(t *testing.T) {
	const (
		value = "vv-pl4nted-value-5e6f"
		cred  = "cc-pl4nted-cred-8d9a"
	)
	doc := `{"password":"` + value + `"}`
	dir := shortDir(t)
	stores := map[string]any{}
	for name, version := range map[string]string{
		"byvalue":  value,
		"bycred":   strings.ToUpper(url.QueryEscape(cred)),
		"byb64":    base64.StdEncoding.EncodeToString([]byte(cred)),
		"injector": "v1\n{\"forged\":\"record\"}",
		"good":     "v7-good",
	} {
		mod := writeFile(t, dir, name+".wasm", string(versionModule(version, doc)))
		stores[name] = map[string]any{"type": "wasm", "module": mod, "allow_unpinned": true, "cache_dir": filepath.Join(dir, "wcache"),
			"allowed_hosts": []any{"api.example"},
			"credentials":   map[string]any{"tok": map[string]any{"env": "E2E_VER_CRED", "hosts": []any{"api.example"}}}}
	}
	log := filepath.Join(dir, "audit.jsonl")
	sock := filepath.Join(dir, "s.sock")
	cfg, _ := json.Marshal(map[string]any{"stores": stores, "audit": map[string]any{"file": log, "required": true},
		"serve": map[string]any{"socket": sock, "secretsmanager_store": "byvalue"}})
	agent := writeFile(t, dir, "agent.json", string(cfg))
	srv := serve(t, agent, sock, "E2E_VER_CRED="+cred)

	var answers []string
	for _, st := range []string{"byvalue", "bycred", "byb64"} {
		a := get(t, srv.unix, "POST", "http://l/v1/resolve", "name: wf\nfields:\n  p: secret://"+st+"/db#password\n")
		if a.status == 200 || !strings.Contains(a.body, st) || !strings.Contains(a.body, "version") {
			t.Errorf("resolve from %s: %d %s; want a failure naming the store and the version", st, a.status, a.body)
		}
		answers = append(answers, a.body)
	}
	a := get(t, srv.unix, "GET", "http://l/secretsmanager/get?secretId=db", "")
	if a.status == 200 {
		t.Errorf("the SM endpoint answered a secret whose version holds it: %s", a.body)
	}
	answers = append(answers, a.body)
	for _, st := range []string{"injector", "good"} {
		a := get(t, srv.unix, "POST", "http://l/v1/resolve", "name: wf\nfields:\n  p: secret://"+st+"/db#password\n")
		if a.status != 200 || !strings.Contains(a.body, value) {
			t.Errorf("resolve from %s: %d %s", st, a.status, a.body)
		}
	}
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	recs := audittest.Records(t, b, []byte(value), []byte(cred), []byte("forged"))
	versions := map[string]string{}
	for _, r := range recs {
		versions[r.Store] = r.AnsweredVersion
	}
	if versions["good"] != "v7-good" || versions["injector"] != "" || versions["byvalue"] != "" {
		t.Errorf("answered versions in the audit log: %v; want v7-good for good and none for the others", versions)
	}
	for what, text := range map[string]string{"audit log": string(b), "answers": strings.Join(answers, "\n"), "server log": srv.stderr.String()} {
		for _, v := range []string{value, cred} {
			if leak := w.FindLeak([]byte(text), []byte(v)); leak != "" {
				t.Errorf("the %s holds %q (%s form):\n%s", what, v[:6], leak, text)
			}
		}
		if strings.Contains(text, "forged") {
			t.Errorf("the %s holds the injected text:\n%s", what, text)
		}
	}
}
