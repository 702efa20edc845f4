package egress

import (
	"context"
	"errors"
	"net/netip"
	"net/url"
	"strings"
	"testing"
)

// nopRecorder is a call that records nothing and never spends its budget,
// for the tests of one step of the client.
type nopRecorder struct{}

func (nopRecorder) Refused(string, ...any)                                            {}
func (nopRecorder) LastRefusal() string                                               { return "" }
func (nopRecorder) Refusals() int                                                     { return 0 }
func (nopRecorder) Spend(context.Context, string, *url.URL) bool                      { return true }
func (nopRecorder) Retry() bool                                                       { return true }
func (nopRecorder) Warn(string, ...any)                                               {}
func (nopRecorder) Outbound(context.Context, string, *url.URL, int, []string, string) {}

func TestCheckDial(t *testing.T) {
	c, err := NewClient(Options{AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
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
	c, err := NewClient(Options{
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
	_, err := NewClient(Options{AllowedHosts: []string{"https://x.com", "a:99999", "*", "x.*.com", ""}, AllowHTTP: []string{"b:c"}})
	for _, want := range []string{"https://x.com", "a:99999", `"*"`, "x.*.com", `""`, "b:c"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error does not name %s: %v", want, err)
		}
	}
}

func FuzzParseHeader(f *testing.F) {
	c, err := NewClient(Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte("Accept: */*\nHost: x\r\nConnection: close\n"))
	f.Add([]byte("\n\n:\nA:\x7f\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		h, status := c.parseHeader(nopRecorder{}, string(raw))
		if status < 0 {
			return
		}
		for k, vs := range h {
			if hopByHop[k] || !validName(k) {
				t.Fatalf("header %q passed", k)
			}
			for _, v := range vs {
				if !ValidHeaderValue(v) {
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
		opts Options
		open map[string]bool // metadata addresses that must be allowed
	}{
		{"allow_networks everything", Options{AllowNetworks: everything}, nil},
		{"allow_private_networks", Options{AllowPrivateNetworks: true, AllowNetworks: everything}, nil},
		{"allow_metadata lists one", Options{AllowNetworks: everything, AllowMetadata: imds},
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
	c, err := NewClient(Options{AllowedHosts: []string{"metadata.google.internal"}, AllowNetworks: everything})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse("https://metadata.google.internal/computeMetadata/v1/")
	if r := c.checkURL(u); r == nil || !strings.Contains(r.Reason, "allow_metadata") {
		t.Errorf("metadata.google.internal: %v, want a refusal naming allow_metadata", r)
	}
	// A refusal of another kind names the settings that really open it.
	for addr, want := range map[string]string{"10.0.0.1:80": "allow_private_networks or allow_networks", "240.0.0.1:80": "(allow it with allow_networks)"} {
		c, _ := NewClient(Options{})
		if err := c.checkDial("tcp", addr, nil); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", addr, err, want)
		}
	}
}
