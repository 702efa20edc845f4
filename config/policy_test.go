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
