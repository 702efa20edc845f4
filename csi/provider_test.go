package csi

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"sigs.k8s.io/secrets-store-csi-driver/provider/v1alpha1"

	"github.com/latchkey/latchkey/config"
	"github.com/latchkey/latchkey/secret"
)

// memStore is a store without versions, for the HMAC versions: a map
// the test changes, counting Gets.
type memStore struct {
	mu   sync.Mutex
	vals map[string]string
	gets int
}

func (m *memStore) Get(_ context.Context, req secret.Request) (secret.Result, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.gets++
	v, ok := m.vals[req.Name]
	if !ok {
		return secret.Result{}, fmt.Errorf("mem: %q: %w", req.Name, secret.ErrNotFound)
	}
	return secret.Result{Value: secret.StringValue(v)}, nil
}

func (m *memStore) Close() error { return nil }

func (m *memStore) set(k, v string) {
	m.mu.Lock()
	m.vals[k] = v
	m.mu.Unlock()
}

var mem = &memStore{vals: map[string]string{}}

func init() {
	secret.Register(secret.Type{Name: "csitest-mem", New: func(context.Context, secret.Spec) (secret.Store, error) { return memWrap{mem}, nil }})
}

// memWrap lets the Resolver close its copy without closing the shared map.
type memWrap struct{ *memStore }

func newProvider(t *testing.T, yaml string, key string) *Provider {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "agent.yaml")
	if key != "" {
		kf := filepath.Join(dir, "key")
		if err := os.WriteFile(kf, []byte(key), 0o600); err != nil {
			t.Fatal(err)
		}
		yaml = strings.ReplaceAll(yaml, "KEYFILE", kf)
	}
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	agent, err := config.Load(config.Options{Path: path, Environ: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	set, err := ParseSettings(agent)
	if err != nil {
		t.Fatal(err)
	}
	p, err := New(context.Background(), Config{Agent: agent, Settings: set})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

const memAgent = `
stores:
  mem: {type: csitest-mem}
  app: {type: env, secrets: {allow: ["APP_*"]}}
cache: {enabled: false}
callers:
  etl: {service_accounts: [etl/loader], stores: {mem: {}, app: {}}}
  any: {service_accounts: ["reports/*"], stores: {mem: {allow: [public/*]}}}
csi:
  hmac_key_file: KEYFILE
  stores:
    mem: {identity: node}
`

func mountReq(ns, sa, objects string, current map[string]string) *v1alpha1.MountRequest {
	r := &v1alpha1.MountRequest{Attributes: attrs(map[string]string{attrPodNS: ns, attrSAName: sa, "objects": objects}), Permission: "420"}
	for id, v := range current {
		r.CurrentObjectVersion = append(r.CurrentObjectVersion, &v1alpha1.ObjectVersion{Id: id, Version: v})
	}
	return r
}

func TestHMACVersions(t *testing.T) {
	key1 := strings.Repeat("k", 32)
	p := newProvider(t, memAgent, key1)
	mem.set("db", "first-value")
	objects := `[{ref: "secret://mem/db", path: db}, {ref: "secret://mem/db", path: again}]`
	ctx := context.Background()
	resp, err := p.Mount(ctx, mountReq("etl", "loader", objects, nil))
	if err != nil || resp.Error != nil {
		t.Fatalf("mount: %v %v", err, resp.Error)
	}
	v1 := resp.ObjectVersion[0].Version
	if !strings.HasPrefix(v1, "hmac-sha256:") || strings.Contains(v1, "first") {
		t.Fatalf("version %q", v1)
	}
	if string(resp.Files[0].Contents) != "first-value" || resp.Files[0].Mode != 0o644 {
		t.Errorf("file %q mode %o", resp.Files[0].Contents, resp.Files[0].Mode)
	}
	if resp.ObjectVersion[1].Version != v1 || resp.ObjectVersion[1].Id != "again" {
		t.Errorf("one ref at two paths: %v", resp.ObjectVersion)
	}
	// Same content, same version; new content, new version.
	resp2, _ := p.Mount(ctx, mountReq("etl", "loader", objects, map[string]string{"db": v1}))
	if resp2.ObjectVersion[0].Version != v1 {
		t.Errorf("unchanged content moved its version: %q → %q", v1, resp2.ObjectVersion[0].Version)
	}
	mem.set("db", "second-value")
	resp3, _ := p.Mount(ctx, mountReq("etl", "loader", objects, map[string]string{"db": v1}))
	if resp3.ObjectVersion[0].Version == v1 || string(resp3.Files[0].Contents) != "second-value" {
		t.Errorf("changed content: version %q, contents %q", resp3.ObjectVersion[0].Version, resp3.Files[0].Contents)
	}
	// Another provider key: other versions, so a version says nothing
	// about the content to whoever lacks the key.
	q := newProvider(t, memAgent, strings.Repeat("q", 32))
	resp4, _ := q.Mount(ctx, mountReq("etl", "loader", objects, nil))
	if resp4.ObjectVersion[0].Version == resp3.ObjectVersion[0].Version {
		t.Errorf("two keys gave the same version")
	}
}

func TestMountRefusals(t *testing.T) {
	p := newProvider(t, memAgent, strings.Repeat("k", 32))
	mem.set("private/x", "p")
	mem.set("public/x", "q")
	tests := []struct {
		name, ns, sa, objects, code, says string
	}{
		{"env store never", "etl", "loader", `[{ref: "secret://app/APP_X", path: x}]`, CodeNotAllowed, "type env"},
		{"namespace wildcard: entry's rule", "reports", "any", `[{ref: "secret://mem/private/x", path: x}]`, CodeNotAllowed, "callers.any.stores.mem"},
		{"service account in no entry", "etl", "other", `[{ref: "secret://mem/public/x", path: x}]`, CodeNotAllowed, "etl/other"},
		{"undeclared store", "etl", "loader", `[{ref: "secret://nope/x", path: x}]`, CodeBadParameters, "not declared"},
		{"missing secret", "etl", "loader", `[{ref: "secret://mem/absent", path: x}]`, CodeNotFound, "absent"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, err := p.MountError(context.Background(), mountReq(tc.ns, tc.sa, tc.objects, nil))
			if code != tc.code || err == nil || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("code %q err %v; want %s saying %q", code, err, tc.code, tc.says)
			}
		})
	}
	// The wildcard entry reads what its rule allows.
	if code, err := p.MountError(context.Background(), mountReq("reports", "any", `[{ref: "secret://mem/public/x", path: x}]`, nil)); code != "" {
		t.Fatalf("reports/any: %s %v", code, err)
	}
}

