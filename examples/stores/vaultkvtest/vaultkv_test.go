package vaultkvtest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/examples/stores/vaultkvtest"
	"github.com/latchkey/latchkey/internal/cli"
	"github.com/latchkey/latchkey/providers/wasm"
	"github.com/latchkey/latchkey/resolver"
	"github.com/latchkey/latchkey/secret"
)

// Planted secret values; the token is vaultkvtest.DefaultToken.
const (
	pwV1 = "vault-v1-Pl4nted-pw"
	pwV2 = "vault-v2-Pl4nted-pw"
	apiK = "vault-api-Pl4nted-key"
)

func secrets() map[string][]vaultkvtest.Version {
	return map[string][]vaultkvtest.Version{
		"app/db": {
			{Data: map[string]any{"username": "etl", "password": pwV1}},
			{Data: map[string]any{"username": "etl", "password": pwV2, "port": 5432}},
		},
		"team a/api": {{Data: map[string]any{"key": apiK}}},
		"rotated": {
			{Data: map[string]any{"v": "one-Pl4nted"}, Destroyed: true},
			{Data: map[string]any{"v": "two-Pl4nted"}, Deleted: true},
			{Data: map[string]any{"v": "three"}},
		},
		"forbidden": {{Data: map[string]any{"v": "denied-Pl4nted"}}},
	}
}

var planted = []string{vaultkvtest.DefaultToken, pwV1, pwV2, apiK, "one-Pl4nted", "two-Pl4nted", "denied-Pl4nted"}

// newStore builds the store through the registry, as the resolver does.
func newStore(t *testing.T, settings map[string]any) *wasm.Store {
	t.Helper()
	factory, ok := secret.Lookup("wasm")
	if !ok {
		t.Fatal("store type wasm is not registered")
	}
	b, _ := json.Marshal(settings) // as an agent config delivers them
	var s map[string]any
	json.Unmarshal(b, &s)
	st, err := factory(context.Background(), secret.Spec{Name: "vault", Type: "wasm", Settings: s})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st.(*wasm.Store) // the module exports latchkey_version
}

func workflow(t *testing.T, fields map[string]string) resolver.Workflow {
	t.Helper()
	var wf resolver.Workflow
	for name, ref := range fields {
		src, err := secret.ParseSource(ref)
		if err != nil {
			t.Fatal(err)
		}
		wf.Fields = append(wf.Fields, resolver.Field{Name: name, Source: src})
	}
	return wf
}

func noLeak(t *testing.T, what, s string) {
	t.Helper()
	for _, v := range planted {
		if strings.Contains(s, v) {
			t.Errorf("%s contains the planted value %q", what, v)
		}
	}
}

