package env

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/secret"
	"github.com/latchkey/latchkey/storetest"
)

func fakeEnv(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) *storetest.Fixture {
		vars := map[string]string{
			"APP_PLAIN":             "plain-planted-value",
			"APP_DOC":               `{"username":"admin","password":"json-planted-pw"}`,
			"AWS_SECRET_ACCESS_KEY": "agent-own-credential",
		}
		st, err := New("env", Options{Allow: []string{"APP_*"}, LookupEnv: fakeEnv(vars)})
		if err != nil {
			t.Fatal(err)
		}
		return &storetest.Fixture{
			Store: st,
			Plain: secret.Request{Name: "APP_PLAIN"}, PlainValue: []byte(vars["APP_PLAIN"]),
			JSON: secret.Request{Name: "APP_DOC"}, JSONValue: []byte(vars["APP_DOC"]),
			JSONKey: "password", JSONKeyValue: "json-planted-pw",
			Missing: secret.Request{Name: "APP_MISSING"},
		}
	})
}

func TestRefusals(t *testing.T) {
	st, err := New("e", Options{Allow: []string{"APP_*"}, LookupEnv: fakeEnv(map[string]string{
		"AWS_SECRET_ACCESS_KEY": "agent-own-credential", "APP_EMPTY": ""})})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		req  secret.Request
		want error
		msg  string
	}{
		{"not allowed", secret.Request{Name: "AWS_SECRET_ACCESS_KEY"}, secret.ErrNotAllowed, "allow list"},
		{"unset", secret.Request{Name: "APP_X"}, secret.ErrNotFound, "not set"},
		{"version", secret.Request{Name: "APP_X", Version: "2"}, secret.ErrInvalidConfig, "no versions"},
		{"bad name", secret.Request{Name: "A=B"}, secret.ErrInvalidConfig, "not a valid variable name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := st.Get(context.Background(), tc.req)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) || !strings.Contains(err.Error(), `"e"`) {
				t.Fatalf("got %v, want %v mentioning %q and the store", err, tc.want, tc.msg)
			}
			if strings.Contains(err.Error(), "agent-own-credential") {
				t.Fatal("error leaks a value")
			}
		})
	}
	v, err := st.Get(context.Background(), secret.Request{Name: "APP_EMPTY"})
	if err != nil || v.Value.Len() != 0 {
		t.Fatalf("a variable set to empty is the empty value: %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, allow := range [][]string{nil, {"["}, {""}} {
		_, err := New("e", Options{Allow: allow})
		var ce *secret.ConfigError
		if !errors.As(err, &ce) || ce.Key != "allow" {
			t.Errorf("allow %q: want a ConfigError on allow, got %v", allow, err)
		}
	}
	_, err := factory(context.Background(), secret.Spec{Name: "e", Type: "env", Settings: map[string]any{"alow": []any{"X"}}})
	if err == nil || !strings.Contains(err.Error(), `"alow"`) {
		t.Errorf("a misspelt setting must be named: %v", err)
	}
}
