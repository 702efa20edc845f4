package runtime_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	w "github.com/latchkey/latchkey/internal/wasmtest"
	lkruntime "github.com/latchkey/latchkey/runtime"
	"github.com/latchkey/latchkey/secret"
)

func guestWith(sections ...[]byte) []byte {
	m := w.Guest(w.Code(w.I32Const(0), w.I32Const(0), w.Call(w.FnResultSet), w.Drop, w.I32Const(0))).Encode()
	for _, s := range sections {
		m = append(m, s...)
	}
	return m
}

func TestParseCapabilities(t *testing.T) {
	const name = lkruntime.CapabilitiesSection
	tests := []struct {
		name string
		wasm []byte
		want *lkruntime.Capabilities
		err  string
	}{
		{"none", guestWith(), nil, ""},
		{"other custom section", guestWith(w.CustomSection("name", []byte{1, 2, 3})), nil, ""},
		{"full", guestWith(w.CustomSection(name, []byte(`{"version":1,"hosts":["config:store_url","api.example.com:8443","http://10.0.0.5:8200"],"credentials":["api_token"],"config":["store_url"]}`))),
			&lkruntime.Capabilities{Version: 1, Hosts: []string{"config:store_url", "api.example.com:8443", "http://10.0.0.5:8200"},
				Credentials: []string{"api_token"}, Config: []string{"store_url"}}, ""},
		{"not JSON", guestWith(w.CustomSection(name, []byte(`{"version":1,`))), nil, "malformed latchkey.capabilities section"},
		{"unknown field", guestWith(w.CustomSection(name, []byte(`{"version":1,"hostz":[]}`))), nil, `unknown field "hostz"`},
		{"trailing data", guestWith(w.CustomSection(name, []byte(`{"version":1} {}`))), nil, "data after the JSON object"},
		{"version", guestWith(w.CustomSection(name, []byte(`{"version":2}`))), nil, "version 2"},
		{"wildcard host", guestWith(w.CustomSection(name, []byte(`{"version":1,"hosts":["*.example.com"]}`))), nil, `host "*.example.com"`},
		{"host with a path", guestWith(w.CustomSection(name, []byte(`{"version":1,"hosts":["https://a.example/x"]}`))), nil, "no wildcard, path or user"},
		{"ftp", guestWith(w.CustomSection(name, []byte(`{"version":1,"hosts":["ftp://a.example"]}`))), nil, `host "ftp://a.example"`},
		{"bad credential", guestWith(w.CustomSection(name, []byte(`{"version":1,"credentials":["a b"]}`))), nil, `credential "a b"`},
		{"twice", guestWith(w.CustomSection(name, []byte(`{"version":1}`)), w.CustomSection(name, []byte(`{"version":1}`))), nil, "appears twice"},
		{"truncated section", append(guestWith(), 0, 50, 4), nil, "runs past the end"},
		{"broken size", append(guestWith(), 0, 0xff, 0xff, 0xff, 0xff, 0xff), nil, "LEB128"},
		{"broken name", append(guestWith(), 0, 2, 9, 'a'), nil, "broken name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := lkruntime.ParseCapabilities(tc.wasm)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("ParseCapabilities = %+v, %v; want an error containing %q", got, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (got == nil) != (tc.want == nil) || got != nil && (strings.Join(got.Hosts, " ") != strings.Join(tc.want.Hosts, " ") ||
				strings.Join(got.Credentials, " ") != strings.Join(tc.want.Credentials, " ") || strings.Join(got.Config, " ") != strings.Join(tc.want.Config, " ")) {
				t.Fatalf("ParseCapabilities = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func FuzzParseCapabilities(f *testing.F) {
	base := guestWith()
	f.Add(base)
	f.Add(guestWith(w.CustomSection(lkruntime.CapabilitiesSection, []byte(`{"version":1,"hosts":["config:store_url"],"credentials":["t"]}`))))
	f.Add(append(append([]byte(nil), base...), 0, 0x80, 0x80))
	f.Add([]byte("\x00asm\x01\x00\x00\x00\x00\x05\x15latchkey.capabilities{}"))
	f.Fuzz(func(t *testing.T, wasm []byte) {
		c, err := lkruntime.ParseCapabilities(wasm)
		if err != nil || c == nil {
			return
		}
		// A declaration that parses can be re-attached to a module
		// without one and reads back the same.
		out, err := lkruntime.AppendCapabilities(base, c)
		if err != nil {
			t.Fatalf("AppendCapabilities of a parsed declaration: %v", err)
		}
		back, err := lkruntime.ParseCapabilities(out)
		if err != nil || back == nil || strings.Join(back.Hosts, "\n") != strings.Join(c.Hosts, "\n") ||
			strings.Join(back.Credentials, "\n") != strings.Join(c.Credentials, "\n") {
			t.Fatalf("round trip: %+v, %v; want %+v", back, err, c)
		}
	})
}

// TestCapabilitiesAtLoad: a module declaring a host the store's policy does
// not allow is refused at load with an error naming the module and the
// host; one whose hosts are allowed (literally or through its config's
// store_url) loads and serves; a malformed section is refused naming the
// module.
func TestCapabilitiesAtLoad(t *testing.T) {
	annotate := func(t *testing.T, c *lkruntime.Capabilities) []byte {
		t.Helper()
		out, err := lkruntime.AppendCapabilities(guestWith(), c)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	policy := lkruntime.Options{Config: []byte(`{"store_url": "https://secrets.example.com/v1"}`)}
	policy.HTTP.AllowedHosts = []string{"secrets.example.com", "api.example.com:8443"}
	tests := []struct {
		name  string
		caps  *lkruntime.Capabilities
		wants []string
	}{
		{"allowed", &lkruntime.Capabilities{Version: 1, Hosts: []string{"config:store_url", "api.example.com:8443", "secrets.example.com"}}, nil},
		{"config key absent", &lkruntime.Capabilities{Version: 1, Hosts: []string{"config:backup_url"}}, nil},
		{"undeclared host", &lkruntime.Capabilities{Version: 1, Hosts: []string{"secrets.example.com", "evil.example"}},
			[]string{`wasm module "capmod"`, "declares host evil.example", "evil.example:443 is not in the store's allow list"}},
		{"wrong port", &lkruntime.Capabilities{Version: 1, Hosts: []string{"api.example.com"}}, []string{"declares host api.example.com"}},
		{"plain http", &lkruntime.Capabilities{Version: 1, Hosts: []string{"http://secrets.example.com"}}, []string{"declares host http://secrets.example.com", "plain http"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := loadBytes(t, "capmod", annotate(t, tc.caps), policy)
			if tc.wants == nil {
				if err != nil {
					t.Fatal(err)
				}
				if got := m.Info().Capabilities; got == nil || len(got.Hosts) != len(tc.caps.Hosts) {
					t.Errorf("Info().Capabilities = %+v", got)
				}
				if _, err := m.Get(context.Background(), lkruntime.Request{Name: "x"}); err != nil {
					t.Errorf("Get: %v", err)
				}
				return
			}
			if !errors.Is(err, lkruntime.ErrUndeclaredPolicy) || !errors.Is(err, secret.ErrInvalidConfig) {
				t.Fatalf("load = %v, want ErrUndeclaredPolicy", err)
			}
			mustContain(t, "error", err.Error(), tc.wants...)
		})
	}
	t.Run("malformed", func(t *testing.T) {
		_, err := loadBytes(t, "capmod", guestWith(w.CustomSection(lkruntime.CapabilitiesSection, []byte("{not json"))), policy)
		if !errors.Is(err, lkruntime.ErrCapabilities) || !errors.Is(err, secret.ErrInvalidConfig) {
			t.Fatalf("load = %v, want ErrCapabilities", err)
		}
		mustContain(t, "error", err.Error(), `wasm module "capmod"`, "malformed latchkey.capabilities section")
	})
	t.Run("none", func(t *testing.T) {
		m, err := loadBytes(t, "capmod", guestWith(), policy)
		if err != nil || m.Info().Capabilities != nil {
			t.Fatalf("a module without the section: %v", err)
		}
	})
	t.Run("annotating twice", func(t *testing.T) {
		once := annotate(t, &lkruntime.Capabilities{Version: 1})
		if _, err := lkruntime.AppendCapabilities(once, &lkruntime.Capabilities{Version: 1}); err == nil {
			t.Fatal("a second section was appended")
		}
	})
}