// TestResolve resolves a workflow through the resolver core: key look-ups
// in data.data, versions, a path with a space and slashes, and a namespace;
// and proves, by scanning the only instance's linear memory afterwards,
// that the token never entered the module while the server received it.
func TestResolve(t *testing.T) {
	srv := vaultkvtest.Start(t, vaultkvtest.Options{Namespace: "team-a", Secrets: secrets()})
	t.Setenv(vaultkvtest.TokenEnv, srv.Token)
	settings := srv.Settings(t, vaultkvtest.BuildModule(t), nil)
	settings["limits"] = map[string]any{"instances": 1}
	st := newStore(t, settings)
	r, err := resolver.New(context.Background(), resolver.Config{Stores: map[string]resolver.StoreConfig{"vault": {Store: st}}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := r.Resolve(ctx, workflow(t, map[string]string{
		"password": "secret://vault/app/db#password",
		"old":      "secret://vault/app/db#password?version=1",
		"port":     "secret://vault/app/db#port",
		"api":      "secret://vault/team%20a/api#key",
		"current":  "secret://vault/rotated#v",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"password": pwV2, "old": pwV1, "port": "5432", "api": apiK, "current": "three"}
	for _, f := range res.Fields {
		if got := f.Value.RevealString(); got != want[f.Name] {
			t.Errorf("field %s = %d bytes, want %q", f.Name, len(got), want[f.Name])
		}
	}
	if !srv.ReceivedToken() {
		t.Fatal("the server never received the token: the host did not substitute it")
	}
	scanned := st.Module().ScanIdleMemory(func(mem []byte) {
		if bytes.Contains(mem, []byte(srv.Token)) {
			t.Error("the Vault token is in the module's linear memory")
		}
		// The scan can fail: what the module did receive is there.
		if !bytes.Contains(mem, []byte(pwV2)) {
			t.Error("the scan does not see what the module received")
		}
	})
	if scanned != 1 {
		t.Fatalf("scanned %d instances, want the 1 that served every fetch", scanned)
	}
}

// TestErrors maps Vault's answers to the SDK's typed errors.
func TestErrors(t *testing.T) {
	module := vaultkvtest.BuildModule(t)
	srv := vaultkvtest.Start(t, vaultkvtest.Options{Secrets: secrets(), Denied: []string{"forbidden"}})
	sealed := vaultkvtest.Start(t, vaultkvtest.Options{Sealed: true})
	tests := []struct {
		name   string
		srv    *vaultkvtest.Server
		token  string
		config map[string]any
		ref    string
		want   error
		msg    []string
	}{
		{name: "missing secret", ref: "secret://vault/nope#x", want: secret.ErrNotFound, msg: []string{`"secret/nope" does not exist`}},
		{name: "missing version", ref: "secret://vault/app/db#password?version=9", want: secret.ErrNotFound},
		{name: "deleted version", ref: "secret://vault/rotated#v?version=2", want: secret.ErrNotFound, msg: []string{"version 2 was deleted at 2026-01-02T04:04:05Z"}},
		{name: "destroyed version", ref: "secret://vault/rotated#v?version=1", want: secret.ErrNotFound, msg: []string{"version 1 was destroyed"}},
		{name: "policy denies", ref: "secret://vault/forbidden#v", want: secret.ErrPermissionDenied, msg: []string{"Vault refused the token", "permission denied"}},
		{name: "wrong token", token: "hvs.wrong-token-0000", ref: "secret://vault/app/db#password", want: secret.ErrPermissionDenied},
		{name: "namespace the token is not in", config: map[string]any{"namespace": "other"}, ref: "secret://vault/app/db#password", want: secret.ErrPermissionDenied},
		{name: "unknown mount", config: map[string]any{"mount": "kv"}, ref: "secret://vault/app/db#password", want: secret.ErrNotFound},
		{name: "bad version", ref: "secret://vault/app/db#password?version=latest", want: secret.ErrInvalidConfig, msg: []string{`version "latest"`}},
		{name: "no vault_addr", config: map[string]any{"vault_addr": ""}, ref: "secret://vault/app/db#password", want: secret.ErrInvalidConfig, msg: []string{"vault_addr"}},
		{name: "unknown token credential", config: map[string]any{"token_credential": "other"}, ref: "secret://vault/app/db#password", want: secret.ErrNotAllowed},
		{name: "sealed", srv: sealed, ref: "secret://vault/app/db#password", want: secret.ErrUnavailable, msg: []string{"Vault is sealed"}},
		{name: "missing field", config: map[string]any{"field": "nope"}, ref: "secret://vault/app/db", want: secret.ErrNotFound, msg: []string{`no field "nope"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := srv
			if tc.srv != nil {
				s = tc.srv
			}
			tok := s.Token
			if tc.token != "" {
				tok = tc.token
			}
			t.Setenv(vaultkvtest.TokenEnv, tok)
			st := newStore(t, s.Settings(t, module, tc.config))
			r, err := resolver.New(context.Background(), resolver.Config{Stores: map[string]resolver.StoreConfig{"vault": {Store: st}}})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			_, err = r.Resolve(context.Background(), workflow(t, map[string]string{"f": tc.ref}))
			if !errors.Is(err, tc.want) {
				t.Fatalf("Resolve: %v, want %v", err, tc.want)
			}
			for _, m := range tc.msg {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error lacks %q: %v", m, err)
				}
			}
			noLeak(t, "error", err.Error())
		})
	}
}

// TestField returns one field of data.data when configured.
func TestField(t *testing.T) {
	srv := vaultkvtest.Start(t, vaultkvtest.Options{Secrets: secrets()})
	t.Setenv(vaultkvtest.TokenEnv, srv.Token)
	st := newStore(t, srv.Settings(t, vaultkvtest.BuildModule(t), map[string]any{"field": "password"}))
	v, err := st.Get(context.Background(), secret.Request{Name: "app/db"})
	if err != nil || v.Value.RevealString() != pwV2 {
		t.Fatalf("Get = %d bytes, %v", v.Value.Len(), err)
	}
	id := st.Describe()
	if !strings.Contains(id.Summary, "vault_token (env "+vaultkvtest.TokenEnv+" → http://"+srv.HostPort()+")") {
		t.Errorf("Describe does not show the credential's source and binding: %s", id.Summary)
	}
	noLeak(t, "Describe", id.Summary+strings.Join(id.Warnings, "\n"))
}

// TestCLI resolves a workflow through `latchkey resolve` (in process) with
// an agent config of type wasm, and checks `latchkey check --offline`.
func TestCLI(t *testing.T) {
	srv := vaultkvtest.Start(t, vaultkvtest.Options{Secrets: secrets()})
	t.Setenv(vaultkvtest.TokenEnv, srv.Token)
	dir := t.TempDir()
	agent := map[string]any{"stores": map[string]any{"vault": func() map[string]any {
		s := srv.Settings(t, vaultkvtest.BuildModule(t), nil)
		s["type"] = "wasm"
		return s
	}()}}
	b, _ := json.MarshalIndent(agent, "", "  ")
	agentPath := filepath.Join(dir, "agent.json")
	wfPath := filepath.Join(dir, "workflow.yaml")
	os.WriteFile(agentPath, b, 0o600)
	os.WriteFile(wfPath, []byte("fields:\n  user: secret://vault/app/db#username\n  password: secret://vault/app/db#password\n  old: secret://vault/app/db#password?version=1\n"), 0o600)

	var out, errb bytes.Buffer
	code := cli.Main(context.Background(), []string{"resolve", "--log-level", "debug", "-c", agentPath, "-w", wfPath}, cli.IO{In: strings.NewReader(""), Out: &out, Err: &errb})
	if code != 0 {
		t.Fatalf("latchkey resolve: exit %d: %s", code, errb.String())
	}
	for _, want := range []string{`"password": "` + pwV2 + `"`, `"old": "` + pwV1 + `"`, `"user": "etl"`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("stdout lacks %s: %s", want, out.String())
		}
	}
	if strings.Contains(out.String(), srv.Token) {
		t.Error("stdout holds the token")
	}
	noLeak(t, "stderr", errb.String())

	out.Reset()
	errb.Reset()
	code = cli.Main(context.Background(), []string{"check", "--offline", "-c", agentPath, "-w", wfPath}, cli.IO{In: strings.NewReader(""), Out: &out, Err: &errb})
	if code != 0 || !strings.Contains(out.String(), "vault_token") {
		t.Errorf("latchkey check --offline: exit %d: %s%s", code, out.String(), errb.String())
	}
	noLeak(t, "check output", out.String()+errb.String())
}
