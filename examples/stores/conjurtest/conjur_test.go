package conjurtest_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/examples/stores/conjurtest"
	"github.com/latchkey/latchkey/internal/logbuf"
	"github.com/latchkey/latchkey/internal/wasmtest"
	_ "github.com/latchkey/latchkey/providers/wasm"
	lkruntime "github.com/latchkey/latchkey/runtime"
	"github.com/latchkey/latchkey/secret"
)

const (
	pwV1 = "conjur-v1-Pl4nted-pw"
	pwV2 = "conjur-v2-Pl4nted-pw"
)

func newStore(t testing.TB, settings map[string]any, logs *logbuf.Buffer) secret.Store {
	t.Helper()
	factory, _ := secret.Lookup("wasm")
	b, _ := json.Marshal(settings)
	var s map[string]any
	json.Unmarshal(b, &s)
	spec := secret.Spec{Name: "conjur", Type: "wasm", Settings: s}
	if logs != nil {
		spec.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	st, err := factory(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestConjur reads variables through the module with an access token the
// host obtained from authn with the API key and sends base64-encoded in
// Conjur's Token header: 100 reads make one authentication; a revoked
// token makes exactly one more; versions, a missing and a forbidden
// variable map to the SDK's kinds; neither the API key nor any token (as
// JSON or base64) is in the module's memory or the log.
func TestConjur(t *testing.T) {
	srv := conjurtest.Start(t, conjurtest.Options{
		Variables: map[string][]string{"prod/db/password": {pwV1, pwV2}, "denied": {"x-Pl4nted-denied"}},
		Denied:    []string{"denied"},
	})
	t.Setenv(conjurtest.APIKeyEnv, conjurtest.DefaultAPIKey)
	var logs logbuf.Buffer
	settings := srv.Settings(t, conjurtest.BuildModule(t))
	settings["limits"] = map[string]any{"instances": 1}
	st := newStore(t, settings, &logs)
	ctx := context.Background()
	for i := range 100 {
		v, err := st.Get(ctx, secret.Request{Name: "prod/db/password"})
		if err != nil || v.Value.RevealString() != pwV2 {
			t.Fatalf("read %d: %v", i, err)
		}
	}
	if n := srv.Logins.Load(); n != 1 {
		t.Fatalf("100 reads made %d authentications, want 1", n)
	}
	srv.Revoke()
	if v, err := st.Get(ctx, secret.Request{Name: "prod/db/password", Version: "1"}); err != nil || v.Value.RevealString() != pwV1 {
		t.Fatalf("after revocation: %v", err)
	}
	if n := srv.Logins.Load(); n != 2 {
		t.Fatalf("a revoked token made %d authentications in all, want 2", n)
	}
	for _, tc := range []struct {
		name string
		want error
	}{{"missing", secret.ErrNotFound}, {"denied", secret.ErrPermissionDenied}} {
		if _, err := st.Get(ctx, secret.Request{Name: tc.name}); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	leaks := append(srv.Issued(), conjurtest.DefaultAPIKey)
	n := st.(interface{ Module() *lkruntime.Module }).Module().ScanIdleMemory(func(mem []byte) {
		for _, v := range leaks {
			if leak := wasmtest.FindLeak(mem, []byte(v)); leak != "" {
				t.Errorf("the module's memory holds the API key or a token (%s form)", leak)
			}
		}
	})
	if n != 1 {
		t.Fatalf("scanned %d instances", n)
	}
	for _, v := range leaks {
		if leak := wasmtest.FindLeak([]byte(logs.String()), []byte(v)); leak != "" {
			t.Errorf("the log holds the API key or a token (%s form)", leak)
		}
	}
}

// TestConjurWrongKey: a wrong API key fails with an error naming the
// store, the credential and the step.
func TestConjurWrongKey(t *testing.T) {
	srv := conjurtest.Start(t, conjurtest.Options{Variables: map[string][]string{"a": {"b-long-value"}}})
	t.Setenv(conjurtest.APIKeyEnv, "a-wrong-api-key-value")
	var logs logbuf.Buffer
	st := newStore(t, srv.Settings(t, conjurtest.BuildModule(t)), &logs)
	_, err := st.Get(context.Background(), secret.Request{Name: "a"})
	if err == nil {
		t.Fatal("a wrong API key read a variable")
	}
	for _, want := range []string{`store \"conjur\"`, `credential \"conjur_token\"`, "login refused", "answered 401"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("the log lacks %q:\n%s", want, logs.String())
		}
	}
}
