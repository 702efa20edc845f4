//go:build unix

package main

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/latchkey/latchkey/providers/aws/awstest"
	"github.com/latchkey/latchkey/providers/azure/azuretest"
	"github.com/latchkey/latchkey/providers/gcp/gcptest"
)

// refusingProxy is an HTTP proxy on loopback that records every request
// (a CONNECT's host, a plain request's URL) and refuses it: set as
// HTTPS_PROXY and HTTP_PROXY, it stands for a machine whose public
// endpoints are unreachable, and tells what tried to reach them.
// Loopback destinations bypass a proxy from the environment, so the
// stores' own loopback servers are reached directly.
type refusingProxy struct {
	addr string
	mu   sync.Mutex
	seen []string
}

func startRefusingProxy(t *testing.T) *refusingProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &refusingProxy{addr: ln.Addr().String()}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				req, err := http.ReadRequest(bufio.NewReader(c))
				if err != nil {
					return
				}
				p.mu.Lock()
				p.seen = append(p.seen, req.Method+" "+req.Host)
				p.mu.Unlock()
				fmt.Fprint(c, "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
			}()
		}
	}()
	return p
}

func (p *refusingProxy) requests() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.seen...)
}

func (p *refusingProxy) env() []string {
	u := "http://" + p.addr
	return []string{"HTTPS_PROXY=" + u, "https_proxy=" + u, "HTTP_PROXY=" + u, "http_proxy=" + u, "NO_PROXY=", "no_proxy="}
}

// TestCheckStaysOnTheStoresEndpoints: `check` with stores whose endpoints
// are loopback servers, on a machine whose public endpoints are
// unreachable: nothing goes anywhere else (the proxy sees no request), and
// the output says whom each store acted as or why it cannot say.
func TestCheckStaysOnTheStoresEndpoints(t *testing.T) {
	proxy := startRefusingProxy(t)
	dir := t.TempDir()
	empty := writeFile(t, dir, "empty", "")

	aws := awstest.Start(t)
	alice := aws.AddUser("alice")
	aws.PutString("prod/db", "check-planted-aws")
	awsEnv := []string{"AWS_ACCESS_KEY_ID=" + alice.AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + alice.SecretAccessKey,
		"AWS_REGION=" + aws.Region, "AWS_CONFIG_FILE=" + empty, "AWS_SHARED_CREDENTIALS_FILE=" + empty, "AWS_EC2_METADATA_DISABLED=true"}
	awsStore := func(extra string) string {
		return fmt.Sprintf("stores:\n  s:\n    type: aws\n    region: %s\n    endpoint: %s\n    max_attempts: 1\n%s", aws.Region, aws.URL, extra)
	}

	az := azuretest.Start(t)
	az.SetSecret("db", "check-planted-azure")

	sa := gcptest.NewServiceAccount(t, "checker@demo-project.iam.gserviceaccount.com", "demo-project")
	gcp := gcptest.Start(t, gcptest.Options{Accounts: []*gcptest.ServiceAccount{sa},
		Secrets: []gcptest.Secret{{Project: "demo-project", ID: "db", Versions: []gcptest.Version{{Data: []byte("check-planted-gcp")}}}}})

	tests := []struct {
		name   string
		agent  string
		secret string
		env    []string
		want   []string
	}{
		{"aws, custom endpoint, no sts_endpoint", awsStore(""), "prod/db", awsEnv,
			[]string{"principal used: unknown:", "GetCallerIdentity not sent", "set sts_endpoint"}},
		{"aws, custom endpoint and sts_endpoint", awsStore("    sts_endpoint: " + aws.URL + "\n"), "prod/db", awsEnv,
			[]string{"principal used: " + aws.UserARN("alice") + " (account " + aws.Account + ")"}},
		{"azure, service principal on a custom authority", az.StoreYAML("s", "service_principal"), "db", nil,
			[]string{"principal used: "}},
		{"gcp, key file, custom endpoint", fmt.Sprintf("stores:\n  s:\n    type: gcp\n    project: demo-project\n    endpoint: %q\n    insecure: true\n    auth_method: service_account_key\n    credentials_file: %q\n    max_attempts: 1\n",
			gcp.Addr, sa.KeyFile), "db", nil,
			[]string{`principal used: service account "` + sa.Email + `"`}},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			agent := writeFile(t, dir, fmt.Sprintf("agent-%d.yaml", i), tc.agent)
			wf := writeFile(t, dir, fmt.Sprintf("wf-%d.yaml", i), "fields:\n  v: secret://s/"+tc.secret+"\n")
			before := len(proxy.requests())
			r := latchkey(t, run{args: []string{"check", "-c", agent, "-w", wf}, env: append(append(proxy.env(), tc.env...), "HOME="+filepath.Join(dir, "nohome"))})
			if r.code != 0 {
				t.Fatalf("check: exit %d:\n%s\n%s", r.code, r.stdout, r.stderr)
			}
			for _, want := range tc.want {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("check output lacks %q:\n%s", want, r.stdout)
				}
			}
			if got := proxy.requests()[before:]; len(got) > 0 {
				t.Errorf("check sent requests beyond the store's endpoints (through the proxy): %q", got)
			}
			noLeak(t, "check output", r.stdout+r.stderr, "check-planted-aws", "check-planted-azure", "check-planted-gcp", alice.SecretAccessKey)
		})
	}
	if n := aws.Count("GetCallerIdentity"); n != 1 {
		t.Errorf("%d GetCallerIdentity calls reached the store's STS endpoint; want 1 (only where sts_endpoint is set)", n)
	}
}
