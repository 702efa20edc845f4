package wasm_test

import (
	"testing"

	"github.com/latchkey/latchkey/policy"
	"github.com/latchkey/latchkey/providers/wasm/wasmstoretest"
	"github.com/latchkey/latchkey/resolver"
	"github.com/latchkey/latchkey/storetest"
)

// TestPolicy runs a secrets rule on a store of type wasm (the http-json
// example module, built from source) against its loopback backend. A
// module's names are its own: the rule matches them exactly, case
// included, and a refused reference never reaches the module.
func TestPolicy(t *testing.T) {
	srv := wasmstoretest.Start(t, map[string][]byte{
		"app/db": []byte(`{"k":"v"}`), "app/db@v1": []byte(`{"k":"old"}`), "app/db@v0": []byte(`{"k":"older"}`),
		"app/admin": []byte("a"), "other": []byte("o"), "App/db": []byte("x"),
	})
	settings := srv.Settings(t, wasmstoretest.BuildHTTPJSON(t), "")
	rule := &policy.Spec{Origin: "stores.s.secrets",
		Allow: []policy.Entry{{Name: "app/*"}},
		Deny:  []policy.Entry{{Name: "app/admin*"}, {Name: "app/db", Versions: []string{"v0"}}},
	}
	storetest.RunPolicy(t, storetest.PolicyFixture{
		Store:    resolver.StoreConfig{Type: "wasm", Settings: settings, Secrets: rule},
		Upstream: func() int { return int(srv.Requests.Load()) },
		Cases: []storetest.PolicyCase{
			{Name: "allowed", Ref: "secret://s/app/db#k"},
			{Name: "denied: no allow pattern", Ref: "secret://s/other", Refused: "no allow pattern matches it"},
			{Name: "deny over allow", Ref: "secret://s/app/admin", Refused: `deny "app/admin*"`},
			{Name: "names are exact: another letter case is another name", Ref: "secret://s/App/db", Refused: "no allow pattern"},
			{Name: "a dot segment could leave the pattern", Ref: "secret://s/app/../other", Refused: `"." or ".." segment`},
			{Name: "version allowed", Ref: "secret://s/app/db?version=v1"},
			{Name: "version denied over a name allow", Ref: "secret://s/app/db?version=v0", Refused: `deny "app/db" (versions v0)`},
		},
	})
}
