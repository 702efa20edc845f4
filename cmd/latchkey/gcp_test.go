package main

import (
	"fmt"
	"os"
	"path/filepath"
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
	agent := filepath.Join(dir, "agent.yaml")
	os.WriteFile(agent, []byte(fmt.Sprintf(`stores:
  gcp:
    type: gcp
    project: demo-project
    endpoint: %q
    insecure: true
    auth_method: service_account_key
    credentials_file: %q
    max_attempts: 1
`, srv.Addr, sa.KeyFile)), 0o600)
	wf := filepath.Join(dir, "wf.yaml")
	os.WriteFile(wf, []byte(`fields:
  user: secret://gcp/db#username
  password: secret://gcp/projects/demo-project/secrets/db#password
  old: secret://gcp/projects/demo-project/secrets/db/versions/1#username
`), 0o600)
	r := latchkey(t, run{args: []string{"resolve", "-c", agent, "-w", wf}})
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{`"password": "` + pw + `"`, `"user": "etl"`, `"old": "old"`} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %s: %s", want, r.stdout)
		}
	}

	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("fields:\n  c: secret://gcp/corrupt\n  n: secret://gcp/nope\n"), 0o600)
	r = latchkey(t, run{args: []string{"resolve", "-c", agent, "-w", bad}})
	if r.code != 4 || r.stdout != "" || !strings.Contains(r.stderr, `field "c"`) || !strings.Contains(strings.ToLower(r.stderr), "checksum") ||
		!strings.Contains(r.stderr, `field "n"`) {
		t.Fatalf("exit %d, stdout %q, stderr %s", r.code, r.stdout, r.stderr)
	}
	noLeak(t, "stderr", r.stderr, pw, "corrupt-value-zz")
}
