//go:build unix

package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/providers/aws/awstest"
)

// TestOneLinePerFailingSecret checks, through the real AWS client against
// the loopback server, that a secret several fields use is reported once,
// listing those fields, and that no line names the store twice.
func TestOneLinePerFailingSecret(t *testing.T) {
	srv := awstest.Start(t)
	alice := srv.AddUser("alice")
	srv.PutString("prod/db", `{"username":"etl"}`)
	dir := t.TempDir()
	agent := writeFile(t, dir, "agent.yaml", fmt.Sprintf("stores:\n  aws:\n    type: aws\n    region: %s\n    endpoint: %s\n    max_attempts: 1\n", srv.Region, srv.URL))
	wf := writeFile(t, dir, "wf.yaml", "fields:\n  user: secret://aws/prod/nope#username\n  password: secret://aws/prod/nope#password\n  host: secret://aws/prod/db#host\n")
	var env []string
	for k, v := range srv.Env(alice) {
		env = append(env, k+"="+v)
	}
	r := mustFail(t, run{args: []string{"resolve", "-c", agent, "-w", wf}, env: env}, 4)
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if len(lines) != 3 || !strings.Contains(lines[0], "3 field(s) failed to resolve") {
		t.Fatalf("want a header and one line per failing secret:\n%s", r.stderr)
	}
	if !strings.Contains(lines[1], `fields "user", "password": `) || strings.Count(r.stderr, "prod/nope") != 1 {
		t.Errorf("the missing secret is not one line listing both fields:\n%s", r.stderr)
	}
	if !strings.Contains(lines[2], `field "host": `) || !strings.Contains(lines[2], `"host"`) {
		t.Errorf("the missing key:\n%s", r.stderr)
	}
	for _, l := range lines[1:] {
		if strings.Count(l, `store "aws"`) > 1 || strings.Count(l, `"prod/`) > 1 {
			t.Errorf("line names the store or secret twice: %s", l)
		}
	}
	noLeak(t, "stderr", r.stderr, alice.SecretAccessKey)
}
