package etcdtest_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/examples/stores/etcdtest"
	"github.com/latchkey/latchkey/internal/cli"
	"github.com/latchkey/latchkey/providers/wasm"
	"github.com/latchkey/latchkey/resolver"
	"github.com/latchkey/latchkey/secret"
	"github.com/latchkey/latchkey/storetest"
)

// Planted values: only resolved results may contain them.
const (
	pwOld    = "etcd-old-Pl4nted"
	pwNew    = "etcd-new-Pl4nted"
	plain    = "etcd-plain-Pl4nted"
	rootPW   = "root-Pl4nted-pass"
	appPW    = `app-Pl4nted-"pass"\x`
	passEnv  = "ETCDTEST_PASSWORD"
	tokenEnv = "ETCDTEST_TOKEN"
)

var planted = []string{pwOld, pwNew, plain, rootPW, appPW}

// prefix keeps this run's keys apart on a shared etcd.
func prefix(t *testing.T) string {
	b := make([]byte, 4)
	rand.Read(b)
	return "latchkey-test/" + hex.EncodeToString(b) + "/"
}

func newStore(t *testing.T, settings map[string]any) *wasm.Store {
	t.Helper()
	factory, _ := secret.Lookup("wasm")
	b, _ := json.Marshal(settings)
	var s map[string]any
	json.Unmarshal(b, &s)
	st, err := factory(context.Background(), secret.Spec{Name: "etcd", Type: "wasm", Settings: s})
	if err != nil {
		t.Fatal(err)
	}
	return st.(*wasm.Store) // the module exports latchkey_version
}

