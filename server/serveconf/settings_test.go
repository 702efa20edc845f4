package serveconf

import (
	"errors"
	"net"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	yamlv3 "gopkg.in/yaml.v3"

	"github.com/latchkey/latchkey/internal/units"
)

func TestParseSettings(t *testing.T) {
	s, err := ParseSettings(map[string]any{"socket": "/run/x.sock", "socket_mode": "0640", "tcp": "127.0.0.1:2773",
		"token_env": "T", "tokens": map[string]any{"etl": map[string]any{"file": "/etc/etl"}},
		"grace_period": "3s", "max_body_bytes": "64KiB", "max_header_bytes": 8192, "max_connections": "10"})
	if err != nil {
		t.Fatal(err)
	}
	want := Settings{Socket: "/run/x.sock", SocketMode: 0o640, TCP: "127.0.0.1:2773", GracePeriod: 3 * time.Second,
		MaxBodyBytes: 64 << 10, MaxHeaderBytes: 8192, MaxConnections: 10,
		Tokens: map[string]TokenSource{DefaultTokenName: {Env: "T"}, "etl": {File: "/etc/etl"}}}
	if !reflect.DeepEqual(s, want) {
		t.Fatalf("settings = %+v\nwant %+v", s, want)
	}

	tests := []struct {
		name string
		raw  any
		want []string // "key: message" prefixes, in order
	}{
		{"not a map", "x", []string{": must be a map of settings"}},
		{"typo", map[string]any{"sockt": "/x"}, []string{`sockt: unknown key (known: allow_non_loopback,`}},
		{"token key typo", map[string]any{"tokens": map[string]any{"a": map[string]any{"fil": "/f"}}},
			[]string{`tokens.a.fil: unknown key (known: env, file): did you mean "file"?`, "tokens.a: give exactly one of file or env"}},
		{"tcp", map[string]any{"tcp": "10.0.0.1:1", "grace_period": "x", "max_connections": -1}, []string{
			"tcp: \"10.0.0.1:1\" is not a loopback address", "tcp: TCP needs a token", "grace_period: must be a positive duration",
			"max_connections: must be a whole number"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseSettings(tc.raw)
			errs := unjoin(err)
			if len(errs) != len(tc.want) {
				t.Fatalf("problems: %v", err)
			}
			for i, w := range tc.want {
				var se *SettingError
				if !errors.As(errs[i], &se) || !strings.HasPrefix(se.Key+": "+se.Msg, w) {
					t.Errorf("problem %d = %v, want %q…", i, errs[i], w)
				}
			}
		})
	}
	if _, err := ParseSettings(map[string]any{"sockt": "/x"}); err == nil || !strings.Contains(err.Error(), `did you mean "socket"?`) {
		t.Errorf("the suggestion is made where the error is built: %v", err)
	}
}

// FuzzServe feeds arbitrary serve sections to the parser: it must report
// problems, never panic, and accept a TCP address only when it is
// host:port with a loopback IP or localhost (unless non-loopback is allowed).
func FuzzServe(f *testing.F) {
	for _, s := range []string{
		"socket: /run/x.sock\nsocket_mode: 0660\ntcp: 127.0.0.1:2773\ntoken_env: T\n",
		"tcp: '[::1]:0'\ntokens: {a: {file: /f}, b: {env: B}}\n",
		"tcp: 0.0.0.0:1\nallow_non_loopback: true\ntoken_file: /t\n",
		"max_body_bytes: 4MiB\nmax_header_bytes: 1KiB\nmax_connections: 1\ngrace_period: 1ms\n",
		"socket_mode: '0o600'\nread_timeout: 1h\n",
		"tokens: [x]\n", "- a\n", "tcp: ':'\n", "tcp: '[fe80::1%eth0]:80'\ntoken_env: T\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		var v any
		if yamlv3.Unmarshal([]byte(doc), &v) != nil {
			return
		}
		s, err := ParseSettings(v)
		for _, e := range unjoin(err) {
			var se *SettingError
			if !errors.As(e, &se) || se.Msg == "" {
				t.Fatalf("a problem that is not a *SettingError with a message: %v", e)
			}
		}
		if err == nil && s.TCP != "" && !s.AllowNonLoopback {
			host, _, err := net.SplitHostPort(s.TCP)
			ip, perr := netip.ParseAddr(host)
			if err != nil || (host != "localhost" && (perr != nil || !ip.IsLoopback())) {
				t.Fatalf("accepted tcp %q", s.TCP)
			}
		}
	})
}

// TestServeKeys pins the serve section's keys, which unknown-key errors
// list, now that they are read from Settings' tags.
func TestServeKeys(t *testing.T) {
	want := "allow_non_loopback, grace_period, idle_timeout, max_body_bytes, max_connections, " +
		"max_header_bytes, read_header_timeout, read_timeout, secretsmanager_store, socket, " +
		"socket_mode, tcp, token_env, token_file, tokens, write_timeout"
	if got := strings.Join(units.Fields(section{}), ", "); got != want {
		t.Fatalf("serve keys:\n got %s\nwant %s", got, want)
	}
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	if err == nil {
		return nil
	}
	return []error{err}
}
