package policy

import (
	"errors"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/secret"
)

func TestParseSID(t *testing.T) {
	tests := []struct {
		in, want string // want "" for not a SID
	}{
		{"S-1-5-18", "S-1-5-18"},
		{"s-1-5-32-544", "S-1-5-32-544"},
		{"S-1-5-21-3623811015-3361044348-30300820-1013", "S-1-5-21-3623811015-3361044348-30300820-1013"},
		{"S-1-5-021-007", "S-1-5-21-7"},                    // leading zeros are one SID, not two
		{"S-1-281474976710655-1", "S-1-281474976710655-1"}, // authority of 48 bits
		{"S-1-281474976710656-1", ""},                      // 2^48
		{"S-1-5-4294967295", "S-1-5-4294967295"},
		{"S-1-5-4294967296", ""}, // a sub-authority over 32 bits must not wrap onto another account
		{"S-1-5", ""},            // no sub-authority
		{"S-2-5-18", ""},         // revision 2
		{"S-1-5-18-", ""},
		{"S-1--5-18", ""},
		{"S-1-5-+18", ""},
		{"S-1-5- 18", ""},
		{"S-1-5-0x12", ""},
		{"S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15", "S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15"},
		{"S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15-16", ""}, // 16 sub-authorities
		{"BA", ""},
		{"SY", ""},
		{"", ""},
		{`CORP\etl`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, ok := ParseSID(tc.in)
			if ok != (tc.want != "") || got != tc.want {
				t.Fatalf("ParseSID(%q) = %q, %v; want %q", tc.in, got, ok, tc.want)
			}
		})
	}
}

func TestValidAccountName(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{`CORP\etl`, true},
		{"etl", true},
		{"etl@corp.example", true},
		{`NT AUTHORITY\NETWORK SERVICE`, true},
		{`\etl`, false},
		{`CORP\`, false},
		{`A\B\C`, false},
		{"@corp", false},
		{"S-1-5-x", false},
		{"a@b@c", false},
		{" etl", false},
		{"etl\n", false},
		{"e*l", false},
		{"", false},
		{strings.Repeat("a", 257), false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := ValidAccountName(tc.in); got != tc.want {
				t.Fatalf("ValidAccountName(%q) = %v", tc.in, got)
			}
		})
	}
}

// TestPipeCallersMatch: a pipe client is matched by its user SID first,
// then by its groups; groups that two entries name are refused rather than
// guessed; and nothing but a pipe caller's SIDs can match an account.
func TestPipeCallersMatch(t *testing.T) {
	const (
		alice  = "S-1-5-21-1-2-3-1001"
		bob    = "S-1-5-21-1-2-3-1002"
		etlGrp = "S-1-5-21-1-2-3-2001"
		opsGrp = "S-1-5-21-1-2-3-2002"
		users  = "S-1-5-32-545"
	)
	aws := map[string]*Spec{"aws": nil}
	c, err := CompileCallers([]CallerSpec{
		{Name: "alice", Accounts: []string{"s-1-5-21-1-2-3-01001"}, Stores: aws}, // canonicalised
		{Name: "etl", Accounts: []string{etlGrp}, Stores: aws},
		{Name: "ops", Accounts: []string{opsGrp, `CORP\ops`}, Stores: aws},
	}, map[string]*secret.Naming{"aws": nil})
	if err != nil {
		t.Fatal(err)
	}
	pipe := func(sids ...string) secret.Caller {
		return secret.Caller{Kind: secret.CallerPipe, UID: -1, GID: -1, PID: 42, SIDs: sids}
	}
	tests := []struct {
		name      string
		caller    secret.Caller
		want      string // "" for refused
		ambiguous bool
	}{
		{"by user SID", pipe(alice, users), "alice", false},
		{"user SID wins over its groups", pipe(alice, etlGrp, opsGrp), "alice", false},
		{"by group", pipe(bob, users, etlGrp), "etl", false},
		{"two entries' groups are ambiguous", pipe(bob, opsGrp, etlGrp), "", true},
		{"a group named as the user", pipe(etlGrp), "etl", false},
		{"no SID known (anonymous client)", pipe(), "", false},
		{"unnamed user and groups", pipe(bob, users), "", false},
		{"an account name is never matched unresolved", pipe(bob, `corp\ops`), "", false},
		{"a unix peer cannot claim a SID", secret.Caller{Kind: secret.CallerUnix, UID: 1001, GID: 1001, SIDs: []string{alice}}, "", false},
		{"a token client cannot claim a SID", secret.Caller{Kind: secret.CallerToken, Token: "x", SIDs: []string{alice}}, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := c.Match(tc.caller)
			if tc.want == "" {
				var cr *CallerRefusal
				if !errors.As(err, &cr) || !errors.Is(err, secret.ErrNotAllowed) || !strings.Contains(err.Error(), tc.caller.String()) {
					t.Fatalf("Match(%v) = %v, %v; want a refusal naming the caller", tc.caller, r, err)
				}
				if tc.ambiguous != strings.Contains(err.Error(), "callers.etl, callers.ops") {
					t.Fatalf("Match(%v): %v; ambiguous=%v", tc.caller, err, tc.ambiguous)
				}
				return
			}
			if err != nil || r.Name() != tc.want {
				t.Fatalf("Match(%v) = %v, %v; want %s", tc.caller, r, err, tc.want)
			}
		})
	}
	if got := strings.Join(c.AccountSIDs(), " "); got != strings.Join([]string{alice, etlGrp, opsGrp}, " ") {
		t.Errorf("AccountSIDs() = %s", got)
	}
}

func TestCompileAccountsRefuses(t *testing.T) {
	aws := map[string]*Spec{"aws": nil}
	tests := []struct {
		name  string
		specs []CallerSpec
		want  string
	}{
		{"not an account", []CallerSpec{{Name: "a", Accounts: []string{"S-1-5-x"}, Stores: aws}}, `callers.a.accounts: "S-1-5-x" is neither a SID`},
		{"SID claimed twice, spelled differently", []CallerSpec{{Name: "a", Accounts: []string{"S-1-5-18"}, Stores: aws}, {Name: "b", Accounts: []string{"s-1-5-018"}, Stores: aws}},
			"callers.b.accounts: account S-1-5-18 is already matched by callers.a"},
		{"name claimed twice, any case", []CallerSpec{{Name: "a", Accounts: []string{`CORP\etl`}, Stores: aws}, {Name: "b", Accounts: []string{`corp\ETL`}, Stores: aws}},
			"is already matched by callers.a"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := CompileCallers(tc.specs, map[string]*secret.Naming{"aws": nil})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, secret.ErrInvalidConfig) {
				t.Fatalf("err = %v; want %q", err, tc.want)
			}
		})
	}
}
