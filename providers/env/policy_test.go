package env

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/latchkey/latchkey/policy"
	"github.com/latchkey/latchkey/resolver"
	"github.com/latchkey/latchkey/secret"
	"github.com/latchkey/latchkey/storetest"
)

// counting counts the look-ups that reach the environment.
type counting struct {
	*Store
	n atomic.Int64
}

func (c *counting) Get(ctx context.Context, req secret.Request) (secret.Result, error) {
	c.n.Add(1)
	return c.Store.Get(ctx, req)
}

// governed builds a store as the factory does, without an allow list of
// its own, reading vars.
func governed(t *testing.T, vars map[string]string) *counting {
	st, err := factory(context.Background(), secret.Spec{Name: "s", Type: "env", Settings: map[string]any{}})
	if err != nil {
		t.Fatal(err)
	}
	s := st.(*Store)
	s.lookup = fakeEnv(vars)
	return &counting{Store: s}
}

// TestPolicy runs the secrets rule on the env store: exact, case-sensitive
// names, and no look-up for a refused reference.
func TestPolicy(t *testing.T) {
	st := governed(t, map[string]string{"APP_DB": `{"k":"v"}`, "APP_ADMIN": "a", "AWS_SECRET_ACCESS_KEY": "agent-own-credential"})
	storetest.RunPolicy(t, storetest.PolicyFixture{
		Store: resolver.StoreConfig{Store: st, Secrets: &policy.Spec{Origin: "stores.s.secrets",
			Allow: []policy.Entry{{Name: "APP_*"}}, Deny: []policy.Entry{{Name: "APP_ADMIN"}}}},
		Upstream: func() int { return int(st.n.Load()) },
		Cases: []storetest.PolicyCase{
			{Name: "allowed", Ref: "secret://s/APP_DB#k"},
			{Name: "the agent's own credential", Ref: "secret://s/AWS_SECRET_ACCESS_KEY", Refused: "no allow pattern matches it"},
			{Name: "deny over allow", Ref: "secret://s/APP_ADMIN", Refused: `deny "APP_ADMIN"`},
			{Name: "names are exact: case matters", Ref: "secret://s/app_db", Refused: "no allow pattern"},
			// Variables have no versions: a reference that names one is
			// refused by the rule, before the store would refuse it.
			{Name: "version refused", Ref: "secret://s/APP_DB?version=2", Refused: "have no versions"},
		},
	})
}

// TestGovernedStoreNeedsARule: the factory's store without an allow list
// of its own is not built without a rule that has allow patterns.
func TestGovernedStoreNeedsARule(t *testing.T) {
	tests := []struct {
		name  string
		rule  *policy.Spec
		error string
	}{
		{"no rule", nil, `setting "secrets": needs allow patterns`},
		{"deny only", &policy.Spec{Origin: "stores.e.secrets", Deny: []policy.Entry{{Name: "AWS_*"}}}, "needs allow patterns"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := resolver.New(context.Background(), resolver.Config{Stores: map[string]resolver.StoreConfig{
				"e": {Type: "env", Secrets: tc.rule}}})
			if err == nil || !strings.Contains(err.Error(), tc.error) {
				t.Fatalf("error %v, want %q", err, tc.error)
			}
		})
	}
}
