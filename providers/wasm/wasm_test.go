package wasm

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/wasmtest"
	"github.com/latchkey/latchkey/providers/wasm/wasmstoretest"
	lkruntime "github.com/latchkey/latchkey/runtime"
	"github.com/latchkey/latchkey/secret"
	"github.com/latchkey/latchkey/storetest"
)

var sharedCache *lkruntime.Cache

func TestMain(m *testing.M) {
	os.Exit(func() int {
		var err error
		sharedCache, err = lkruntime.NewCache(wasmtest.CacheDir(nil))
		if err != nil {
			panic(err)
		}
		defer sharedCache.Close(context.Background())
		return m.Run()
	}())
}

var planted = map[string][]byte{
	"plain":  []byte("plain-planted-value"),
	"doc":    []byte(`{"username":"admin","password":"json-planted-pw"}`),
	"binary": {0xff, 0x00, 0xfe, 0x80, 0x01},
	"doc@2":  []byte(`{"password":"version-two-pw"}`),
}

func TestConformance(t *testing.T) {
	for _, g := range wasmstoretest.Guests() {
		t.Run(g.Lang, func(t *testing.T) {
			srv := wasmstoretest.Start(t, planted)
			module := g.Build(t)
			storetest.Run(t, func(t *testing.T) *storetest.Fixture {
				st, err := fromSpec(context.Background(), secret.Spec{Name: "custom", Type: "wasm", Settings: settingsFor(t, srv, module, nil)}, sharedCache)
				if err != nil {
					t.Fatal(err)
				}
				return &storetest.Fixture{
					Store: st,
					Plain: secret.Request{Name: "plain"}, PlainValue: planted["plain"],
					JSON: secret.Request{Name: "doc"}, JSONValue: planted["doc"],
					JSONKey: "password", JSONKeyValue: "json-planted-pw",
					Binary: secret.Request{Name: "binary"}, BinaryValue: planted["binary"],
					Missing:  secret.Request{Name: "absent"},
					Slow:     secret.Request{Name: wasmstoretest.SlowSecret},
					Upstream: func() int { return int(srv.Requests.Load()) },
				}
			})
		})
	}
}

// settingsFor is the server's settings round-tripped through JSON, as an
// agent config would deliver them, with a memory-only cache shared by
// the package's tests (through the on-disk one) and overrides applied.
func settingsFor(t *testing.T, srv *wasmstoretest.Server, module string, override map[string]any) map[string]any {
	t.Helper()
	s := srv.Settings(t, module, "")
	for k, v := range override {
		if v == nil {
			delete(s, k)
		} else {
			s[k] = v
		}
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestVersionsAndFields(t *testing.T) {
	for _, g := range wasmstoretest.Guests() {
		t.Run(g.Lang, func(t *testing.T) {
			srv := wasmstoretest.Start(t, planted)
			module := g.Build(t)
			s := settingsFor(t, srv, module, nil)
			s["config"].(map[string]any)["field"] = "password"
			st, err := fromSpec(context.Background(), secret.Spec{Name: "custom", Type: "wasm", Settings: s}, sharedCache)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			tests := []struct {
				name string
				req  secret.Request
				want string
				err  error
			}{
				{"field", secret.Request{Name: "doc"}, "json-planted-pw", nil},
				{"version", secret.Request{Name: "doc", Version: "2"}, "version-two-pw", nil},
				{"missing version", secret.Request{Name: "doc", Version: "3"}, "", secret.ErrNotFound},
				{"not JSON", secret.Request{Name: "plain"}, "", secret.ErrUnavailable},
			}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					v, err := st.Get(context.Background(), tc.req)
					if tc.err != nil {
						if !errors.Is(err, tc.err) {
							t.Fatalf("Get(%+v) = %v, want %v", tc.req, err, tc.err)
						}
						storetest.NoLeak(t, "error", err.Error(), planted["plain"], []byte("json-planted-pw"))
						return
					}
					if err != nil || v.Value.RevealString() != tc.want {
						t.Fatalf("Get(%+v) = %d bytes, %v", tc.req, v.Value.Len(), err)
					}
				})
			}
		})
	}
}

func TestAuthFailures(t *testing.T) {
	srv := wasmstoretest.Start(t, planted)
	module := wasmstoretest.BuildHTTPJSON(t)
	tests := []struct {
		name   string
		header map[string]any
		want   error
	}{
		{"no token", map[string]any{}, secret.ErrPermissionDenied},
		{"wrong token", map[string]any{"Authorization": "Bearer nope"}, secret.ErrPermissionDenied},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := settingsFor(t, srv, module, nil)
			s["config"].(map[string]any)["header"] = tc.header
			st, err := fromSpec(context.Background(), secret.Spec{Name: "custom", Type: "wasm", Settings: s}, sharedCache)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			_, err = st.Get(context.Background(), secret.Request{Name: "plain"})
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), `"custom"`) {
				t.Fatalf("got %v, want %v naming the store", err, tc.want)
			}
		})
	}
}

