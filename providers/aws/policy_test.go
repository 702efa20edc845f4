package aws

import (
	"testing"

	"github.com/latchkey/latchkey/policy"
	"github.com/latchkey/latchkey/providers/aws/awstest"
	"github.com/latchkey/latchkey/resolver"
	"github.com/latchkey/latchkey/secret"
	"github.com/latchkey/latchkey/storetest"
)

// TestPolicy runs the store's secrets rule against the loopback Secrets
// Manager: names, full and partial ARNs, versions, and no request for a
// refused reference.
func TestPolicy(t *testing.T) {
	e := start(t)
	for _, n := range []string{"prod/admin", "shared/key", "other/x", "rotating"} {
		e.srv.PutString(n, `{"k":"v"}`)
	}
	e.srv.PutString("rotating", `{"k":"new"}`)
	e.srv.PutString("rotating", `{"k":"pending"}`, "AWSPENDING")
	arnOf := e.srv.ARN
	partial := func(n string) string { a := arnOf(n); return a[:len(a)-7] }
	rule := &policy.Spec{Origin: "stores.s.secrets",
		Allow: []policy.Entry{
			{Name: "prod/*"},
			{Name: "arn:aws:secretsmanager:" + awstest.DefaultRegion + ":" + awstest.DefaultAccount + ":secret:shared/*"},
			{Name: "rotating", Versions: []string{secret.Current, "AWSPREVIOUS"}},
		},
		Deny: []policy.Entry{{Name: "prod/admin*"}, {Name: "prod/db", Versions: []string{"AWSPENDING"}}},
	}
	storetest.RunPolicy(t, storetest.PolicyFixture{
		Store: resolver.StoreConfig{Type: "aws", Settings: e.settings(), Secrets: rule},
		Upstream: func() int {
			n := 0
			for _, c := range e.srv.Calls() {
				if c.Service == "secretsmanager" {
					n++
				}
			}
			return n
		},
		Cases: []storetest.PolicyCase{
			{Name: "allowed by name", Ref: "secret://s/prod/db#password"},
			{Name: "allowed by ARN pattern, full ARN", Ref: "secret://s/" + arnOf("shared/key") + "#k"},
			{Name: "allowed by ARN pattern, partial ARN", Ref: "secret://s/" + partial("shared/key")},
			{Name: "denied: no allow pattern", Ref: "secret://s/other/x", Refused: "no allow pattern matches it"},
			{Name: "deny over allow", Ref: "secret://s/prod/admin", Refused: `deny "prod/admin*"`},
			{Name: "denied name, spelled as a full ARN", Ref: "secret://s/" + arnOf("prod/admin"), Refused: `deny "prod/admin*"`},
			{Name: "denied name, spelled as a partial ARN", Ref: "secret://s/" + partial("prod/admin"), Refused: `deny "prod/admin*"`},
			{Name: "denied name in another account", Ref: "secret://s/arn:aws:secretsmanager:" + awstest.DefaultRegion + ":999999999999:secret:prod/admin-AbCdEf",
				Refused: `deny "prod/admin*"`},
			{Name: "allowed name, spelled as an ARN of an account the store does not know as its own",
				Ref: "secret://s/" + arnOf("prod/db"), Refused: "no allow pattern matches it"},
			{Name: "version allowed", Ref: "secret://s/rotating?version=AWSPREVIOUS"},
			{Name: "version allowed, stage: prefix", Ref: "secret://s/rotating?version=stage:AWSPREVIOUS"},
			{Name: "current version allowed", Ref: "secret://s/rotating?version=AWSCURRENT"},
			{Name: "version not allowed", Ref: "secret://s/rotating?version=AWSPENDING", Refused: "no allow pattern"},
			{Name: "version denied over a name allow", Ref: "secret://s/prod/db?version=AWSPENDING", Refused: `deny "prod/db" (versions AWSPENDING)`},
			{Name: "unreadable name refused", Ref: "secret://s/prod/a%20b", Refused: "not a secret name"},
		},
	})
}

// TestPolicyOwnAccount: a store that assumes a role knows its account, so
// an ARN in that account and region is its own and name patterns cover it;
// an ARN of another account is not.
func TestPolicySubjectOwnAccount(t *testing.T) {
	e := start(t)
	st := build(t, e.settings("auth_method", "assume_role", "role_arn", "arn:aws:iam::"+awstest.DefaultAccount+":role/r"))
	naming := st.Describe().Naming
	rule, err := policy.Compile(policy.Spec{Origin: "o", Allow: []policy.Entry{{Name: "prod/*"}}}, "sm", &naming)
	if err != nil {
		t.Fatal(err)
	}
	own := e.srv.ARN("prod/db")
	if err := rule.Check(secret.Request{Name: own}); err != nil {
		t.Errorf("own account ARN refused: %v", err)
	}
	other := "arn:aws:secretsmanager:" + awstest.DefaultRegion + ":999999999999:secret:prod/db-AbCdEf"
	if err := rule.Check(secret.Request{Name: other}); err == nil {
		t.Error("an ARN of another account rode on a name pattern")
	}
}

func TestPolicyPatternErrors(t *testing.T) {
	e := start(t)
	st := build(t, e.settings())
	naming := st.Describe().Naming
	for _, p := range []string{"has space", "arn:aws:s3:::bucket", "arn:aws:secretsmanager:eu-west-1::secret:x", "prod/db#x"} {
		if _, err := policy.Compile(policy.Spec{Origin: "o", Allow: []policy.Entry{{Name: p}}}, "sm", &naming); err == nil {
			t.Errorf("pattern %q accepted", p)
		}
	}
	// An ARN whose name only looks suffixed is denied under both readings.
	rule, err := policy.Compile(policy.Spec{Origin: "o", Deny: []policy.Entry{{Name: "team/x-backup"}}}, "sm", &naming)
	if err != nil {
		t.Fatal(err)
	}
	looks := "arn:aws:secretsmanager:" + awstest.DefaultRegion + ":" + awstest.DefaultAccount + ":secret:team/x-backup"
	if err := rule.Check(secret.Request{Name: looks}); err == nil {
		t.Error("a partial ARN whose name looks suffixed slipped past a deny of its name")
	}
	// A literal random suffix in an ARN pattern is dropped, like a
	// reference's: the pattern then covers the secret however it is named.
	rule, err = policy.Compile(policy.Spec{Origin: "o", Deny: []policy.Entry{{Name: e.srv.ARN("prod/db")}}}, "sm", &naming)
	if err != nil {
		t.Fatal(err)
	}
	if err := rule.Check(secret.Request{Name: "prod/db"}); err == nil {
		t.Error("deny written as a full ARN did not refuse the bare name")
	}
}