func TestParseSettings(t *testing.T) {
	tests := []struct{ name, csi, err string }{
		{"node store without callers is fine to declare", `{stores: {mem: {identity: node}}}`, ""},
		{"unknown key", `{socket: /x}`, "csi.socket: unknown key (known: hmac_key_file, max_identities, socket_dir, stores, timeout)"},
		{"nested unknown key", `{stores: {mem: {identty: node}}}`, `csi.stores.mem.identty: unknown key (known: audience, client_id, credential, hosts, identity, impersonate_service_account, role_arn, session_name, sts_endpoint, tenant_id, token_url, workload_identity_provider): did you mean "identity"?`},
		{"bad timeout", `{timeout: soon}`, `csi.timeout: "soon" is not a positive duration (write e.g. 30s)`},
		{"zero timeout", `{timeout: 0s}`, "csi.timeout"},
		{"wrong type", `{max_identities: many}`, "csi.max_identities"},
		{"secret value is not quoted", `{hmac_key_file: [s3cr3t-value]}`, "csi.hmac_key_file"},
		{"undeclared store", `{stores: {nope: {identity: node}}}`, "no store"},
		{"pod identity on a type without it", `{stores: {mem: {identity: pod}}}`, "cannot yet authenticate as the pod"},
		{"env", `{stores: {app: {identity: node}}}`, "env store is refused"},
		{"bad identity", `{stores: {mem: {identity: cluster}}}`, "neither pod nor node"},
		{"role on a node store", `{stores: {mem: {identity: node, role_arn: x}}}`, "apply to identity: pod"},
		{"bad max", `{max_identities: -1}`, "max_identities"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "a.yaml")
			y := "stores:\n  mem: {type: csitest-mem}\n  app: {type: env, secrets: {allow: [A]}}\ncsi: " + tc.csi + "\n"
			_ = os.WriteFile(path, []byte(y), 0o600)
			agent, err := config.Load(config.Options{Path: path, Environ: []string{}})
			if err != nil {
				t.Fatal(err)
			}
			s, err := ParseSettings(agent)
			if tc.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				if len(s.Warnings()) != 1 || !strings.Contains(s.Warnings()[0], "no namespace isolation") {
					t.Errorf("warnings %v", s.Warnings())
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("err %v, want %q", err, tc.err)
			}
			if testing.Verbose() {
				t.Log(err)
			}
			if strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("the error quotes a secret setting's value: %v", err)
			}
		})
	}
}

// TestNodeStoreNeedsCallers: a store read with the node's identity is
// refused to every pod when no callers section names service accounts.
func TestNodeStoreNeedsCallers(t *testing.T) {
	p := newProvider(t, "stores:\n  mem: {type: csitest-mem}\ncsi: {stores: {mem: {identity: node}}}\n", "")
	mem.set("public/x", "q")
	code, err := p.MountError(context.Background(), mountReq("etl", "loader", `[{ref: "secret://mem/public/x", path: x}]`, nil))
	if code != CodeNotAllowed || !strings.Contains(fmt.Sprint(err), "callers section") {
		t.Fatalf("code %q err %v", code, err)
	}
}

// TestIdentitiesBounded: the LRU closes the least recently used identity.
func TestIdentitiesBounded(t *testing.T) {
	p := newProvider(t, memAgent+"  max_identities: 2\n", strings.Repeat("k", 32))
	mem.set("public/x", "q")
	for _, sa := range []string{"a", "b", "c", "a"} {
		if code, err := p.MountError(context.Background(), mountReq("reports", sa, `[{ref: "secret://mem/public/x", path: x}]`, nil)); code != "" {
			t.Fatalf("%s: %s %v", sa, code, err)
		}
	}
	if n := p.ids.len(); n != 2 {
		t.Errorf("%d identities kept, want 2", n)
	}
}
