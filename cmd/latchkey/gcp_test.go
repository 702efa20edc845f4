//go:build unix

package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/providers/gcp/gcptest"
)

// TestGCP resolves a workflow through `latchkey resolve` from a store of
// type gcp against the loopback Secret Manager gRPC server, with a
// service-account key the server verifies, and checks that a corrupted
// payload checksum fails the resolution.
func TestGCP(t *testing.T) {
	sa := gcptest.NewServiceAccount(t, "etl@demo-project.iam.gserviceaccount.com", "demo-project")
	const pw = "gcp-pl4nted-pw"
	srv := gcptest.Start(t, gcptest.Options{
		Accounts: []*gcptest.ServiceAccount{sa},
		Secrets: []gcptest.Secret{
			{Project: "demo-project", ID: "db", Versions: []gcptest.Version{
				{Data: []byte(`{"username":"old"}`)},
				{Data: []byte(`{"username":"etl","password":"` + pw + `"}`)},
			}},
			{Project: "demo-project", ID: "corrupt", Versions: []gcptest.Version{{Data: []byte("corrupt-value-zz"), Checksum: gcptest.ChecksumCorrupt}}},
		},
	})
	dir := t.TempDir()
	agent := writeFile(t, dir, "agent.yaml", fmt.Sprintf(`stores:
  gcp:
    type: gcp
    project: demo-project
    endpoint: %q
    insecure: true
    auth_method: service_account_key
    credentials_file: %q
    max_attempts: 1
`, srv.Addr, sa.KeyFile))
	wf := writeFile(t, dir, "wf.yaml", `fields:
  user: secret://gcp/db#username
  password: secret://gcp/projects/demo-project/secrets/db#password
  old: secret://gcp/projects/demo-project/secrets/db/versions/1#username
`)
	mustResolve(t, run{args: []string{"resolve", "-c", agent, "-w", wf}}, `"password": "`+pw+`"`, `"user": "etl"`, `"old": "old"`)

	bad := writeFile(t, dir, "bad.yaml", "fields:\n  c: secret://gcp/corrupt\n  n: secret://gcp/nope\n")
	r := mustFail(t, run{args: []string{"resolve", "-c", agent, "-w", bad}}, 4, `field "c"`, `field "n"`)
	if !strings.Contains(strings.ToLower(r.stderr), "checksum") {
		t.Errorf("a corrupted payload must fail on its checksum: %s", r.stderr)
	}
	noLeak(t, "stderr", r.stderr, pw, "corrupt-value-zz")
}
