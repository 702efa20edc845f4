//go:build unix

package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/providers/aws/awstest"
)

// TestCheckShowsThePrincipalUsed: online, check says whom the store acted
// as (STS GetCallerIdentity), not only the configured chain.
func TestCheckShowsThePrincipalUsed(t *testing.T) {
	srv := awstest.Start(t)
	alice := srv.AddUser("alice")
	role := srv.AddRole(awstest.Role{Name: "reader", TrustedUsers: []string{"alice"}})
	srv.PutString("prod/db", "check-planted-value-1")
	dir := t.TempDir()
	wf := writeFile(t, dir, "wf.yaml", "fields:\n  pw: secret://aws/prod/db\n")
	var env []string
	for k, v := range srv.Env(alice) {
		env = append(env, k+"="+v)
	}
	tests := []struct {
		name, auth, want string
	}{
		{"default chain", "auth_method: iam", "principal used: " + srv.UserARN("alice") + " (account " + srv.Account + ")"},
		{"assumed role", "auth_method: assume_role\n    role_arn: " + role + "\n    session_name: etl-check",
			"principal used: arn:aws:sts::" + srv.Account + ":assumed-role/reader/etl-check (account " + srv.Account + ")"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			agent := writeFile(t, dir, fmt.Sprintf("agent-%d.yaml", i), fmt.Sprintf(
				"stores:\n  aws:\n    type: aws\n    region: %s\n    endpoint: %s\n    max_attempts: 1\n    %s\n", srv.Region, srv.URL, tc.auth))
			r := latchkey(t, run{args: []string{"check", "-c", agent, "-w", wf}, env: env})
			if r.code != 0 || !strings.Contains(r.stdout, tc.want) {
				t.Fatalf("check: exit %d; want %q in:\n%s\n%s", r.code, tc.want, r.stdout, r.stderr)
			}
			off := latchkey(t, run{args: []string{"check", "--offline", "-c", agent, "-w", wf}, env: env})
			if strings.Contains(off.stdout, "principal used") {
				t.Errorf("check --offline made a call to learn the principal:\n%s", off.stdout)
			}
			noLeak(t, "check output", r.stdout+r.stderr, "check-planted-value-1", alice.SecretAccessKey)
		})
	}
	if n := srv.Count("GetCallerIdentity"); n != 2 {
		t.Errorf("%d GetCallerIdentity calls; want one per online check", n)
	}
}
