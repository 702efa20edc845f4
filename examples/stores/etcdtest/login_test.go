package etcdtest_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/examples/stores/etcdtest"
	"github.com/latchkey/latchkey/internal/wasmtest"
	"github.com/latchkey/latchkey/secret"
)

// simpleToken matches etcd's simple auth tokens (16 letters, a dot, an
// index): what a login returns and what must not enter the module.
var simpleToken = regexp.MustCompile(`[a-zA-Z]{16}\.[0-9]+`)

// TestEtcdLoginExchange: the etcd module, configured with token_credential,
// reads with a session token the host obtained by logging in to
// /v3/auth/authenticate itself (a login exchange whose body holds the
// password credential): the module never holds the token nor the
// password; twenty fetches make one login, audited with the credentials'
// names.
func TestEtcdLoginExchange(t *testing.T) {
	e := etcdtest.Start(t)
	module := etcdtest.BuildModule(t)
	e.Put(t, "app/db", `{"password":"`+pwNew+`"}`)
	e.EnableAuth(t, rootPW, "app", appPW, "app/")
	if tok := e.Token(t, "app", appPW); !simpleToken.MatchString(tok) {
		t.Fatalf("etcd's token %d bytes long does not have the form the scan looks for", len(tok))
	}
	t.Setenv(passEnv, appPW)
	bound := []any{"http://" + e.HostPort()}
	s := e.Settings(t, module, map[string]any{"token_credential": "etcd_token"}, map[string]any{
		"etcd_password": map[string]any{"env": passEnv, "hosts": bound},
		"etcd_token": map[string]any{
			"login": map[string]any{
				"url":      e.Endpoint + "/v3/auth/authenticate",
				"body":     `{"name":"app","password":"{{latchkey.credential:etcd_password|json}}"}`,
				"token":    map[string]any{"json": "token"},
				"lifetime": map[string]any{"fixed": "4m"}, // under etcd's auth-token-ttl (5 min)
			},
			"hosts": bound,
		},
	})
	s["limits"] = map[string]any{"instances": 1}
	st := newStore(t, s)
	defer st.Close()
	logins := 0
	for i := range 20 {
		v, err := st.Get(context.Background(), secret.Request{Name: "app/db"})
		note := v.FetchInfo
		if err != nil || !strings.Contains(v.Value.RevealString(), pwNew) {
			t.Fatalf("fetch %d: %v", i, err)
		}
		for _, o := range note.Outbound {
			if o.Path == "/v3/auth/authenticate" {
				logins++
				if strings.Join(o.Credentials, ",") != "etcd_token,etcd_password" || o.Status != 200 {
					t.Errorf("the login's audit: %+v", o)
				}
			}
		}
	}
	if logins != 1 {
		t.Fatalf("20 fetches made %d logins, want 1", logins)
	}
	st.Module().ScanIdleMemory(func(mem []byte) {
		if m := simpleToken.Find(mem); m != nil {
			t.Error("an etcd session token is in the module's memory")
		}
		if leak := wasmtest.FindLeak(mem, []byte(appPW)); leak != "" {
			t.Errorf("the password is in the module's memory (%s form)", leak)
		}
	})
}
