package policy

import (
	"errors"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/secret"
)

func TestCallersMatch(t *testing.T) {
	c, err := CompileCallers([]CallerSpec{
		{Name: "etl", UIDs: []int{1001}, GIDs: []int{3000}, Tokens: []string{"ci"}, Stores: map[string]*Spec{"aws": {Allow: []Entry{{Name: "etl/*"}}}}},
		{Name: "ops", GIDs: []int{2000}, Stores: map[string]*Spec{"aws": nil}},
		{Name: "loader", ServiceAccounts: []string{"etl/loader"}, Stores: map[string]*Spec{"aws": nil}},
		{Name: "reports", ServiceAccounts: []string{"reports/*", "etl/*"}, Stores: map[string]*Spec{"aws": nil}},
	}, map[string]*secret.Naming{"aws": nil, "app": nil})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		caller secret.Caller
		want   string // "" for refused
	}{
		{"by uid", secret.Caller{Kind: secret.CallerUnix, UID: 1001, GID: 1001}, "etl"},
		{"uid wins over gid", secret.Caller{Kind: secret.CallerUnix, UID: 1001, GID: 2000}, "etl"},
		{"by gid", secret.Caller{Kind: secret.CallerUnix, UID: 1500, GID: 2000}, "ops"},
		{"by token", secret.Caller{Kind: secret.CallerToken, Token: "ci"}, "etl"},
		{"unknown uid", secret.Caller{Kind: secret.CallerUnix, UID: 1002, GID: 1002}, ""},
		{"unknown token", secret.Caller{Kind: secret.CallerToken, Token: "other"}, ""},
		{"a token name is not a uid", secret.Caller{Kind: secret.CallerToken, Token: "1001"}, ""},
		{"cli", secret.Caller{Kind: secret.CallerCLI, UID: 1001}, ""},
		{"unknown uid -1", secret.Caller{Kind: secret.CallerUnix, UID: -1, GID: -1}, ""},
		{"pod by service account", secret.Caller{Kind: secret.CallerPod, Namespace: "etl", ServiceAccount: "loader"}, "loader"},
		{"exact service account wins over the namespace", secret.Caller{Kind: secret.CallerPod, Namespace: "etl", ServiceAccount: "loader"}, "loader"},
		{"namespace wildcard", secret.Caller{Kind: secret.CallerPod, Namespace: "etl", ServiceAccount: "other"}, "reports"},
		{"unknown namespace", secret.Caller{Kind: secret.CallerPod, Namespace: "etl-2", ServiceAccount: "loader"}, ""},
		{"a pod is not matched by a uid", secret.Caller{Kind: secret.CallerPod, UID: 1001, Namespace: "x", ServiceAccount: "y"}, ""},
		{"a token named like a service account", secret.Caller{Kind: secret.CallerToken, Token: "etl/loader"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := c.Match(tc.caller)
			if tc.want == "" {
				var cr *CallerRefusal
				if !errors.As(err, &cr) || !errors.Is(err, secret.ErrNotAllowed) || !strings.Contains(err.Error(), tc.caller.String()) {
					t.Fatalf("Match(%v) = %v, %v; want a refusal naming the caller", tc.caller, r, err)
				}
				return
			}
			if err != nil || r.Name() != tc.want {
				t.Fatalf("Match(%v) = %v, %v; want %s", tc.caller, r, err, tc.want)
			}
		})
	}
	etl, _ := c.Rule("etl")
	if rule, ok := etl.Rule("aws"); !ok || rule.Check(secret.Request{Name: "bi/db"}) == nil {
		t.Error("etl's aws rule lets bi/db through")
	}
	if _, ok := etl.Rule("app"); ok {
		t.Error("etl may use a store its entry does not name")
	}
	ops, _ := c.Rule("ops")
	if rule, ok := ops.Rule("aws"); !ok || rule != nil {
		t.Errorf("ops's aws entry should add no rule: %v %v", rule, ok)
	}
}

// TestCompileCallersRefuses: every bad entry is reported, naming its field
// and, for an id two entries claim, the entry that claimed it first.
func TestCompileCallersRefuses(t *testing.T) {
	aws := map[string]*Spec{"aws": nil}
	tests := []struct {
		name  string
		specs []CallerSpec
		want  []string
	}{
		{"uid claimed twice", []CallerSpec{{Name: "a", UIDs: []int{1001}, Stores: aws}, {Name: "b", UIDs: []int{1001}, Stores: aws}},
			[]string{`callers.b.uids: uid 1001 is already matched by callers.a`}},
		{"gid claimed twice", []CallerSpec{{Name: "a", GIDs: []int{7}, Stores: aws}, {Name: "b", GIDs: []int{7}, Stores: aws}},
			[]string{`callers.b.gids: gid 7 is already matched by callers.a`}},
		{"token claimed twice", []CallerSpec{{Name: "a", Tokens: []string{"ci"}, Stores: aws}, {Name: "b", Tokens: []string{"x", "ci"}, Stores: aws}},
			[]string{`callers.b.tokens: token "ci" is already matched by callers.a`}},
		{"a uid and a gid of the same number are different callers", []CallerSpec{{Name: "a", UIDs: []int{5}, Stores: aws}, {Name: "b", GIDs: []int{5}, Stores: aws}},
			nil},
		{"negative ids and an empty token", []CallerSpec{{Name: "a", UIDs: []int{-1}, GIDs: []int{-2}, Tokens: []string{""}, Stores: aws}},
			[]string{"callers.a.uids: -1 is not a uid", "callers.a.gids: -2 is not a gid", "callers.a.tokens: empty token name"}},
		{"defined twice", []CallerSpec{{Name: "a", UIDs: []int{1}, Stores: aws}, {Name: "a", UIDs: []int{2}, Stores: aws}},
			[]string{"callers.a: defined twice"}},
		{"service account claimed twice", []CallerSpec{{Name: "a", ServiceAccounts: []string{"ns/*"}, Stores: aws}, {Name: "b", ServiceAccounts: []string{"ns/*"}, Stores: aws}},
			[]string{`callers.b.service_accounts: service account "ns/*" is already matched by callers.a`}},
		{"bad service accounts", []CallerSpec{{Name: "a", ServiceAccounts: []string{"ns", "NS/a", "ns/", "*/a", "-ns/a"}, Stores: aws}},
			[]string{`"ns" is not NAMESPACE/NAME`, `"NS/a"`, `"ns/"`, `"*/a"`, `"-ns/a"`}},
		{"matches no one and may use nothing", []CallerSpec{{Name: "a"}},
			[]string{"callers.a: matches no caller", "callers.a.stores: names no store"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := CompileCallers(tc.specs, map[string]*secret.Naming{"aws": nil})
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, secret.ErrInvalidConfig) {
				t.Fatalf("want ErrInvalidConfig, got %v", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not contain %q:\n%v", w, err)
				}
			}
		})
	}
}
