//go:build unix

package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/providers/aws/awstest"
)

// TestAWS resolves a workflow through `latchkey resolve` from a store of
// type aws, with each auth method, against the signature-checking server.
func TestAWS(t *testing.T) {
	srv := awstest.Start(t)
	alice := srv.AddUser("alice")
	bob := srv.AddUser("bob") // only reachable through files or custom variables
	role := srv.AddRole(awstest.Role{Name: "reader", TrustedUsers: []string{"alice"}})
	const pw = "aws-pl4nted-pw"
	srv.PutString("prod/db", `{"username":"etl","password":"`+pw+`"}`)
	srv.Deny(srv.UserARN("alice"), "prod/locked")
	srv.PutString("prod/locked", "locked-value-zz")

	dir := t.TempDir()
	write := func(name, content string) string { return writeFile(t, dir, name, content) }
	keyFile := write("bob-key", bob.AccessKeyID)
	secretFile := write("bob-secret", bob.SecretAccessKey)
	wf := write("wf.yaml", "fields:\n  user: secret:///#username\n  password: secret://aws/prod/db#password\n")

	env := func(c awstest.Credentials, extra ...string) []string {
		var out []string
		for k, v := range srv.Env(c) {
			out = append(out, k+"="+v)
		}
		return append(out, extra...)
	}
	tests := []struct {
		name  string
		store string
		env   []string
	}{
		{"iam default chain", "auth_method: iam", env(alice)},
		{"assume role", "auth_method: assume_role\n    role_arn: " + role, env(alice)},
		{"access keys from custom variables", "auth_method: access_keys\n    access_key_id_env: ETL_KEY_ID\n    secret_access_key_env: ETL_SECRET",
			env(awstest.Credentials{}, "ETL_KEY_ID="+bob.AccessKeyID, "ETL_SECRET="+bob.SecretAccessKey)},
		{"access keys from files", fmt.Sprintf("auth_method: access_keys\n    access_key_id_file: %s\n    secret_access_key_file: %s", keyFile, secretFile),
			env(awstest.Credentials{})},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			agent := write(fmt.Sprintf("agent-%d.yaml", i), fmt.Sprintf(
				"stores:\n  aws:\n    type: aws\n    secret: prod/db\n    region: %s\n    endpoint: %s\n    max_attempts: 1\n    %s\n",
				srv.Region, srv.URL, tc.store))
			r := mustResolve(t, run{args: []string{"resolve", "-c", agent, "-w", wf}, env: tc.env}, `"password": "`+pw+`"`, `"user": "etl"`)
			noLeak(t, "stderr", r.stderr, pw, alice.SecretAccessKey, bob.SecretAccessKey)
		})
	}

	// Errors through the CLI: not found and access denied, every field listed.
	agent := write("agent-err.yaml", fmt.Sprintf("stores:\n  aws:\n    type: aws\n    region: %s\n    endpoint: %s\n    max_attempts: 1\n", srv.Region, srv.URL))
	bad := write("wf-bad.yaml", "fields:\n  a: secret://aws/prod/nope\n  b: secret://aws/prod/locked\n")
	r := mustFail(t, run{args: []string{"resolve", "-c", agent, "-w", bad}, env: env(alice)}, 4, `field "a"`, "prod/nope", `field "b"`, "prod/locked")
	noLeak(t, "stderr", r.stderr, "locked-value-zz", alice.SecretAccessKey)

	// check --offline warns about literal keys and prints the identity.
	lit := write("agent-lit.yaml", fmt.Sprintf("stores:\n  aws:\n    type: aws\n    secret: prod/db\n    region: %s\n    endpoint: %s\n    auth_method: access_keys\n    access_key_id: %s\n    secret_access_key: %s\n",
		srv.Region, srv.URL, bob.AccessKeyID, bob.SecretAccessKey))
	r = latchkey(t, run{args: []string{"check", "--offline", "-c", lit, "-w", wf}, env: env(awstest.Credentials{})})
	if r.code != 0 || !strings.Contains(r.stdout, "warning:") {
		t.Fatalf("check --offline with literal keys: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	noLeak(t, "check output", r.stdout+r.stderr, bob.SecretAccessKey)
}
