package vaultkvtest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/examples/stores/vaultkvtest"
	"github.com/latchkey/latchkey/internal/cli"
	"github.com/latchkey/latchkey/internal/logbuf"
	"github.com/latchkey/latchkey/internal/wasmtest"
	"github.com/latchkey/latchkey/providers/wasm"
	"github.com/latchkey/latchkey/secret"
)

// Planted login inputs: they reach Vault's login endpoint and nothing else.
const (
	roleID   = "role-id-Pl4nted-6a1f"
	secretID = "secret-id-Pl4nted-93c2"
	saJWT    = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6ZXRsOmxhdGNoa2V5In0.c2lnLVBsNG50ZWQ"
	saJWT2   = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6ZXRsOnJvdGF0ZWQifQ.c2lnLVJvdDR0ZWQ"
)

// appRoleSettings is the store of the vault-kv module, unchanged, whose
// vault_token is now a login exchange with AppRole: the module still
// sends {{latchkey.credential:vault_token}} and never learns the token.
func appRoleSettings(t testing.TB, srv *vaultkvtest.Server, instances int) map[string]any {
	t.Helper()
	t.Setenv("VAULTKVTEST_ROLE_ID", roleID)
	t.Setenv("VAULTKVTEST_SECRET_ID", secretID)
	s := srv.Settings(t, vaultkvtest.BuildModule(t), nil)
	bound := []any{"http://" + srv.HostPort()}
	s["credentials"] = map[string]any{
		"role_id":   map[string]any{"env": "VAULTKVTEST_ROLE_ID", "hosts": bound},
		"secret_id": map[string]any{"env": "VAULTKVTEST_SECRET_ID", "hosts": bound},
		"vault_token": map[string]any{
			"login": map[string]any{
				"url":      srv.URL + "/v1/auth/approle/login",
				"body":     `{"role_id":"{{latchkey.credential:role_id|json}}","secret_id":"{{latchkey.credential:secret_id|json}}"}`,
				"token":    map[string]any{"json": "auth.client_token"},
				"lifetime": map[string]any{"json": "auth.lease_duration"},
			},
			"hosts": bound,
		},
	}
	if instances > 0 {
		s["limits"] = map[string]any{"instances": instances}
	}
	return s
}

