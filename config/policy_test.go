package config

import (
	"reflect"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/policy"
)

func TestSecretsRule(t *testing.T) {
	a, err := Load(Options{Path: "testdata/policy.yaml", Environ: []string{"LATCHKEY_STORES__PROD__SECRETS__DENY=[etl/admin*, etl/root]"}})
	if err != nil {
		t.Fatal(err)
	}
	got := a.Stores["prod"].Secrets
	want := &policy.Spec{Origin: "stores.prod.secrets",
		Allow: []policy.Entry{{Name: "etl/*"}, {Name: "rotating/db", Versions: []string{"current", "AWSPREVIOUS"}}},
		Deny:  []policy.Entry{{Name: "etl/admin*"}, {Name: "etl/root"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("rule = %#v\nwant %#v", got, want)
	}
	if _, has := a.Stores["prod"].Settings["secrets"]; has {
		t.Fatal("secrets must not be passed on to the store as a setting")
	}
}

func TestSecretsRuleErrors(t *testing.T) {
	_, err := Load(Options{Path: "testdata/bad-policy.yaml", Environ: []string{}})
	if err == nil {
		t.Fatal("want errors")
	}
	for _, w := range []string{
		`allow "etl/db" is already covered by allow "etl/*"`,
		`"stores.prod.secrets.allow[2].versions": must be a non-empty list`,
		`"stores.prod.secrets.allow[3].name": missing`,
		`"stores.prod.secrets.allow[4].colour": unknown key (known: name, versions)`,
		`"stores.prod.secrets.allow[5]": must be a pattern string or a map`,
		`"stores.prod.secrets.deny": must be a list of patterns`,
		`"stores.prod.secrets.alow": unknown key (known: allow, deny)`,
		`"stores.other.secrets": must be a map with allow and/or deny lists`,
	} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("errors lack %q:\n%v", w, err)
		}
	}
}

func TestAuditAndCallers(t *testing.T) {
	a, err := Load(Options{Environ: []string{}, Set: []string{
		"stores.app.type=env", "stores.app.secrets.allow=[APP_*]",
		"audit.file=/var/log/latchkey/audit.jsonl", "audit.required=true",
		"callers.etl.uids=[1001]", "callers.etl.stores.app.allow=[APP_ETL]",
	}})
	if err != nil {
		t.Fatal(err)
	}
	if a.Audit != (AuditConfig{File: "/var/log/latchkey/audit.jsonl", Required: true}) {
		t.Errorf("audit = %+v", a.Audit)
	}
	if len(a.Callers) != 1 || a.Callers[0].Name != "etl" || a.Callers[0].UIDs[0] != 1001 ||
		a.Callers[0].Stores["app"] == nil || a.Callers[0].Stores["app"].Allow[0].Name != "APP_ETL" {
		t.Errorf("callers = %+v", a.Callers)
	}
	_, err = Load(Options{Environ: []string{}, Set: []string{
		"stores.app.type=env", "stores.app.secrets.allow=[APP_*]",
		"audit.file=", "audit.required=maybe", "audit.enabled=false", "audit.colour=red",
		"callers.x.uids=[-1]", "callers.x.stores.nope.allow=[a]", "callers.x.pets=[cat]",
	}})
	for _, w := range []string{"must be a file path", "must be true or false", `"audit.colour"`, "unknown key (known: enabled, file, required)",
		`"callers.x.uids[0]": must be a numeric id`, `"callers.x.stores.nope"`, `no store "nope" is declared`, `"callers.x.pets"`, "unknown key (known: accounts, gids, service_accounts, stores, tokens, uids)"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("errors lack %q:\n%v", w, err)
		}
	}
}

// FuzzSecretsRule loads arbitrary rule text (a YAML flow value, as an
// override gives it) for allow and deny: never a panic, and a rule that
// loads keeps its patterns as written.
func FuzzSecretsRule(f *testing.F) {
	f.Add("[app/*, {name: db, versions: [current]}]", "[app/admin*]")
	f.Add("[]", "x")
	f.Add("[{name: [a]}]", "[{versions: 3}]")
	f.Fuzz(func(t *testing.T, allow, deny string) {
		a, err := Load(Options{Environ: []string{}, Set: []string{"stores.s.type=aws", "stores.s.secrets.allow=" + allow, "stores.s.secrets.deny=" + deny}})
		if err != nil {
			return
		}
		spec := a.Stores["s"].Secrets
		if spec == nil || len(spec.Allow)+len(spec.Deny) == 0 {
			t.Fatalf("a rule loaded without patterns: %+v", spec)
		}
	})
}
