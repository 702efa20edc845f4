// Package csitest runs `latchkey csi-provider`, built from this
// repository, against the Secrets Store CSI Driver's own client code
// (sigs.k8s.io/secrets-store-csi-driver v1.5.4, pkg/secrets-store:
// NewPluginClientBuilder, Version, MountContent, which also writes the
// files as the driver does) over the real unix socket, with loopback AWS
// (STS verifying pod tokens against a loopback issuer's JWKS, and
// Secrets Manager). It is its own module because the driver pins an
// older OpenTelemetry than the main module.
package csitest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	secretsstore "sigs.k8s.io/secrets-store-csi-driver/pkg/secrets-store"
	"sigs.k8s.io/secrets-store-csi-driver/provider/v1alpha1"

	"github.com/latchkey/latchkey/internal/k8stest"
	"github.com/latchkey/latchkey/providers/aws/awstest"
)

var binary string

// lockedBuffer is the provider's output, written by exec's copier while
// the tests read it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *lockedBuffer) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Len()
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "latchkey-csitest-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "latchkey")
	build := exec.Command("go", "build", "-o", binary, "./cmd/latchkey")
	build.Dir = "../.."
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building latchkey:", err)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// env is a running provider with its loopback cloud.
type env struct {
	t       *testing.T
	issuer  *k8stest.Issuer
	aws     *awstest.Server
	roleA   string // trusts team-a/app
	roleB   string // trusts team-b/app
	client  v1alpha1.CSIDriverProviderClient
	stderr  *lockedBuffer
	sockDir string
}

