package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/server/serveconf"
)

func loadServe(t *testing.T, serve string) (*Agent, error) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "agent.yaml")
	doc := "stores:\n  app:\n    type: env\n    allow: [APP_*]\nserve:\n" + serve
	if err := os.WriteFile(p, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return Load(Options{Path: p, Environ: []string{}})
}

func TestServe(t *testing.T) {
	a, err := loadServe(t, `  socket: /run/x.sock
  socket_mode: 0640
  tcp: 127.0.0.1:2773
  token_file: /etc/latchkey/token
  tokens:
    etl: {env: ETL_TOKEN}
  secretsmanager_store: app
  grace_period: 3s
  max_body_bytes: 64KiB
  max_header_bytes: 8192
  read_timeout: 2s
  max_connections: 10
`)
	if err != nil {
		t.Fatal(err)
	}
	s := a.Serve
	if s.Socket != "/run/x.sock" || s.SocketMode != 0o640 || s.TCP != "127.0.0.1:2773" || s.SecretsManagerStore != "app" ||
		s.GracePeriod != 3*time.Second || s.MaxBodyBytes != 64<<10 || s.MaxHeaderBytes != 8192 || s.ReadTimeout != 2*time.Second ||
		s.MaxConnections != 10 || s.Tokens[serveconf.DefaultTokenName].File != "/etc/latchkey/token" || s.Tokens["etl"].Env != "ETL_TOKEN" {
		t.Fatalf("serve = %+v", s)
	}
	// Overrides reach the section like any key.
	p := filepath.Join(t.TempDir(), "agent.yaml")
	os.WriteFile(p, []byte("stores:\n  app:\n    type: env\n    allow: [APP_*]\n"), 0o600)
	a, err = Load(Options{Path: p, Environ: []string{"LATCHKEY_SERVE__SOCKET=/tmp/o.sock", "LATCHKEY_SERVER=unix://", "LATCHKEY_TOKEN=x"},
		Set: []string{"serve.grace_period=1s"}})
	if err != nil || a.Serve.Socket != "/tmp/o.sock" || a.Serve.GracePeriod != time.Second {
		t.Fatalf("overrides: %v %+v", err, a)
	}
}

func TestServeErrors(t *testing.T) {
	tests := []struct {
		name  string
		serve string
		wants []string
	}{
		{"not a map", "  - x\n", []string{`"serve"`, "must be a map"}},
		{"unknown key", "  sockt: /x\n", []string{`"serve.sockt"`, "unknown key"}},
		{"every interface", "  tcp: :2773\n  token_env: T\n", []string{`"serve.tcp"`, "every interface"}},
		{"not loopback", "  tcp: 10.1.2.3:2773\n  token_env: T\n", []string{"not a loopback address", "allow_non_loopback"}},
		{"host name", "  tcp: db.example.com:2773\n  token_env: T\n", []string{"not a name"}},
		{"no port", "  tcp: 127.0.0.1\n  token_env: T\n", []string{"not host:port"}},
		{"tcp without token", "  tcp: 127.0.0.1:2773\n", []string{"TCP needs a token"}},
		{"both token sources", "  token_env: T\n  token_file: /f\n", []string{"not both"}},
		{"token with both", "  tokens:\n    a: {env: A, file: /f}\n", []string{`"serve.tokens.a"`, "exactly one"}},
		{"token unknown key", "  tokens:\n    a: {path: /f}\n", []string{`"serve.tokens.a.path"`}},
		{"token dup", "  token_env: T\n  tokens:\n    default: {env: U}\n", []string{"also declared"}},
		{"mode for others", "  socket_mode: 0666\n", []string{`"serve.socket_mode"`, "nothing to others"}},
		{"bad durations", "  grace_period: soon\n  read_timeout: -1s\n", []string{`"serve.grace_period"`, `"serve.read_timeout"`}},
		{"bad sizes", "  max_body_bytes: 99MiB\n  max_header_bytes: lots\n", []string{`"serve.max_body_bytes"`, `"serve.max_header_bytes"`}},
		{"bad connections", "  max_connections: 0\n", []string{`"serve.max_connections"`}},
		{"undeclared sm store", "  secretsmanager_store: aws\n", []string{`"serve.secretsmanager_store"`, "not one of the declared"}},
		{"allow not bool", "  allow_non_loopback: maybe\n", []string{"true or false"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadServe(t, tc.serve)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
	// Every problem at once.
	_, err := loadServe(t, "  tcp: 10.0.0.1:1\n  grace_period: x\n  max_connections: -1\n")
	if n := strings.Count(err.Error(), "\n") + 1; n != 4 {
		t.Errorf("want 4 problems (tcp twice: address and token), got %d:\n%v", n, err)
	}
}
