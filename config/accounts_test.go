package config

import (
	"strings"
	"testing"
)

// TestCallerAccounts: callers.NAME.accounts takes SIDs and account names;
// anything else is refused naming the entry and the index.
func TestCallerAccounts(t *testing.T) {
	a, err := Load(Options{Environ: []string{}, Set: []string{
		"stores.app.type=env", "stores.app.secrets.allow=[APP_*]",
		`callers.w.accounts=[S-1-5-21-1-2-3-1001, 'CORP\etl', etl@corp.example]`, "callers.w.stores.app.allow=[APP_X]",
	}})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(a.Callers[0].Accounts, " "); got != `S-1-5-21-1-2-3-1001 CORP\etl etl@corp.example` {
		t.Fatalf("accounts = %s", got)
	}
	tests := []struct{ name, set, want string }{
		{"not a list", "callers.w.accounts=S-1-5-18", `"callers.w.accounts" (from --set callers.w.accounts=…): must be a list of Windows accounts`},
		{"a number", "callers.w.accounts=[18]", `"callers.w.accounts[0]": must be a SID`},
		{"a mistyped SID", "callers.w.accounts=[S-1-5-x]", `callers.w.accounts: "S-1-5-x" is neither a SID`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(Options{Environ: []string{}, Set: []string{"stores.app.type=env", tc.set, "callers.w.stores.app.allow=[APP_X]"}})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v; want %q", err, tc.want)
			}
		})
	}
}