func storeWithLogs(t testing.TB, settings map[string]any, logs *logbuf.Buffer) *wasm.Store {
	t.Helper()
	factory, _ := secret.Lookup("wasm")
	b, _ := json.Marshal(settings)
	var s map[string]any
	json.Unmarshal(b, &s)
	spec := secret.Spec{Name: "vault", Type: "wasm", Settings: s}
	if logs != nil {
		spec.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	st, err := factory(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st.(*wasm.Store)
}

// noBrokeredLeak checks text for every value the host holds for the
// module: the login's inputs, every token Vault issued, in every encoding
// the leak oracle knows.
func noBrokeredLeak(t *testing.T, srv *vaultkvtest.Server, what string, text []byte) {
	t.Helper()
	for _, v := range append([]string{roleID, secretID, saJWT, saJWT2}, srv.IssuedTokens()...) {
		if leak := wasmtest.FindLeak(text, []byte(v)); leak != "" {
			t.Errorf("%s holds a brokered value (%s form)", what, leak)
		}
	}
}

// TestAppRoleCountedLogins: 1,000 fetches inside the token's lifetime make
// one login; a revoked token makes exactly one re-login, after which the
// fetch that met the 403 succeeds; and the audit note of that fetch shows
// the 403, the login (naming the credentials, never values) and the retry.
func TestAppRoleCountedLogins(t *testing.T) {
	srv := vaultkvtest.Start(t, vaultkvtest.Options{Secrets: secrets(), AppRole: &vaultkvtest.AppRole{RoleID: roleID, SecretID: secretID}})
	var logs logbuf.Buffer
	st := storeWithLogs(t, appRoleSettings(t, srv, 1), &logs)
	ctx := context.Background()
	for i := range 1000 {
		v, err := st.Get(ctx, secret.Request{Name: "app/db"})
		if err != nil {
			t.Fatalf("fetch %d: %v", i, err)
		}
		if !strings.Contains(v.Value.RevealString(), pwV2) {
			t.Fatalf("fetch %d: no secret", i)
		}
	}
	if n := srv.Logins.Load(); n != 1 {
		t.Fatalf("1,000 fetches made %d logins, want 1", n)
	}
	if srv.ReceivedToken() {
		t.Fatal("the server saw the static token: the login was not used")
	}

	srv.RevokeLogins()
	note, err := st.Get(ctx, secret.Request{Name: "app/db"})
	if err != nil {
		t.Fatalf("the fetch after a revocation: %v", err)
	}
	if n := srv.Logins.Load(); n != 2 {
		t.Fatalf("a revoked token made %d logins in all, want 2 (one re-login)", n)
	}
	var got []string
	for _, o := range note.Outbound {
		got = append(got, fmt.Sprintf("%s %s %d %v", o.Method, o.Path, o.Status, o.Credentials))
	}
	want := []string{
		"GET /v1/secret/data/app/db 403 [vault_token]",
		"POST /v1/auth/approle/login 200 [vault_token role_id secret_id]",
		"GET /v1/secret/data/app/db 200 [vault_token]",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit of the fetch:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for range 10 {
		if _, err := st.Get(ctx, secret.Request{Name: "app/db"}); err != nil {
			t.Fatal(err)
		}
	}
	if n := srv.Logins.Load(); n != 2 {
		t.Fatalf("%d logins after the re-login, want 2", n)
	}
	st.Module().ScanIdleMemory(func(mem []byte) { noBrokeredLeak(t, srv, "the module's linear memory", mem) })
	noBrokeredLeak(t, srv, "the log", []byte(logs.String()))
	noBrokeredLeak(t, srv, "the audit note", []byte(fmt.Sprint(note.Outbound)))
}

// TestAppRoleSingleFlight: 64 concurrent first fetches over 8 instances
// make one login.
func TestAppRoleSingleFlight(t *testing.T) {
	srv := vaultkvtest.Start(t, vaultkvtest.Options{Secrets: secrets(), AppRole: &vaultkvtest.AppRole{RoleID: roleID, SecretID: secretID}})
	st := storeWithLogs(t, appRoleSettings(t, srv, 8), nil)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for range 64 {
		wg.Go(func() {
			if _, err := st.Get(context.Background(), secret.Request{Name: "app/db"}); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := srv.Logins.Load(); n != 1 {
		t.Fatalf("64 concurrent fetches made %d logins, want 1", n)
	}
}

// TestAppRoleRenewsBeforeExpiry: a token issued for 3 s is renewed by a
// new login two thirds into its life, before Vault would refuse it: the
// fetch after that point meets no 403, and there are exactly two logins.
func TestAppRoleRenewsBeforeExpiry(t *testing.T) {
	srv := vaultkvtest.Start(t, vaultkvtest.Options{Secrets: secrets(), TokenTTL: 3 * time.Second,
		AppRole: &vaultkvtest.AppRole{RoleID: roleID, SecretID: secretID}})
	st := storeWithLogs(t, appRoleSettings(t, srv, 1), nil)
	ctx := context.Background()
	if _, err := st.Get(ctx, secret.Request{Name: "app/db"}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2100 * time.Millisecond)
	note, err := st.Get(ctx, secret.Request{Name: "app/db"})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range note.Outbound {
		if o.Status == 403 {
			t.Errorf("the renewal came too late: %+v", o)
		}
	}
	if n := srv.Logins.Load(); n != 2 {
		t.Fatalf("%d logins, want 2 (the first and one renewal)", n)
	}
}

// TestAppRoleRefused: a wrong secret_id fails the fetch with an error
// that names the store, the credential and the step, and holds neither
// input.
func TestAppRoleRefused(t *testing.T) {
	srv := vaultkvtest.Start(t, vaultkvtest.Options{Secrets: secrets(), AppRole: &vaultkvtest.AppRole{RoleID: roleID, SecretID: "another-secret-id"}})
	var logs logbuf.Buffer
	st := storeWithLogs(t, appRoleSettings(t, srv, 1), &logs)
	_, err := st.Get(context.Background(), secret.Request{Name: "app/db"})
	if err == nil {
		t.Fatal("a refused login fetched a secret")
	}
	all := err.Error() + "\n" + logs.String()
	for _, want := range []string{`store "vault"`, `credential "vault_token"`, "login refused", "invalid role or secret ID"} {
		if !strings.Contains(all, want) {
			t.Errorf("the error and log lack %q:\n%s", want, all)
		}
	}
	noBrokeredLeak(t, srv, "the error and log", []byte(all))
}

// TestKubernetesLogin logs in with the pod's projected service-account
// token (a token_file credential); when the kubelet rotates the file and
// Vault revokes the old token, the re-login sends the new JWT.
func TestKubernetesLogin(t *testing.T) {
	k8s := &vaultkvtest.KubernetesRole{Role: "latchkey", JWT: saJWT}
	srv := vaultkvtest.Start(t, vaultkvtest.Options{Secrets: secrets(), Kubernetes: k8s})
	jwtFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(jwtFile, []byte(saJWT), 0o600); err != nil {
		t.Fatal(err)
	}
	s := srv.Settings(t, vaultkvtest.BuildModule(t), nil)
	bound := []any{"http://" + srv.HostPort()}
	s["credentials"] = map[string]any{
		"k8s_jwt": map[string]any{"token_file": jwtFile, "hosts": bound},
		"vault_token": map[string]any{
			"login": map[string]any{
				"url":      srv.URL + "/v1/auth/kubernetes/login",
				"body":     `{"role":"latchkey","jwt":"{{latchkey.credential:k8s_jwt|json}}"}`,
				"token":    map[string]any{"json": "auth.client_token"},
				"lifetime": map[string]any{"json": "auth.lease_duration"},
			},
			"hosts": bound,
		},
	}
	s["limits"] = map[string]any{"instances": 1}
	var logs logbuf.Buffer
	st := storeWithLogs(t, s, &logs)
	ctx := context.Background()
	if _, err := st.Get(ctx, secret.Request{Name: "app/db"}); err != nil {
		t.Fatal(err)
	}
	// The kubelet rotates the token; Vault now accepts only the new one.
	if err := os.WriteFile(jwtFile, []byte(saJWT2), 0o600); err != nil {
		t.Fatal(err)
	}
	future := time.Now().Add(time.Minute)
	os.Chtimes(jwtFile, future, future)
	k8s.JWT = saJWT2
	srv.RevokeLogins()
	if _, err := st.Get(ctx, secret.Request{Name: "app/db"}); err != nil {
		t.Fatalf("after the rotation: %v", err)
	}
	if n := srv.Logins.Load(); n != 2 {
		t.Fatalf("%d logins, want 2", n)
	}
	st.Module().ScanIdleMemory(func(mem []byte) { noBrokeredLeak(t, srv, "the module's linear memory", mem) })
	noBrokeredLeak(t, srv, "the log", []byte(logs.String()))
}

// TestAppRoleCLI resolves through `latchkey resolve` with the AppRole
// config and checks `latchkey check --offline`: neither prints an input
// or a token, and check names the login.
func TestAppRoleCLI(t *testing.T) {
	srv := vaultkvtest.Start(t, vaultkvtest.Options{Secrets: secrets(), AppRole: &vaultkvtest.AppRole{RoleID: roleID, SecretID: secretID}})
	dir := t.TempDir()
	s := appRoleSettings(t, srv, 1)
	s["type"] = "wasm"
	b, _ := json.MarshalIndent(map[string]any{"stores": map[string]any{"vault": s}}, "", "  ")
	agentPath := filepath.Join(dir, "agent.json")
	wfPath := filepath.Join(dir, "workflow.yaml")
	os.WriteFile(agentPath, b, 0o600)
	os.WriteFile(wfPath, []byte("fields:\n  password: secret://vault/app/db#password\n"), 0o600)
	var out, errb bytes.Buffer
	if code := cli.Main(context.Background(), []string{"resolve", "--log-level", "debug", "-c", agentPath, "-w", wfPath}, cli.IO{In: strings.NewReader(""), Out: &out, Err: &errb}); code != 0 {
		t.Fatalf("latchkey resolve: exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), pwV2) {
		t.Errorf("stdout lacks the password: %s", out.String())
	}
	noBrokeredLeak(t, srv, "resolve's output", out.Bytes())
	noBrokeredLeak(t, srv, "resolve's stderr", errb.Bytes())
	out.Reset()
	errb.Reset()
	code := cli.Main(context.Background(), []string{"check", "--offline", "-c", agentPath, "-w", wfPath}, cli.IO{In: strings.NewReader(""), Out: &out, Err: &errb})
	if code != 0 || !strings.Contains(out.String(), "login POST") {
		t.Errorf("latchkey check --offline: exit %d: %s%s", code, out.String(), errb.String())
	}
	noBrokeredLeak(t, srv, "check output", append(out.Bytes(), errb.Bytes()...))
}

// TestAppRolePolicyDenial: Vault answers 403 both to a revoked token and
// to a path the token's policy does not grant. The first 403 costs one
// re-login; when the fresh token is refused too, further denials within
// the grace period cost none, and the fetch is permission denied.
func TestAppRolePolicyDenial(t *testing.T) {
	srv := vaultkvtest.Start(t, vaultkvtest.Options{Secrets: secrets(), Denied: []string{"forbidden"},
		AppRole: &vaultkvtest.AppRole{RoleID: roleID, SecretID: secretID}})
	st := storeWithLogs(t, appRoleSettings(t, srv, 1), nil)
	for i := range 10 {
		_, err := st.Get(context.Background(), secret.Request{Name: "forbidden"})
		if !errors.Is(err, secret.ErrPermissionDenied) {
			t.Fatalf("fetch %d: %v, want permission denied", i, err)
		}
	}
	if n := srv.Logins.Load(); n != 2 {
		t.Fatalf("10 denied fetches made %d logins, want 2 (the first and one re-login)", n)
	}
	if _, err := st.Get(context.Background(), secret.Request{Name: "app/db"}); err != nil {
		t.Fatalf("an allowed path with the kept token: %v", err)
	}
}