func resolve(t *testing.T, st secret.Store, fields map[string]string) (map[string]string, error) {
	t.Helper()
	r, err := resolver.New(context.Background(), resolver.Config{Stores: map[string]resolver.StoreConfig{"etcd": {Store: st}}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var wf resolver.Workflow
	for name, ref := range fields {
		src, err := secret.ParseSource(ref)
		if err != nil {
			t.Fatal(err)
		}
		wf.Fields = append(wf.Fields, resolver.Field{Name: name, Source: src})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := r.Resolve(ctx, wf)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, f := range res.Fields {
		out[f.Name] = f.Value.RevealString()
	}
	return out, nil
}

func noLeak(t *testing.T, what, s string) {
	t.Helper()
	for _, v := range planted {
		if strings.Contains(s, v) {
			t.Errorf("%s contains the planted value %q", what, v)
		}
	}
}

func runCLI(t *testing.T, agent map[string]any, workflow string) (stdout, stderr string) {
	t.Helper()
	dir := t.TempDir()
	b, _ := json.MarshalIndent(agent, "", "  ")
	agentPath, wfPath := filepath.Join(dir, "agent.json"), filepath.Join(dir, "workflow.yaml")
	os.WriteFile(agentPath, b, 0o600)
	os.WriteFile(wfPath, []byte(workflow), 0o600)
	var out, errb bytes.Buffer
	code := cli.Main(context.Background(), []string{"resolve", "--log-level", "debug", "-c", agentPath, "-w", wfPath}, cli.IO{In: strings.NewReader(""), Out: &out, Err: &errb})
	if code != 0 {
		t.Fatalf("latchkey resolve: exit %d: %s", code, errb.String())
	}
	noLeak(t, "stderr", errb.String())
	return out.String(), errb.String()
}

// TestEtcd reads a real etcd without authentication: the conformance kit,
// revisions (current, old, compacted, future), and `latchkey resolve`.
func TestEtcd(t *testing.T) {
	e := etcdtest.Start(t)
	module := etcdtest.BuildModule(t)
	p := prefix(t)
	e.Put(t, p+"plain", plain)
	e.Put(t, p+"binary", string([]byte{0xff, 0x00, 0xfe, 0x80}))
	doc := `{"username":"etl","password":"` + pwOld + `"}`
	e.Put(t, p+"doc", doc)
	revOld := e.Put(t, p+"db", `{"username":"etl","password":"`+pwOld+`"}`)
	revNew := e.Put(t, p+"db", `{"username":"etl","password":"`+pwNew+`"}`)
	settings := e.Settings(t, module, map[string]any{"prefix": p}, nil)

	storetest.Run(t, func(t *testing.T) *storetest.Fixture {
		return &storetest.Fixture{
			Store: newStore(t, settings),
			Plain: secret.Request{Name: "plain"}, PlainValue: []byte(plain),
			JSON: secret.Request{Name: "doc"}, JSONValue: []byte(doc), JSONKey: "password", JSONKeyValue: pwOld,
			Binary: secret.Request{Name: "binary"}, BinaryValue: []byte{0xff, 0x00, 0xfe, 0x80},
			Missing: secret.Request{Name: "absent"},
		}
	})

	st := newStore(t, settings)
	defer st.Close()
	got, err := resolve(t, st, map[string]string{
		"new": "secret://etcd/db#password",
		"old": "secret://etcd/db#password?version=" + strconv.FormatInt(revOld, 10),
	})
	if err != nil || got["new"] != pwNew || got["old"] != pwOld {
		t.Fatalf("resolve: %v (new %d bytes, old %d bytes)", err, len(got["new"]), len(got["old"]))
	}

	e.Compact(t, revNew)
	tests := []struct {
		name string
		ref  string
		want error
		msg  string
	}{
		{"missing", "secret://etcd/absent", secret.ErrNotFound, "does not exist"},
		{"compacted revision", "secret://etcd/db?version=" + strconv.FormatInt(revOld, 10), secret.ErrNotFound, "compacted"},
		{"future revision", "secret://etcd/db?version=" + strconv.FormatInt(revNew+1000, 10), secret.ErrNotFound, "future revision"},
		{"not a revision", "secret://etcd/db?version=v2", secret.ErrInvalidConfig, `version "v2"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := resolve(t, st, map[string]string{"f": tc.ref})
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("resolve: %v, want %v with %q", err, tc.want, tc.msg)
			}
			noLeak(t, "error", err.Error())
		})
	}

	t.Run("CLI", func(t *testing.T) {
		s := e.Settings(t, module, map[string]any{"prefix": p}, nil)
		s["type"] = "wasm"
		out, _ := runCLI(t, map[string]any{"stores": map[string]any{"etcd": s}},
			"fields:\n  password: secret://etcd/db#password\n  user: secret://etcd/db#username\n  plain: secret://etcd/plain\n")
		for _, want := range []string{`"password": "` + pwNew + `"`, `"user": "etl"`, `"plain": "` + plain + `"`} {
			if !strings.Contains(out, want) {
				t.Errorf("stdout lacks %s: %s", want, out)
			}
		}
	})
}

// TestEtcdAuth enables authentication on its own etcd and reads through a
// password login and through a token credential; neither the password nor
// the token credential ever enters the module's memory.
func TestEtcdAuth(t *testing.T) {
	e := etcdtest.Start(t)
	module := etcdtest.BuildModule(t)
	e.Put(t, "app/db", `{"password":"`+pwNew+`"}`)
	e.Put(t, "other/db", `{"password":"`+pwOld+`"}`)
	e.EnableAuth(t, rootPW, "app", appPW, "app/")
	t.Setenv(passEnv, appPW)
	passwordCreds := map[string]any{"etcd_password": map[string]any{
		"env": passEnv, "hosts": []any{"http://" + e.HostPort()}, "body_paths": []any{"/v3/auth/authenticate"},
	}}
	login := map[string]any{"username": "app"}

	t.Run("password", func(t *testing.T) {
		s := e.Settings(t, module, login, passwordCreds)
		s["limits"] = map[string]any{"instances": 1}
		st := newStore(t, s)
		defer st.Close()
		for range 2 { // the second fetch reuses the session
			got, err := resolve(t, st, map[string]string{"pw": "secret://etcd/app/db#password"})
			if err != nil || got["pw"] != pwNew {
				t.Fatalf("resolve: %v", err)
			}
		}
		n := st.Module().ScanIdleMemory(func(mem []byte) {
			if bytes.Contains(mem, []byte(appPW)) || bytes.Contains(mem, []byte(`app-Pl4nted-\"pass\"\\x`)) {
				t.Error("the etcd password is in the module's memory")
			}
			if !bytes.Contains(mem, []byte(pwNew)) {
				t.Error("the scan does not see what the module received")
			}
		})
		if n != 1 {
			t.Fatalf("scanned %d instances", n)
		}
		_, err := resolve(t, st, map[string]string{"pw": "secret://etcd/other/db#password"})
		if !errors.Is(err, secret.ErrPermissionDenied) {
			t.Fatalf("a key outside the role: %v", err)
		}
		noLeak(t, "error", err.Error())
	})

	t.Run("token", func(t *testing.T) {
		tok := e.Token(t, "app", appPW)
		t.Setenv(tokenEnv, tok)
		s := e.Settings(t, module, map[string]any{"token_credential": "etcd_token"}, map[string]any{
			"etcd_token": map[string]any{"env": tokenEnv, "hosts": []any{"http://" + e.HostPort()}},
		})
		s["limits"] = map[string]any{"instances": 1}
		st := newStore(t, s)
		defer st.Close()
		got, err := resolve(t, st, map[string]string{"pw": "secret://etcd/app/db#password"})
		if err != nil || got["pw"] != pwNew {
			t.Fatalf("resolve: %v", err)
		}
		st.Module().ScanIdleMemory(func(mem []byte) {
			if bytes.Contains(mem, []byte(tok)) {
				t.Error("the etcd token is in the module's memory")
			}
		})
	})

	tests := []struct {
		name   string
		config map[string]any
		creds  map[string]any
		env    string
		want   error
		msg    string
	}{
		{"no credentials", nil, nil, "", secret.ErrPermissionDenied, "configure username or token_credential"},
		{"wrong password", login, passwordCreds, "wrong-password-123", secret.ErrPermissionDenied, `login as "app" failed`},
		{"password without body_paths", login, map[string]any{"etcd_password": map[string]any{"env": passEnv, "hosts": []any{"http://" + e.HostPort()}}},
			"", secret.ErrNotAllowed, "credential"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.env != "" {
				t.Setenv(passEnv, tc.env)
			}
			st := newStore(t, e.Settings(t, module, tc.config, tc.creds))
			defer st.Close()
			_, err := resolve(t, st, map[string]string{"pw": "secret://etcd/app/db#password"})
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("resolve: %v, want %v with %q", err, tc.want, tc.msg)
			}
			noLeak(t, "error", err.Error())
		})
	}

	t.Run("CLI", func(t *testing.T) {
		s := e.Settings(t, module, login, passwordCreds)
		s["type"] = "wasm"
		out, _ := runCLI(t, map[string]any{"stores": map[string]any{"etcd": s}}, "fields:\n  password: secret://etcd/app/db#password\n")
		if !strings.Contains(out, `"password": "`+pwNew+`"`) {
			t.Errorf("stdout: %s", out)
		}
	})
}
