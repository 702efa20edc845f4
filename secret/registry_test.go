package secret

import (
	"context"
	"slices"
	"testing"
)

func TestRegister(t *testing.T) {
	factory := func(context.Context, Spec) (Store, error) { return nil, nil }
	want := Type{Name: "registry-test", New: factory, Protection: Protection{Rate: 7, ClientRetries: true}, SecretsAlias: "allow"}
	Register(want)
	got, ok := LookupType("registry-test")
	if !ok || got.Name != want.Name || got.Protection != want.Protection || got.SecretsAlias != "allow" || got.New == nil {
		t.Fatalf("LookupType = %+v, %v; want the facts registered", got, ok)
	}
	if f, ok := Lookup("registry-test"); !ok || f == nil {
		t.Error("Lookup does not return the registered factory")
	}
	if _, ok := LookupType("registry-test-absent"); ok {
		t.Error("an unregistered type was found")
	}
	if !slices.Contains(Types(), "registry-test") {
		t.Errorf("Types() = %v lacks the registered type", Types())
	}
	tests := []struct {
		name string
		typ  Type
	}{
		{"twice", want},
		{"empty name", Type{New: factory}},
		{"nil factory", Type{Name: "registry-test-nil"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("Register(%+v) did not panic", tc.typ)
				}
			}()
			Register(tc.typ)
		})
	}
}
