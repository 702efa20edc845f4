//go:build unix

package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// checkJSON mirrors the object `check --format json` prints.
type checkJSON struct {
	OK      bool `json:"ok"`
	Offline bool `json:"offline"`
	Fields  []struct {
		Field, Store, Type, Secret, Key, Status string
		Error                                   *errorJSON
	} `json:"fields"`
	Stores []struct {
		Name, Identity string
		Warnings       []string
	} `json:"stores"`
	Errors []errorJSON `json:"errors"`
}

type errorJSON struct {
	Kind, Field, Store, Secret, Key, Setting, Message string
}

// TestCheckJSON checks check --format json: every field's status, the
// failed one's structured error (also in "errors"), the stores, and a config
// that cannot be loaded still giving the object with exit 3.
func TestCheckJSON(t *testing.T) {
	dir := t.TempDir()
	wf := writeFile(t, dir, "wf.yaml", `fields:
  found: secret://demo/DEMO_DB#password
  defaulted: secret://demo/DEMO_NOPE?default=x
  omitted: secret://demo/DEMO_NOPE#k?optional
  failed: secret://demo/DEMO_DB#nokey
  lit: hello
`)
	r := latchkey(t, run{args: []string{"check", "-c", "agent.yaml", "-w", wf, "--format", "json"}})
	if r.code != 4 {
		t.Fatalf("exit %d, want 4: %s", r.code, r.stderr)
	}
	noLeak(t, "check --format json", r.stdout+r.stderr, planted...)
	var rep checkJSON
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, r.stdout)
	}
	want := map[string]string{"found": "ok", "defaulted": "default", "omitted": "omitted", "failed": "failed", "lit": "ok"}
	if rep.OK || len(rep.Fields) != len(want) {
		t.Fatalf("report: %+v", rep)
	}
	for _, f := range rep.Fields {
		if want[f.Field] != f.Status {
			t.Errorf("field %s: status %q, want %q", f.Field, f.Status, want[f.Field])
		}
	}
	e := rep.Fields[3].Error
	if e == nil || e.Kind != "not_found" || e.Field != "failed" || e.Store != "demo" || e.Secret != "DEMO_DB" || e.Key != "nokey" || e.Message == "" {
		t.Errorf("failed field's error: %+v", e)
	}
	if len(rep.Errors) != 1 || rep.Errors[0] != *e {
		t.Errorf("errors: %+v", rep.Errors)
	}
	if len(rep.Stores) != 1 || rep.Stores[0].Name != "demo" || rep.Stores[0].Identity == "" {
		t.Errorf("stores: %+v", rep.Stores)
	}

	bad := writeFile(t, dir, "bad.yaml", "stores:\n  demo:\n    type: env\n    allow: [DEMO_*]\n    bogus: 1\n")
	r = latchkey(t, run{args: []string{"check", "-c", bad, "-w", wf, "--format", "json", "--offline"}})
	if r.code != 3 {
		t.Fatalf("bad config: exit %d, want 3: %s", r.code, r.stderr)
	}
	rep = checkJSON{}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, r.stdout)
	}
	if rep.OK || len(rep.Errors) == 0 || rep.Errors[0].Kind != "invalid_config" || rep.Errors[0].Store != "demo" || rep.Errors[0].Setting != "bogus" {
		t.Errorf("bad config report: %+v", rep)
	}
}

// TestCheckOfflineStaticProblems checks that a reference the store can
// never serve (a version on the env store) fails check --offline with exit
// 3, naming the field, as resolve does.
func TestCheckOfflineStaticProblems(t *testing.T) {
	wf := writeFile(t, t.TempDir(), "wf.yaml", "fields:\n  pw: secret://demo/DEMO_DB?version=2#password\n")
	for _, args := range [][]string{{"check", "--offline"}, {"check"}, {"resolve"}} {
		r := latchkey(t, run{args: append(args, "-c", "agent.yaml", "-w", wf)})
		if r.code != 3 || !strings.Contains(r.stderr, `field "pw"`) || !strings.Contains(r.stderr, "no versions") {
			t.Errorf("%v: exit %d, want 3 naming the field: %s", args, r.code, r.stderr)
		}
	}
}

// TestAllProblemsAtOnce checks that the config's top level, a store's own
// settings and the workflow are reported in one round, an override's
// problem naming the variable it came from.
func TestAllProblemsAtOnce(t *testing.T) {
	dir := t.TempDir()
	agent := writeFile(t, dir, "agent.yaml", "timeot: 5s\nstores:\n  demo:\n    type: env\n    allow: [DEMO_*]\n    bogus: 1\n")
	wf := writeFile(t, dir, "wf.yaml", "fields:\n  a: secrets://demo/DEMO_DB\n")
	r := latchkey(t, run{args: []string{"check", "--offline", "-c", agent, "-w", wf}, env: []string{"LATCHKEY_STORES__DEMO__REGOIN=x"}})
	if r.code != 3 {
		t.Fatalf("exit %d, want 3: %s", r.code, r.stderr)
	}
	for _, want := range []string{
		`key "timeot": unknown key`, `did you mean "timeout"?`,
		`setting "bogus": unknown setting`,
		`setting "regoin": unknown setting`, "(from LATCHKEY_STORES__DEMO__REGOIN)",
		`wf.yaml:2 (field "a"): "secrets://"`,
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
}