func start(t *testing.T, extraCSI string) *env {
	t.Helper()
	e := &env{t: t, issuer: k8stest.Start(t), aws: awstest.Start(t), stderr: &lockedBuffer{}}
	e.roleA = e.aws.AddRole(awstest.Role{Name: "team-a", WebIdentity: &awstest.WebIdentityTrust{
		Issuer: e.issuer.URL, Audience: "sts.amazonaws.com", Subjects: []string{"system:serviceaccount:team-a:app"}}})
	e.roleB = e.aws.AddRole(awstest.Role{Name: "team-b", WebIdentity: &awstest.WebIdentityTrust{
		Issuer: e.issuer.URL, Audience: "sts.amazonaws.com", Subjects: []string{"system:serviceaccount:team-b:app"}}})
	e.aws.Deny(e.roleB, "team-a/db")
	dir := t.TempDir()
	e.sockDir = filepath.Join(dir, "providers")
	cfg := fmt.Sprintf(`stores:
  aws:
    type: aws
    region: us-east-1
    endpoint: %s
cache:
  ttl: 10m
audit:
  enabled: false
callers:
  a: {service_accounts: [team-a/app], stores: {aws: {}}}
  b: {service_accounts: [team-b/app], stores: {aws: {deny: ["team-a/*"]}}}
csi:
  stores:
    aws: {role_arn: %q, sts_endpoint: %s}
%s`, e.aws.URL, e.roleA, e.aws.URL, extraCSI)
	path := filepath.Join(dir, "agent.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, binary, "csi-provider", "-c", path, "--socket-dir", e.sockDir, "--log-level", "debug")
	cmd.Env = []string{"HOME=" + dir, "PATH=" + os.Getenv("PATH")}
	for k, v := range e.aws.Env(awstest.Credentials{}) {
		if !strings.HasPrefix(k, "AWS_ENDPOINT_URL") {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	cmd.Stdout, cmd.Stderr = e.stderr, e.stderr
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("provider output:\n%s", e.stderr)
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(e.sockDir, "latchkey.sock")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the provider did not open its socket:\n%s", e.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	b := secretsstore.NewPluginClientBuilder([]string{e.sockDir})
	t.Cleanup(b.Cleanup)
	c, err := b.Get(context.Background(), "latchkey")
	if err != nil {
		t.Fatal(err)
	}
	e.client = c
	return e
}

// pod is what the driver knows of a mounting pod.
type pod struct {
	ns, sa, name string
	// token overrides the token minted for the pod (for sts.amazonaws.com).
	token string
	// audience, ttl: how to mint it otherwise.
	audience string
	ttl      time.Duration
}

func (e *env) attrs(p pod, params map[string]string) string {
	tok := p.token
	if tok == "" {
		aud := p.audience
		if aud == "" {
			aud = "sts.amazonaws.com"
		}
		tok = e.issuer.Mint(k8stest.Token{Namespace: p.ns, ServiceAccount: p.sa, Pod: p.name, Audience: aud, TTL: p.ttl})
	}
	toks, _ := json.Marshal(map[string]any{"sts.amazonaws.com": map[string]any{"token": tok, "expirationTimestamp": time.Now().Add(time.Hour)}})
	m := map[string]string{
		"csi.storage.k8s.io/pod.name":              p.name,
		"csi.storage.k8s.io/pod.namespace":         p.ns,
		"csi.storage.k8s.io/pod.uid":               "uid-" + p.name,
		"csi.storage.k8s.io/serviceAccount.name":   p.sa,
		"csi.storage.k8s.io/serviceAccount.tokens": string(toks),
		"csi.storage.k8s.io/ephemeral":             "false",
		"secretProviderClass":                      "app-secrets",
	}
	for k, v := range params {
		m[k] = v
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// mount calls the driver's MountContent, which writes the files into a
// new target directory, and returns it with the versions and error code.
func (e *env) mount(p pod, params map[string]string, current map[string]string) (string, map[string]string, string, error) {
	e.t.Helper()
	target := e.t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	vers, code, err := secretsstore.MountContent(ctx, e.client, e.attrs(p, params), "{}", target, "420", current)
	return target, vers, code, err
}

var teamA = pod{ns: "team-a", sa: "app", name: "app-1"}

const objectsA = `
- {ref: "secret://aws/team-a/db#password", path: db/password, mode: 0400}
- {ref: "secret://aws/team-a/db#user", path: db/user}
- {ref: "secret://aws/shared/motd", path: motd, mode: 0444}
`

func TestMountWritesFilesWithModesAndVersions(t *testing.T) {
	e := start(t, "")
	ctx := context.Background()
	v, err := secretsstore.Version(ctx, e.client)
	if err != nil || v == "" {
		t.Fatalf("Version: %q, %v", v, err)
	}
	e.aws.PutString("team-a/db", `{"user":"etl","password":"pa55-w0rd"}`)
	e.aws.PutString("shared/motd", "hello")
	target, vers, code, err := e.mount(teamA, map[string]string{"objects": objectsA}, nil)
	if err != nil {
		t.Fatalf("mount: code %q: %v", code, err)
	}
	want := map[string]struct {
		content string
		mode    os.FileMode
	}{"db/password": {"pa55-w0rd", 0o400}, "db/user": {"etl", 0o644}, "motd": {"hello", 0o444}}
	for path, w := range want {
		b, err := os.ReadFile(filepath.Join(target, path))
		if err != nil || string(b) != w.content {
			t.Errorf("%s: %q, %v; want %q", path, b, err, w.content)
		}
		fi, err := os.Stat(filepath.Join(target, path))
		if err != nil || fi.Mode().Perm() != w.mode {
			t.Errorf("%s: mode %v, %v; want %v", path, fi.Mode().Perm(), err, w.mode)
		}
		if vers[path] == "" {
			t.Errorf("%s: no object version (got %v)", path, vers)
		}
	}
	if strings.Contains(fmt.Sprint(vers), "pa55") || strings.Contains(e.stderr.String(), "pa55-w0rd") {
		t.Errorf("a value leaked into versions or the log")
	}
	if vers["db/password"] == vers["db/user"] {
		t.Errorf("two refs of one secret share a version: %v", vers)
	}
}

func TestRepublishProbesUnchangedAndFetchesRotated(t *testing.T) {
	e := start(t, "")
	e.aws.PutString("team-a/db", `{"user":"etl","password":"one"}`)
	e.aws.PutString("shared/motd", "hello")
	params := map[string]string{"objects": objectsA}
	_, vers, code, err := e.mount(teamA, params, nil)
	if err != nil {
		t.Fatalf("mount: %s %v", code, err)
	}
	gets, describes := e.aws.Count("GetSecretValue"), e.aws.Count("DescribeSecret")
	if gets != 2 {
		t.Fatalf("first mount: %d GetSecretValue, want 2 (one per secret)", gets)
	}
	// Republish, nothing changed: a probe per secret, no fetch.
	target, vers2, code, err := e.mount(teamA, params, vers)
	if err != nil {
		t.Fatalf("republish: %s %v", code, err)
	}
	if n := e.aws.Count("GetSecretValue") - gets; n != 0 {
		t.Errorf("unchanged republish fetched %d times, want 0", n)
	}
	if n := e.aws.Count("DescribeSecret") - describes; n != 2 {
		t.Errorf("unchanged republish probed %d times, want 2", n)
	}
	if fmt.Sprint(vers2) != fmt.Sprint(vers) {
		t.Errorf("versions moved without a change: %v → %v", vers, vers2)
	}
	if b, _ := os.ReadFile(filepath.Join(target, "db/password")); string(b) != "one" {
		t.Errorf("republished file: %q", b)
	}
	// Rotate one secret: one fetch, its files change, the other's do not.
	gets = e.aws.Count("GetSecretValue")
	e.aws.PutString("team-a/db", `{"user":"etl","password":"two"}`)
	target, vers3, code, err := e.mount(teamA, params, vers2)
	if err != nil {
		t.Fatalf("rotated republish: %s %v", code, err)
	}
	if n := e.aws.Count("GetSecretValue") - gets; n != 1 {
		t.Errorf("rotated republish fetched %d times, want 1", n)
	}
	if b, _ := os.ReadFile(filepath.Join(target, "db/password")); string(b) != "two" {
		t.Errorf("rotated file: %q, want two", b)
	}
	if vers3["db/password"] == vers2["db/password"] || vers3["motd"] != vers2["motd"] {
		t.Errorf("versions after rotation: %v → %v", vers2, vers3)
	}
}

func TestRefusedMounts(t *testing.T) {
	e := start(t, "")
	e.aws.PutString("team-a/db", `{"user":"etl","password":"pa55"}`)
	e.aws.PutString("shared/motd", "hello")
	big := strings.Repeat("x", 60<<10)
	e.aws.PutString("shared/big", big)
	var many strings.Builder
	for i := range 80 { // 80 × 60 KiB: over the driver's 4 MiB
		fmt.Fprintf(&many, "- {ref: \"secret://aws/shared/big\", path: big-%d}\n", i)
	}
	forged := k8stest.Start(t).Mint(k8stest.Token{Namespace: "team-a", ServiceAccount: "app", Audience: "sts.amazonaws.com"})
	tests := []struct {
		name   string
		pod    pod
		params map[string]string
		code   string
		says   string
	}{
		{"parent path", teamA, map[string]string{"objects": `- {ref: "secret://aws/shared/motd", path: ../../etc/motd}`}, "BadParameters", "'..'"},
		{"absolute path", teamA, map[string]string{"objects": `- {ref: "secret://aws/shared/motd", path: /etc/motd}`}, "BadParameters", "absolute"},
		{"driver's own ..data", teamA, map[string]string{"objects": `- {ref: "secret://aws/shared/motd", path: ..data}`}, "BadParameters", ".."},
		{"unclean path", teamA, map[string]string{"objects": `- {ref: "secret://aws/shared/motd", path: a//b}`}, "BadParameters", "not clean"},
		{"bad mode", teamA, map[string]string{"objects": `- {ref: "secret://aws/shared/motd", path: m, mode: 01777}`}, "BadParameters", "mode"},
		{"typo", teamA, map[string]string{"object": `- {ref: "secret://aws/shared/motd", path: m}`}, "BadParameters", "unknown parameter"},
		{"oversize", teamA, map[string]string{"objects": many.String()}, "TooLarge", "4 MiB"},
		{"service account no entry names", pod{ns: "team-c", sa: "app", name: "x"}, map[string]string{"objects": `- {ref: "secret://aws/shared/motd", path: m}`}, "NotAllowed", "team-c/app"},
		{"entry's rule", pod{ns: "team-b", sa: "app", name: "b-1"}, map[string]string{"objects": `- {ref: "secret://aws/team-a/db#password", path: p}`, "roleArn": e.roleB}, "NotAllowed", "callers.b"},
		{"class's stores list", teamA, map[string]string{"objects": `- {ref: "secret://aws/shared/motd", path: m}`, "stores": "[other]"}, "NotAllowed", "stores parameter"},
		{"wrong audience", pod{ns: "team-a", sa: "app", name: "a", audience: "vault"}, map[string]string{"objects": `- {ref: "secret://aws/shared/motd", path: m}`}, "IdentityRefused", "audience"},
		{"expired token", pod{ns: "team-a", sa: "app", name: "a", ttl: -time.Minute}, map[string]string{"objects": `- {ref: "secret://aws/shared/motd", path: m}`}, "IdentityRefused", "expired"},
		{"another service account's token", pod{ns: "team-a", sa: "app", name: "a",
			token: e.issuer.Mint(k8stest.Token{Namespace: "team-b", ServiceAccount: "app", Audience: "sts.amazonaws.com"})},
			map[string]string{"objects": `- {ref: "secret://aws/shared/motd", path: m}`}, "IdentityRefused", "subject"},
		{"token of another issuer (STS checks the signature)", pod{ns: "team-a", sa: "app", name: "a", token: forged},
			map[string]string{"objects": `- {ref: "secret://aws/shared/motd", path: m}`}, "IdentityRefused", "InvalidIdentityToken"},
		{"role the service account may not assume (STS trust policy)", pod{ns: "team-b", sa: "app", name: "b"},
			map[string]string{"objects": `- {ref: "secret://aws/shared/motd", path: m}`, "roleArn": e.roleA}, "IdentityRefused", "AccessDenied"},
		{"missing secret", teamA, map[string]string{"objects": `- {ref: "secret://aws/nope", path: m}`}, "NotFound", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := e.stderr.Len()
			target, _, code, err := e.mount(tc.pod, tc.params, nil)
			if err == nil || code != tc.code {
				t.Fatalf("code %q, err %v; want %s", code, err, tc.code)
			}
			if ents, _ := os.ReadDir(target); len(ents) != 0 {
				t.Errorf("a refused mount wrote %d entries", len(ents))
			}
			time.Sleep(50 * time.Millisecond) // the provider logs after answering
			logged := e.stderr.String()[before:]
			if testing.Verbose() {
				t.Logf("provider said: %s", logged)
			}
			if !strings.Contains(logged, tc.says) {
				t.Errorf("the provider's log does not say %q:\n%s", tc.says, logged)
			}
			if strings.Contains(logged, "pa55") || strings.Contains(logged, "eyJ") {
				t.Errorf("a value or a token leaked into the log:\n%s", logged)
			}
		})
	}
}

// TestCacheDoesNotCrossIdentities: what one pod's identity fetched is not
// handed to another principal, nor to a pod of the same service account
// whose own token was not exchanged successfully.
func TestCacheDoesNotCrossIdentities(t *testing.T) {
	e := start(t, "")
	e.aws.PutString("shared/motd", "hello")
	params := map[string]string{"objects": `- {ref: "secret://aws/shared/motd", path: motd}`}
	if _, _, code, err := e.mount(teamA, params, nil); err != nil {
		t.Fatalf("team-a: %s %v", code, err)
	}
	// team-b reads the same secret: with its own role, its own fetch.
	teamB := pod{ns: "team-b", sa: "app", name: "b-1"}
	pb := map[string]string{"objects": params["objects"], "roleArn": e.roleB}
	if _, _, code, err := e.mount(teamB, pb, nil); err != nil {
		t.Fatalf("team-b: %s %v", code, err)
	}
	var principals []string
	for _, c := range e.aws.Calls() {
		if c.Action == "GetSecretValue" {
			principals = append(principals, c.Principal)
		}
	}
	if len(principals) != 2 || !strings.Contains(principals[0], "role/team-a") && !strings.Contains(principals[0], "assumed-role/team-a/") ||
		!strings.Contains(principals[1], "assumed-role/team-b/") {
		t.Errorf("fetches: %v; want one as team-a's role, then one as team-b's", principals)
	}
	// A second team-a pod whose token STS refuses gets nothing, although
	// its identity's cache holds the value.
	forged := k8stest.Start(t).Mint(k8stest.Token{Namespace: "team-a", ServiceAccount: "app", Audience: "sts.amazonaws.com"})
	if _, _, code, err := e.mount(pod{ns: "team-a", sa: "app", name: "app-2", token: forged}, params, nil); err == nil || code != "IdentityRefused" {
		t.Errorf("forged token: code %q, err %v; want IdentityRefused", code, err)
	}
	// A second team-a pod with its own valid token: one exchange, no fetch.
	gets, ex := e.aws.Count("GetSecretValue"), e.aws.Count("AssumeRoleWithWebIdentity")
	if _, _, code, err := e.mount(pod{ns: "team-a", sa: "app", name: "app-3"}, params, nil); err != nil {
		t.Fatalf("second pod: %s %v", code, err)
	}
	if e.aws.Count("GetSecretValue") != gets || e.aws.Count("AssumeRoleWithWebIdentity") != ex+1 {
		t.Errorf("second team-a pod: %d fetches, %d exchanges; want 0 and 1",
			e.aws.Count("GetSecretValue")-gets, e.aws.Count("AssumeRoleWithWebIdentity")-ex)
	}
}
