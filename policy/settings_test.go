package policy

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// settingProblems returns "key: message" for each *SettingError in err,
// failing on any other error.
func settingProblems(t *testing.T, err error) []string {
	t.Helper()
	var out []string
	var walk func(error)
	walk = func(e error) {
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				walk(x)
			}
			return
		}
		var se *SettingError
		if !errors.As(e, &se) {
			t.Fatalf("not a *SettingError: %v", e)
		}
		out = append(out, se.Key+": "+se.Msg)
	}
	if err != nil {
		walk(err)
	}
	return out
}

func TestParseRule(t *testing.T) {
	spec, err := ParseRule("stores.prod.secrets", map[string]any{
		"allow": []any{"etl/*", map[string]any{"name": "rotating/db", "versions": []any{"current", "AWSPREVIOUS"}}},
		"deny":  []any{"etl/admin*"},
	})
	want := &Spec{Origin: "stores.prod.secrets",
		Allow: []Entry{{Name: "etl/*"}, {Name: "rotating/db", Versions: []string{"current", "AWSPREVIOUS"}}},
		Deny:  []Entry{{Name: "etl/admin*"}}}
	if err != nil || !reflect.DeepEqual(spec, want) {
		t.Fatalf("ParseRule = %#v, %v", spec, err)
	}

	tests := []struct {
		name string
		raw  any
		want []string
	}{
		{"not a map", []any{"a"}, []string{"stores.s.secrets: must be a map with allow and/or deny lists"}},
		{"typo", map[string]any{"alow": []any{"a"}}, []string{`stores.s.secrets.alow: unknown key (known: allow, deny): did you mean "allow"?`}},
		{"entries", map[string]any{"deny": "a", "allow": []any{
			map[string]any{"name": "x", "versions": []any{}},
			map[string]any{"versions": []any{"v"}},
			map[string]any{"name": "x", "colour": 1},
			3,
		}}, []string{
			"stores.s.secrets.allow[0].versions: must be a non-empty list",
			"stores.s.secrets.allow[1].name: missing",
			"stores.s.secrets.allow[2].colour: unknown key (known: name, versions)",
			"stores.s.secrets.allow[3]: must be a pattern string or a map",
			"stores.s.secrets.deny: must be a list of patterns",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseRule("stores.s.secrets", tc.raw)
			got := settingProblems(t, err)
			if len(got) != len(tc.want) {
				t.Fatalf("problems:\n%s", strings.Join(got, "\n"))
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(got[i], w) {
					t.Errorf("problem %d = %q, want %q…", i, got[i], w)
				}
			}
		})
	}
}

func TestParseAllowList(t *testing.T) {
	spec, err := ParseAllowList("stores.app.allow", []any{"APP_*", "DB_?"})
	if err != nil || spec.Origin != "stores.app.allow" || !reflect.DeepEqual(spec.Allow, []Entry{{Name: "APP_*"}, {Name: "DB_?"}}) {
		t.Fatalf("ParseAllowList = %#v, %v", spec, err)
	}
	_, err = ParseAllowList("stores.app.allow", []any{"APP_[AB]", 3})
	got := settingProblems(t, err)
	if len(got) != 2 || !strings.Contains(got[0], "character class") || !strings.HasPrefix(got[1], "stores.app.allow[1]: must be a variable name pattern") {
		t.Fatalf("problems: %q", got)
	}
}

func TestParseCallers(t *testing.T) {
	specs, err := ParseCallers(map[string]any{
		"etl": map[string]any{"uids": []any{1001}, "gids": []any{"2000"}, "tokens": []any{"ci"}, "accounts": []any{`CORP\etl`},
			"service_accounts": []any{"etl/loader"},
			"stores":           map[string]any{"prod": map[string]any{"allow": []any{"etl/*"}}, "app": map[string]any{}}},
	}, []string{"prod", "app"})
	if err != nil || len(specs) != 1 {
		t.Fatalf("ParseCallers = %+v, %v", specs, err)
	}
	sp := specs[0]
	if sp.Name != "etl" || !reflect.DeepEqual(sp.UIDs, []int{1001}) || !reflect.DeepEqual(sp.GIDs, []int{2000}) ||
		sp.Tokens[0] != "ci" || sp.Accounts[0] != `CORP\etl` || sp.ServiceAccounts[0] != "etl/loader" ||
		sp.Stores["app"] != nil || sp.Stores["prod"].Origin != "callers.etl.stores.prod" {
		t.Fatalf("spec = %+v", sp)
	}
	if _, ok := sp.Stores["app"]; !ok {
		t.Fatal(`"app: {}" must grant the store with its own rule (a nil spec)`)
	}

	_, err = ParseCallers(map[string]any{
		"x": map[string]any{"uids": []any{-1}, "stores": map[string]any{"nope": map[string]any{}}, "pets": []any{"cat"}, "tokns": []any{"a"},
			"tokens": []any{""}, "accounts": "me", "service_accounts": []any{3}},
		"y": "etl",
	}, []string{"app"})
	want := []string{
		"callers.x.accounts: must be a list of Windows accounts",
		"callers.x.pets: unknown key (known: accounts, gids, service_accounts, stores, tokens, uids)",
		"callers.x.service_accounts[0]: must be NAMESPACE/NAME or NAMESPACE/*",
		`callers.x.stores.nope: no store "nope" is declared (declared: [app])`,
		`callers.x.tokens[0]: must be a token name`,
		`callers.x.tokns: unknown key (known: accounts, gids, service_accounts, stores, tokens, uids): did you mean "tokens"?`,
		"callers.x.uids[0]: must be a numeric id (0 or more)",
		"callers.y: must be a map with uids, gids or tokens, and stores",
	}
	got := settingProblems(t, err)
	if len(got) != len(want) {
		t.Fatalf("problems:\n%s", strings.Join(got, "\n"))
	}
	for i, w := range want {
		if !strings.HasPrefix(got[i], w) {
			t.Errorf("problem %d = %q, want %q…", i, got[i], w)
		}
	}
	if _, err := ParseCallers([]any{"etl"}, nil); err == nil || !strings.Contains(err.Error(), `"callers": must be a map of caller names`) {
		t.Errorf("not a map: %v", err)
	}
}
