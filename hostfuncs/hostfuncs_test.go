package hostfuncs

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/latchkey/latchkey/internal/wasmtest"
)

func TestCheckDial(t *testing.T) {
	c, err := NewClient(HTTPOptions{AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		address string
		ok      bool
	}{
		{"127.0.0.1:80", true},
		{"[::ffff:127.0.0.2]:80", true},
		{"[::1]:80", false},
		{"10.0.0.1:443", false},
		{"169.254.169.254:80", false},
		{"not-an-ip:80", false},
	}
	for _, tc := range tests {
		t.Run(tc.address, func(t *testing.T) {
			err := c.checkDial("tcp", tc.address, nil)
			var r *Refusal
			if tc.ok != (err == nil) || (err != nil && !errors.As(err, &r)) {
				t.Fatalf("checkDial(%s) = %v, want ok=%v", tc.address, err, tc.ok)
			}
		})
	}
}

func TestCheckURL(t *testing.T) {
	c, err := NewClient(HTTPOptions{
		AllowedHosts: []string{"api.example.com", "vault.example.com:8200", "*.svc.example.com", "127.0.0.1:9000", "[::1]:9001"},
		AllowHTTP:    []string{"127.0.0.1:9000"},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		url  string
		want string // "" for allowed
	}{
		{"https://api.example.com/v1/x", ""},
		{"https://API.Example.com:443/x", ""},
		{"https://api.example.com:8443/x", "not in the store's allow list"},
		{"http://api.example.com/x", "plain http"},
		{"https://vault.example.com:8200/v1", ""},
		{"https://vault.example.com/v1", "not in the store's allow list"},
		{"https://a.svc.example.com/", ""},
		{"https://a.b.svc.example.com/", ""},
		{"https://svc.example.com/", "not in the store's allow list"},
		{"https://evilsvc.example.com/", "not in the store's allow list"},
		{"http://127.0.0.1:9000/", ""},
		{"https://[::1]:9001/", ""},
		{"ftp://api.example.com/", "scheme"},
		{"https://user:pw@api.example.com/", "user info"},
		{"https://api.example.com.evil.net/", "not in the store's allow list"},
	}
	for _, tc := range tests {
		t.Run(tc.url, func(t *testing.T) {
			u, err := url.Parse(tc.url)
			if err != nil {
				t.Fatal(err)
			}
			r := c.checkURL(u)
			switch {
			case tc.want == "" && r != nil:
				t.Fatalf("refused: %v", r)
			case tc.want != "" && (r == nil || !strings.Contains(r.Reason, tc.want)):
				t.Fatalf("got %v, want a refusal mentioning %q", r, tc.want)
			}
			if r != nil && strings.Contains(r.Reason, "pw") {
				t.Error("refusal leaks user info")
			}
		})
	}
}

func TestBadRules(t *testing.T) {
	_, err := NewClient(HTTPOptions{AllowedHosts: []string{"https://x.com", "a:99999", "*", "x.*.com", ""}, AllowHTTP: []string{"b:c"}})
	for _, want := range []string{"https://x.com", "a:99999", `"*"`, "x.*.com", `""`, "b:c"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error does not name %s: %v", want, err)
		}
	}
}

// TestHookAndHeaders checks what reaches the server: the hook runs after
// the allow list for every hop, hop-by-hop and Host headers are dropped,
// and a hook refusal becomes the refusal's status.
func TestHookAndHeaders(t *testing.T) {
	var got http.Header
	var gotHost string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hop" {
			http.Redirect(w, r, "/final", http.StatusTemporaryRedirect)
			return
		}
		got, gotHost = r.Header.Clone(), r.Host
		w.Header().Set("X-Answer", "42")
		w.Write([]byte("body"))
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	var hops []string
	opts := HTTPOptions{
		AllowedHosts: []string{host}, AllowHTTP: []string{host}, AllowPrivateNetworks: true,
		Hook: func(_ context.Context, req *http.Request) error {
			hops = append(hops, req.URL.Path)
			if req.Header.Get("X-Placeholder") == "refuse" {
				return &Refusal{Status: StatusCredential, Reason: "credential not bound to " + req.URL.Host}
			}
			if req.Header.Get("X-Placeholder") != "" {
				req.Header.Set("X-Placeholder", "substituted")
			}
			return nil
		},
	}
	c, err := NewClient(opts)
	if err != nil {
		t.Fatal(err)
	}
	call := &Call{Module: "m", HTTP: c}
	hdr := "X-Placeholder: {{cred}}\r\nHost: evil.example\nConnection: close\nTransfer-Encoding: chunked\nAccept: */*\n"
	resp, status := c.do(context.Background(), call, "POST", srv.URL+"/hop", hdr, []byte("payload"))
	if status != 200 {
		t.Fatalf("status %d (%s)", status, call.Refusal())
	}
	if string(resp.body) != "body" || !strings.Contains(string(resp.header), "X-Answer: 42\n") {
		t.Errorf("response: %q %q", resp.header, resp.body)
	}
	if strings.Join(hops, ",") != "/hop,/final" {
		t.Errorf("the hook must run once per hop: %v", hops)
	}
	if got.Get("X-Placeholder") != "substituted" || got.Get("Connection") != "" || got.Get("Transfer-Encoding") != "" || gotHost != host || got.Get("Accept") != "*/*" {
		t.Errorf("server saw Host %q, headers %v", gotHost, got)
	}
	_, status = c.do(context.Background(), call, "GET", srv.URL+"/final", "X-Placeholder: refuse\n", nil)
	if status != StatusCredential || !strings.Contains(call.Refusal(), "not bound") {
		t.Errorf("hook refusal: status %d, %q", status, call.Refusal())
	}
	for _, bad := range []string{"X: a\x00b\n", "Bad Name: x\n", "NoColon\n"} {
		if _, status := c.do(context.Background(), call, "GET", srv.URL, bad, nil); status != StatusArgument {
			t.Errorf("header %q: status %d, want StatusArgument", bad, status)
		}
	}
	if _, status := c.do(context.Background(), call, "CONNECT", srv.URL, "", nil); status != StatusArgument {
		t.Errorf("CONNECT: status %d", status)
	}
}