func TestNetworkPolicyFromSettings(t *testing.T) {
	srv := wasmstoretest.Start(t, planted)
	module := wasmstoretest.BuildHTTPJSON(t)
	tests := []struct {
		name     string
		override map[string]any
		want     string
	}{
		// Without allow_networks the loopback server is refused at dial time.
		{"loopback refused", map[string]any{"allow_networks": nil}, "loopback address"},
		{"private allowed", map[string]any{"allow_networks": nil, "allow_private_networks": true}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, err := fromSpec(context.Background(), secret.Spec{Name: "custom", Type: "wasm", Settings: settingsFor(t, srv, module, tc.override)}, sharedCache)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			_, err = st.Get(context.Background(), secret.Request{Name: "plain"})
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, secret.ErrNotAllowed) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want ErrNotAllowed mentioning %q", err, tc.want)
			}
		})
	}
}

func TestConfigErrors(t *testing.T) {
	srv := wasmstoretest.Start(t, planted)
	module := wasmstoretest.BuildHTTPJSON(t)
	tests := []struct {
		name     string
		override map[string]any
		keys     []string
		want     error
	}{
		{"missing module", map[string]any{"module": nil}, []string{"module"}, secret.ErrInvalidConfig},
		{"typo", map[string]any{"modul": "x"}, []string{"modul"}, secret.ErrInvalidConfig},
		{"bad limits", map[string]any{"limits": map[string]any{"timeout": "soon", "memory_mib": -1}, "allow_networks": []any{"nope"}},
			[]string{"limits.timeout", "limits.memory_mib", "allow_networks"}, secret.ErrInvalidConfig},
		{"http not allowed", map[string]any{"allow_http": nil}, []string{"config.store_url"}, secret.ErrInvalidConfig},
		{"pin mismatch", map[string]any{"sha256": strings.Repeat("0", 64)}, []string{"does not match"}, lkruntime.ErrDigestMismatch},
		{"unpinned", map[string]any{"sha256": nil}, []string{"allow_unpinned"}, lkruntime.ErrUnpinned},
		{"pin and unpinned", map[string]any{"allow_unpinned": true}, []string{"allow_unpinned"}, secret.ErrInvalidConfig},
		{"bad allowed host", map[string]any{"allowed_hosts": []any{"https://x/y"}}, []string{"https://x/y"}, secret.ErrInvalidConfig},
		{"missing file", map[string]any{"module": "/nonexistent/x.wasm"}, []string{"/nonexistent/x.wasm"}, secret.ErrInvalidConfig},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, err := fromSpec(context.Background(), secret.Spec{Name: "custom", Type: "wasm", Settings: settingsFor(t, srv, module, tc.override)}, sharedCache)
			if err == nil {
				st.Close()
				t.Fatal("want an error")
			}
			if !errors.Is(err, tc.want) || !errors.Is(err, secret.ErrInvalidConfig) {
				t.Errorf("error %v does not wrap %v and ErrInvalidConfig", err, tc.want)
			}
			for _, k := range tc.keys {
				if !strings.Contains(err.Error(), k) {
					t.Errorf("error does not name %q: %v", k, err)
				}
			}
			storetest.NoLeak(t, "config error", err.Error(), []byte(srv.Token))
		})
	}
}

func TestDescribeAndBytes(t *testing.T) {
	srv := wasmstoretest.Start(t, planted)
	module := wasmstoretest.BuildHTTPJSON(t)
	wasm, err := os.ReadFile(module)
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := json.Marshal(map[string]any{"store_url": srv.URL, "header": map[string]string{"Authorization": "Bearer " + srv.Token}})
	opts := lkruntime.Options{AllowUnpinned: true, Config: cfg, Cache: sharedCache}
	opts.HTTP.AllowHTTP = []string{srv.HostPort()}
	opts.HTTP.AllowPrivateNetworks = true
	st, err := NewFromBytes(context.Background(), "embedded", wasm, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	v, err := st.Get(context.Background(), secret.Request{Name: "plain"})
	if err != nil || v.Value.RevealString() != "plain-planted-value" {
		t.Fatalf("Get: %v", err)
	}
	id := st.Describe()
	warnings := strings.Join(id.Warnings, "\n")
	for _, want := range []string{"not pinned", "plain http", "allow_private_networks"} {
		if !strings.Contains(warnings, want) {
			t.Errorf("Describe warnings lack %q: %q", want, id.Warnings)
		}
	}
	if !strings.Contains(id.Summary, srv.HostPort()) || !strings.Contains(id.Summary, st.Module().Info().SHA256) {
		t.Errorf("Describe summary: %q", id.Summary)
	}
	storetest.NoLeak(t, "Describe", id.Summary+warnings, []byte(srv.Token))
}

func TestFactory(t *testing.T) {
	srv := wasmstoretest.Start(t, planted)
	module := wasmstoretest.BuildHTTPJSON(t)
	f, ok := secret.Lookup("wasm")
	if !ok {
		t.Fatal(`store type "wasm" is not registered`)
	}
	st, err := f(context.Background(), secret.Spec{Name: "custom", Type: "wasm", Settings: settingsFor(t, srv, module, nil)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if v, err := st.Get(context.Background(), secret.Request{Name: "plain"}); err != nil || v.Value.RevealString() != "plain-planted-value" {
		t.Fatalf("Get through the registered factory: %v", err)
	}
}
