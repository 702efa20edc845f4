package config

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/policy"
	"github.com/latchkey/latchkey/secret"
)

// aliasType is a store type registered here with facts of its own, so that
// the config's handling of a type is seen to follow what the type
// registered, not its name.
const aliasType = "config-test-registered"

func init() {
	secret.Register(secret.Type{Name: aliasType,
		New:          func(context.Context, secret.Spec) (secret.Store, error) { return nil, nil },
		Protection:   secret.Protection{Rate: 7, Burst: 3, ClientRetries: true},
		SecretsAlias: "names",
	})
}

func TestRegisteredFacts(t *testing.T) {
	_, err := Load(Options{Environ: []string{}, Set: []string{
		"stores.y.type=" + aliasType, `stores.y.names=["B"]`, `stores.y.secrets.allow=["C"]`,
	}})
	if err == nil || !strings.Contains(err.Error(), `"stores.y.names" (from --set stores.y.names=…): give the `+aliasType+` store's patterns once: names is an older spelling of secrets.allow`) {
		t.Fatalf("an alias and secrets.allow both: err = %v", err)
	}
	a, err := Load(Options{Environ: []string{}, Set: []string{"stores.x.type=" + aliasType, `stores.x.names=["A_*"]`}})
	if err != nil {
		t.Fatal(err)
	}
	sc := a.Stores["x"]
	if sc.Secrets == nil || !reflect.DeepEqual(sc.Secrets.Allow, []policy.Entry{{Name: "A_*"}}) || sc.Secrets.Origin != "stores.x.names" {
		t.Errorf("the registered alias did not become the rule: %#v", sc.Secrets)
	}
	if _, has := sc.Settings["names"]; has {
		t.Error("the alias was passed on as a setting")
	}
	if p := sc.Protection; p == nil || p.Rate != 7 || p.Burst != 3 || p.Retry.Max != 0 {
		t.Errorf("protection %+v; want the registered type's defaults", p)
	}
}
