//go:build unix

package main

import (
	"strings"
	"testing"
)

// TestCheckWarnsOfNodeIdentity: `latchkey check` says that a store the
// CSI provider reads with the node's identity gives no namespace
// isolation; csi-provider refuses a bad csi section before it listens.
func TestCheckWarnsOfNodeIdentity(t *testing.T) {
	dir := t.TempDir()
	agent := writeFile(t, dir, "agent.yaml", "stores:\n  aws: {type: aws, region: us-east-1}\ncsi:\n  stores:\n    aws: {identity: node}\n")
	wf := writeFile(t, dir, "wf.yaml", "name: w\nfields:\n  password: secret://aws/prod/db#password\n")
	r := latchkey(t, run{args: []string{"check", "--offline", "-c", agent, "-w", wf}, dir: dir,
		env: []string{"AWS_EC2_METADATA_DISABLED=true", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null"}})
	if r.code != 0 || !strings.Contains(r.stdout, "warning: csi.stores.aws uses identity: node") || !strings.Contains(r.stdout, "no namespace isolation") {
		t.Fatalf("check: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	bad := writeFile(t, dir, "bad.yaml", "stores:\n  aws: {type: aws, region: us-east-1}\ncsi:\n  stores:\n    aws: {identity: cluster}\n")
	r = latchkey(t, run{args: []string{"csi-provider", "-c", bad, "--socket-dir", dir}, dir: dir})
	if r.code != 3 || !strings.Contains(r.stderr, "csi.stores.aws.identity") {
		t.Fatalf("csi-provider with a bad csi section: exit %d\n%s", r.code, r.stderr)
	}
}
