package csi

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/latchkey/latchkey/config"
)

// TestDeployManifests checks what docs/kubernetes.md says of
// deploy/kubernetes/: no RBAC (the provider needs no API access), no
// service-account token in the provider's pod, the socket where the
// driver looks, the audiences the agent config uses in tokenRequests, an
// agent config that loads, and classes whose objects parse.
func TestDeployManifests(t *testing.T) {
	files, _ := filepath.Glob("../deploy/kubernetes/*.yaml")
	examples, _ := filepath.Glob("../deploy/kubernetes/examples/*.yaml")
	files = append(files, examples...)
	if len(files) < 6 {
		t.Fatalf("found %v", files)
	}
	byKind := map[string][]map[string]any{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		for {
			var doc map[string]any
			if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			kind, _ := doc["kind"].(string)
			byKind[kind] = append(byKind[kind], doc)
		}
	}
	for _, k := range []string{"Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"} {
		if len(byKind[k]) > 0 {
			t.Errorf("deploy/kubernetes grants API access (%s): the provider needs none", k)
		}
	}
	get := func(m any, path ...string) any {
		for _, p := range path {
			mm, ok := m.(map[string]any)
			if !ok {
				return nil
			}
			m = mm[p]
		}
		return m
	}
	sa := byKind["ServiceAccount"]
	if len(sa) != 1 || sa[0]["automountServiceAccountToken"] != false {
		t.Errorf("service account: %v", sa)
	}
	ds := byKind["DaemonSet"]
	if len(ds) != 1 {
		t.Fatalf("daemonsets: %d", len(ds))
	}
	spec := get(ds[0], "spec", "template", "spec")
	if get(spec, "automountServiceAccountToken") != false {
		t.Errorf("the provider's pod mounts a service-account token")
	}
	var hostPath string
	for _, v := range get(spec, "volumes").([]any) {
		if p, ok := get(v, "hostPath", "path").(string); ok {
			hostPath = p
		}
	}
	if hostPath != DefaultSocketDir {
		t.Errorf("hostPath %q, want %q", hostPath, DefaultSocketDir)
	}
	args := get(spec, "containers").([]any)[0].(map[string]any)["args"].([]any)
	if args[0] != "csi-provider" {
		t.Errorf("args %v", args)
	}
	sc := get(spec, "containers").([]any)[0].(map[string]any)["securityContext"]
	if get(sc, "privileged") != false || get(sc, "allowPrivilegeEscalation") != false {
		t.Errorf("securityContext %v", sc)
	}
	// The agent config in the ConfigMap loads, and every audience it
	// uses is requested by the CSIDriver.
	cm := byKind["ConfigMap"]
	path := filepath.Join(t.TempDir(), "agent.yaml")
	_ = os.WriteFile(path, []byte(get(cm[0], "data", "agent.yaml").(string)), 0o600)
	agent, err := config.Load(config.Options{Path: path, Environ: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	set, err := ParseSettings(agent)
	if err != nil {
		t.Fatal(err)
	}
	requested := map[string]bool{}
	drv := byKind["CSIDriver"]
	for _, tr := range get(drv[0], "spec", "tokenRequests").([]any) {
		requested[get(tr, "audience").(string)] = true
	}
	for name, si := range set.Stores {
		if si.Identity == IdentityPod && !requested[si.Audience] {
			t.Errorf("store %s uses audience %q, which csidriver.yaml does not request", name, si.Audience)
		}
	}
	if get(drv[0], "spec", "requiresRepublish") != true {
		t.Errorf("CSIDriver without requiresRepublish: no rotation, no fresh tokens")
	}
	for _, spc := range byKind["SecretProviderClass"] {
		params := get(spc, "spec", "parameters").(map[string]any)
		if get(spc, "spec", "provider") != "latchkey" {
			t.Errorf("class %v: provider", get(spc, "metadata", "name"))
		}
		m := map[string]string{}
		for k, v := range params {
			m[k] = v.(string)
		}
		if _, err := ParseParams(attrs(m), "420"); err != nil {
			t.Errorf("class %v: %v", get(spc, "metadata", "name"), err)
		}
		if strings.Contains(m["objects"], "..") {
			t.Errorf("class with ..")
		}
	}
}
