package resolver_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	_ "github.com/latchkey/latchkey/providers/env"
	"github.com/latchkey/latchkey/resolver"
	"github.com/latchkey/latchkey/secret"
)

// TestPlanAsksTheStore checks that a request a store reports it can never
// serve (a version on the env store) fails the plan — every such field,
// joined, before anything is fetched — so that check --offline reports it.
func TestPlanAsksTheStore(t *testing.T) {
	t.Setenv("CR_A", "a")
	r, err := resolver.New(context.Background(), resolver.Config{Stores: map[string]resolver.StoreConfig{
		"app": {Type: "env", Settings: map[string]any{"allow": []string{"CR_*"}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var fields []resolver.Field
	for _, kv := range [][2]string{{"ok", "secret://app/CR_A"}, {"v1", "secret://app/CR_A?version=1"}, {"v2", "secret://app/CR_B?version=AWSCURRENT"}} {
		f, err := resolver.ParseField(kv[0], kv[1])
		if err != nil {
			t.Fatal(err)
		}
		fields = append(fields, f)
	}
	wf := resolver.Workflow{Name: "w", Fields: fields}
	_, err = r.Plan(wf)
	if !errors.Is(err, secret.ErrInvalidConfig) {
		t.Fatalf("Plan: %v, want an ErrInvalidConfig", err)
	}
	for _, want := range []string{`field "v1"`, `field "v2"`, "have no versions (drop version=)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Plan error %q lacks %q", err, want)
		}
	}
	if strings.Contains(err.Error(), `field "ok"`) {
		t.Errorf("Plan error %q names the good field", err)
	}
	if _, err := r.Resolve(context.Background(), wf); err == nil || errors.As(err, new(*resolver.Error)) {
		t.Errorf("Resolve: %v, want the plan error, not a resolution error", err)
	}
}
