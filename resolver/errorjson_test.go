package resolver

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/latchkey/latchkey/secret"
)

func TestErrorsJSON(t *testing.T) {
	notFound := fmt.Errorf("env store %q: variable %q is not set: %w", "app", "X", secret.ErrNotFound)
	tests := []struct {
		name string
		err  error
		want []ErrorJSON
	}{
		{"nil", nil, nil},
		{"fields", &Error{Fields: []*FieldError{
			{Field: "password", Store: "app", Secret: "DB", Key: []string{"a", "b"}, Err: notFound},
			{Field: "token", Store: "aws", Secret: "tok", Err: fmt.Errorf("denied\n  by policy: %w", secret.ErrPermissionDenied)},
		}}, []ErrorJSON{
			{Kind: "not_found", Field: "password", Store: "app", Secret: "DB", Key: "a.b", Message: notFound.Error()},
			{Kind: "permission_denied", Field: "token", Store: "aws", Secret: "tok", Message: "denied by policy: permission denied"},
		}},
		{"config errors behind a wrapper", fmt.Errorf("agent config a.yaml: %w", errors.Join(
			&secret.ConfigError{Store: "aws", Key: "region", Msg: "is required"},
			&secret.ConfigError{Store: "kv", Msg: "unknown type"},
		)), []ErrorJSON{
			{Kind: "invalid_config", Store: "aws", Setting: "region", Message: "is required"},
			{Kind: "invalid_config", Store: "kv", Message: "unknown type"},
		}},
		{"plain error keeps its context", fmt.Errorf("workflow w.yaml: %w", errors.New("line 3: bad")),
			[]ErrorJSON{{Kind: "other", Message: "workflow w.yaml: line 3: bad"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ErrorsJSON(tc.err)
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("ErrorsJSON = %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// TestErrorJSONSchema pins the JSON names: the CLI and the resident
// agent's API both emit them, and clients parse them.
func TestErrorJSONSchema(t *testing.T) {
	b, err := json.Marshal(ErrorJSON{Kind: "not_found", Field: "f", Store: "s", Secret: "n", Key: "k", Setting: "x", Message: "m"})
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"kind":"not_found","field":"f","store":"s","secret":"n","key":"k","setting":"x","message":"m"}`
	if string(b) != want {
		t.Fatalf("got %s, want %s", b, want)
	}
	b, _ = json.Marshal(ErrorJSON{Kind: "other", Message: "m"})
	if string(b) != `{"kind":"other","message":"m"}` {
		t.Fatalf("empty fields not omitted: %s", b)
	}
}
