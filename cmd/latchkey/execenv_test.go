//go:build unix

package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/providers/aws/awstest"
)

// TestExecDropsStoreEnv checks that exec's command does not inherit the
// variables the configured stores use — the AWS SDK's credential
// variables, the ones access_keys settings name, the variables the env
// store served — unless --keep-store-env, and that it still gets the
// fields and every other variable.
func TestExecDropsStoreEnv(t *testing.T) {
	srv := awstest.Start(t)
	bob := srv.AddUser("bob")
	srv.PutString("prod/db", `{"password":"aws-pw-123456"}`)
	dir := t.TempDir()
	agent := writeFile(t, dir, "agent.yaml", fmt.Sprintf(`default_store: demo
stores:
  demo:
    type: env
    allow: ["DEMO_*"]
  aws:
    type: aws
    region: %s
    endpoint: %s
    max_attempts: 1
    auth_method: access_keys
    access_key_id_env: ETL_KEY_ID
    secret_access_key_env: ETL_SECRET
`, srv.Region, srv.URL))
	wf := writeFile(t, dir, "wf.yaml", "fields:\n  password: secret://demo/DEMO_DB#password\n  token: secret://demo/DEMO_API_TOKEN\n  aws_pw: secret://aws/prod/db#password\n")
	env := []string{"ETL_KEY_ID=" + bob.AccessKeyID, "ETL_SECRET=" + bob.SecretAccessKey, "KEEP_ME=yes",
		"AWS_REGION=" + srv.Region, "AWS_EC2_METADATA_DISABLED=true"}
	dropped := []string{"AWS_SECRET_ACCESS_KEY", "ETL_KEY_ID", "ETL_SECRET", "DEMO_DB", "DEMO_API_TOKEN"}

	r := latchkey(t, run{args: []string{"exec", "-c", agent, "-w", wf, "--", "env"}, env: env})
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	vars := map[string]string{}
	for _, l := range strings.Split(r.stdout, "\n") {
		if k, v, ok := strings.Cut(l, "="); ok {
			vars[k] = v
		}
	}
	for _, n := range dropped {
		if _, ok := vars[n]; ok {
			t.Errorf("the command inherited %s", n)
		}
	}
	if vars["PASSWORD"] != plantedPassword || vars["TOKEN"] != plantedToken || vars["AWS_PW"] != "aws-pw-123456" || vars["KEEP_ME"] != "yes" {
		t.Errorf("fields or other variables missing: %v", vars)
	}
	noLeak(t, "stderr", r.stderr, planted...)

	r = latchkey(t, run{args: []string{"exec", "--keep-store-env", "-c", agent, "-w", wf, "--", "env"}, env: env})
	for _, n := range dropped {
		if !strings.Contains("\n"+r.stdout, "\n"+n+"=") {
			t.Errorf("--keep-store-env: %s not passed", n)
		}
	}
}