// FuzzHostCalls drives every host function with arbitrary pointers and
// lengths through a real guest: no call may trap or panic the host, and
// every answer is a length or a documented status.
func FuzzHostCalls(f *testing.F) {
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer r.Close(ctx)
	if _, err := Instantiate(ctx, r); err != nil {
		f.Fatal(err)
	}
	mod, err := r.InstantiateWithConfig(ctx, wasmtest.Forwarders().Encode(), wazero.NewModuleConfig().WithName("fuzz"))
	if err != nil {
		f.Fatal(err)
	}
	client, err := NewClient(HTTPOptions{}) // refuses every host: no network in a fuzz run
	if err != nil {
		f.Fatal(err)
	}
	names := []string{"input_read", "result_set", "error_set", "log", "http_request", "http_response_read"}
	f.Add(uint8(0), uint32(1), uint32(0xfffffff0), uint32(16), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0))
	f.Add(uint8(1), uint32(65530), uint32(100), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0))
	f.Add(uint8(2), uint32(1), uint32(0), uint32(0xffffffff), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0))
	f.Add(uint8(4), uint32(0), uint32(3), uint32(100), uint32(20), uint32(0), uint32(0), uint32(65535), uint32(2))
	f.Fuzz(func(t *testing.T, fn uint8, a, b, c, d, e, g, h, i uint32) {
		name := names[int(fn)%len(names)]
		fwd := mod.ExportedFunction("fwd_" + name)
		args := []uint64{uint64(a), uint64(b), uint64(c), uint64(d), uint64(e), uint64(g), uint64(h), uint64(i)}
		args = args[:len(fwd.Definition().ParamTypes())]
		call := &Call{Module: "fuzz", Input: Input{Config: []byte(`{"a":1}`), Name: "n"}, HTTP: client}
		res, err := fwd.Call(WithCall(ctx, call), args...)
		if err != nil {
			t.Fatalf("%s%v trapped: %v", name, args, err)
		}
		status := api.DecodeI32(res[0])
		if status < StatusCredential {
			t.Fatalf("%s%v = %d, not a documented status", name, args, status)
		}
	})
}

func FuzzParseHeader(f *testing.F) {
	c, err := NewClient(HTTPOptions{})
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte("Accept: */*\nHost: x\r\nConnection: close\n"))
	f.Add([]byte("\n\n:\nA:\x7f\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		h, status := c.parseHeader(&Call{}, string(raw))
		if status < 0 {
			return
		}
		for k, vs := range h {
			if hopByHop[k] || !validName(k) {
				t.Fatalf("header %q passed", k)
			}
			for _, v := range vs {
				if !validValue(v) {
					t.Fatalf("value %q passed", v)
				}
			}
		}
	})
}

// TestMetadataOptIn checks that a cloud-metadata address needs
// allow_metadata even under the widest allow_networks, that the refusal
// names that setting, and that allow_metadata opens only what it lists.
func TestMetadataOptIn(t *testing.T) {
	everything := []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0")}
	imds := []netip.Prefix{netip.MustParsePrefix("169.254.169.254/32")}
	metadata := []string{"169.254.169.254:80", "[fd00:ec2::254]:80", "169.254.170.2:80", "100.100.100.200:80",
		"168.63.129.16:80", "[::ffff:169.254.169.254]:80", "[64:ff9b::a9fe:a9fe]:80", "[2002:a9fe:a9fe::1]:80"}
	tests := []struct {
		name string
		opts HTTPOptions
		open map[string]bool // metadata addresses that must be allowed
	}{
		{"allow_networks everything", HTTPOptions{AllowNetworks: everything}, nil},
		{"allow_private_networks", HTTPOptions{AllowPrivateNetworks: true, AllowNetworks: everything}, nil},
		{"allow_metadata lists one", HTTPOptions{AllowNetworks: everything, AllowMetadata: imds},
			map[string]bool{"169.254.169.254:80": true, "[::ffff:169.254.169.254]:80": true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := NewClient(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range metadata {
				err := c.checkDial("tcp", a, nil)
				if tc.open[a] {
					if err != nil {
						t.Errorf("%s: %v, want allowed", a, err)
					}
					continue
				}
				if err == nil || !strings.Contains(err.Error(), "cloud-metadata address (allow it with allow_metadata") {
					t.Errorf("%s: %v, want a refusal naming allow_metadata", a, err)
				}
			}
			if err := c.checkDial("tcp", "8.8.8.8:443", nil); err != nil {
				t.Errorf("a public address: %v", err)
			}
		})
	}
	// The names of metadata services are refused by name as well.
	c, err := NewClient(HTTPOptions{AllowedHosts: []string{"metadata.google.internal"}, AllowNetworks: everything})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse("https://metadata.google.internal/computeMetadata/v1/")
	if r := c.checkURL(u); r == nil || !strings.Contains(r.Reason, "allow_metadata") {
		t.Errorf("metadata.google.internal: %v, want a refusal naming allow_metadata", r)
	}
	// A refusal of another kind names the settings that really open it.
	for addr, want := range map[string]string{"10.0.0.1:80": "allow_private_networks or allow_networks", "240.0.0.1:80": "(allow it with allow_networks)"} {
		c, _ := NewClient(HTTPOptions{})
		if err := c.checkDial("tcp", addr, nil); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", addr, err, want)
		}
	}
}
