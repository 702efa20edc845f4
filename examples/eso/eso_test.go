// Package eso tests External Secrets Operator's own webhook provider
// (github.com/external-secrets/external-secrets v0.16.2,
// pkg/provider/webhook, with controller-runtime's fake client holding the
// token Secret) reading secrets from the built `latchkey serve` over
// loopback TCP with a named token, as docs/kubernetes.md configures it.
// It is its own module: ESO brings its own Kubernetes dependencies.
package eso

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	esv1 "github.com/external-secrets/external-secrets/apis/externalsecrets/v1"
	esmeta "github.com/external-secrets/external-secrets/apis/meta/v1"
	"github.com/external-secrets/external-secrets/pkg/provider/webhook"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
)

const token = "eso-token-4f0c1b2a9d8e7f6a5b4c"

func TestWebhookProviderReadsFromServe(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "latchkey")
	build := exec.Command("go", "build", "-o", bin, "./cmd/latchkey")
	build.Dir = "../.."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building latchkey: %v\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	tokFile := filepath.Join(dir, "eso.token")
	os.WriteFile(tokFile, []byte(token), 0o600)
	other := filepath.Join(dir, "other.token")
	os.WriteFile(other, []byte("other-token-0123456789abcdef"), 0o600)
	cfg := fmt.Sprintf(`stores:
  app: {type: env, secrets: {allow: ["ESO_*", "OTHER_*"]}}
serve:
  socket: none
  tcp: %s
  tokens:
    eso: {file: %s}
    other: {file: %s}
audit: {enabled: false}
callers:
  eso: {tokens: [eso], stores: {app: {allow: ["ESO_*"]}}}
  other: {tokens: [other], stores: {app: {allow: ["OTHER_*"]}}}
`, addr, tokFile, other)
	agent := filepath.Join(dir, "agent.yaml")
	os.WriteFile(agent, []byte(cfg), 0o600)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "serve", "-c", agent)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, `ESO_DB={"user":"etl","password":"pa55"}`, "OTHER_DB=x"}
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("serve said:\n%s", logs.String())
		}
	})
	for deadline := time.Now().Add(20 * time.Second); ; {
		if resp, err := http.Get("http://" + addr + "/ping"); err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("latchkey serve did not start")
		}
		time.Sleep(50 * time.Millisecond)
	}

	newClient := func(tok string) esv1.SecretsClient {
		kube := fake.NewClientBuilder().WithObjects(&corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: "latchkey-token", Namespace: "etl", Labels: map[string]string{"external-secrets.io/type": "webhook"}},
			Data:       map[string][]byte{"token": []byte(tok)},
		}).Build()
		store := &esv1.SecretStore{
			ObjectMeta: metav1.ObjectMeta{Name: "latchkey", Namespace: "etl"},
			Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{Webhook: &esv1.WebhookProvider{
				URL:     "http://" + addr + "/v1/secret?ref=secret://app/{{ .remoteRef.key }}",
				Headers: map[string]string{"X-Latchkey-Token": "{{ .auth.token }}"},
				Result:  esv1.WebhookResult{JSONPath: "$.value"},
				Secrets: []esv1.WebhookSecret{{Name: "auth", SecretRef: esmeta.SecretKeySelector{Name: "latchkey-token", Key: "token"}}},
			}}},
		}
		c, err := (&webhook.Provider{}).NewClient(context.Background(), store, kube, "etl")
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	c := newClient(token)
	got, err := c.GetSecret(context.Background(), esv1.ExternalSecretDataRemoteRef{Key: "ESO_DB#password"})
	if err != nil || string(got) != "pa55" {
		t.Fatalf("GetSecret: %q, %v", got, err)
	}
	// A secret that does not exist: ESO's "gone" (404).
	if _, err := c.GetSecret(context.Background(), esv1.ExternalSecretDataRemoteRef{Key: "ESO_NOPE"}); !errors.Is(err, esv1.NoSecretError{}) {
		t.Errorf("missing secret: %v, want NoSecretError", err)
	}
	// The token's caller rule: this token may not read OTHER_*.
	if _, err := c.GetSecret(context.Background(), esv1.ExternalSecretDataRemoteRef{Key: "OTHER_DB"}); err == nil {
		t.Error("the eso token read a secret its caller rule refuses")
	}
	// A wrong token reads nothing.
	if _, err := newClient("wrong-token-0123456789abcdef").GetSecret(context.Background(), esv1.ExternalSecretDataRemoteRef{Key: "ESO_DB#password"}); err == nil || strings.Contains(err.Error(), "pa55") {
		t.Errorf("wrong token: %v", err)
	}
}
