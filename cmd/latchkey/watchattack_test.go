//go:build unix

package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/latchkey/latchkey/providers/gcp/gcptest"
)

// gcpWatchEnv is `latchkey serve` on a loopback Secret Manager, with two
// tokens (ci-a and ci-b) and the callers section extra (none when empty).
type gcpWatchEnv struct {
	gcp    *gcptest.Server
	srv    *served
	tokA   string
	tokB   string
	client *http.Client
}

const (
	watchValue = "w4tch-pl4nted-db1"
	otherValue = "w4tch-pl4nted-other"
)

func startGCPWatch(t *testing.T, opts gcptest.Options, viewers []string, auth, callers string) *gcpWatchEnv {
	t.Helper()
	for _, id := range []string{"db1", "db2", "db3", "other"} {
		v := "w4tch-pl4nted-" + id
		opts.Secrets = append(opts.Secrets, gcptest.Secret{Project: "demo-project", ID: id, Versions: []gcptest.Version{{Data: []byte(v)}}, Viewers: viewers})
	}
	e := &gcpWatchEnv{gcp: gcptest.Start(t, opts), tokA: "tok-a-0123456789abcdef", tokB: "tok-b-0123456789abcdef",
		client: &http.Client{Timeout: 30 * time.Second}}
	dir := shortDir(t)
	sock := filepath.Join(dir, "s.sock")
	agent := writeFile(t, dir, "agent.yaml", fmt.Sprintf(`stores:
  gcp:
    type: gcp
    project: demo-project
    endpoint: %q
    insecure: true
    max_attempts: 1
%s
serve:
  socket: %s
  tcp: 127.0.0.1:0
  tokens:
    ci-a: {file: %s}
    ci-b: {file: %s}
%s`, e.gcp.Addr, auth, sock, writeFile(t, dir, "a.token", e.tokA), writeFile(t, dir, "b.token", e.tokB), callers))
	e.srv = serve(t, agent, sock)
	if m := listening.FindStringSubmatch(e.srv.waitLog("network=tcp")); m != nil {
		e.srv.tcp = m[1]
	}
	return e
}

type watchReply struct {
	status  int
	Changed bool   `json:"changed"`
	Token   string `json:"token"`
	body    string
	took    time.Duration
}

// watch long-polls /v1/watch over TCP with tok.
func (e *gcpWatchEnv) watch(t *testing.T, tok, doc, since string, wait time.Duration) watchReply {
	t.Helper()
	q := url.Values{"name": {"wf.yaml"}, "since": {since}, "interval": {"1s"}, "wait": {wait.String()}}
	start := time.Now()
	a := get(t, e.client, "POST", "http://"+e.srv.tcp+"/v1/watch?"+q.Encode(), doc, "X-Latchkey-Token", tok)
	r := watchReply{status: a.status, body: a.body, took: time.Since(start)}
	if a.status == 200 {
		if err := json.Unmarshal([]byte(a.body), &r); err != nil {
			t.Fatalf("watch answer: %v: %s", err, a.body)
		}
	}
	return r
}

func (e *gcpWatchEnv) accesses(id string) int {
	n := 0
	for _, r := range e.gcp.Requests() {
		if strings.Contains(r, "/secrets/"+id+"/") {
			n++
		}
	}
	return n
}

// TestServeWatchProbesDoNotDegradeReads: a watch on three GCP secrets
// whose version probes all fail (the method unimplemented, as in an
// emulator; or permission denied on versions.get, as for a role with
// secretAccessor only) while another caller (another token, the same
// store and so the same breaker) reads an uncached secret every 200 ms.
// Every read succeeds; each check probes each secret once and fetches it
// once (before, twice each, and the fifth failed probe opened the breaker
// for 30 s).
func TestServeWatchProbesDoNotDegradeReads(t *testing.T) {
	sa := gcptest.NewServiceAccount(t, "accessor@demo-project.iam.gserviceaccount.com", "demo-project")
	tests := []struct {
		name    string
		opts    gcptest.Options
		viewers []string
		auth    string
		prep    func(*gcptest.Server)
	}{
		{"GetSecretVersion unimplemented", gcptest.Options{}, nil, "", func(s *gcptest.Server) { s.FailMethod("GetSecretVersion", codes.Unimplemented) }},
		{"no permission versions.get", gcptest.Options{Accounts: []*gcptest.ServiceAccount{sa}},
			[]string{"someone-else@demo-project.iam.gserviceaccount.com"}, // secretAccessor only
			fmt.Sprintf("    auth_method: service_account_key\n    credentials_file: %q", sa.KeyFile), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := startGCPWatch(t, tc.opts, tc.viewers, tc.auth, "")
			if tc.prep != nil {
				tc.prep(e.gcp)
			}
			doc := "name: w\nfields:\n  a: secret://gcp/db1\n  b: secret://gcp/db2\n  c: secret://gcp/db3\n"
			first := e.watch(t, e.tokA, doc, "", 2*time.Second)
			if first.status != 200 || !first.Changed {
				t.Fatalf("first watch: %d %s", first.status, first.body)
			}
			done := make(chan struct{})
			var mu sync.Mutex
			var failed []string
			reads := 0
			go func() {
				defer close(done)
				for i := 0; i < 20; i++ {
					a := get(t, e.client, "GET", "http://"+e.srv.tcp+"/v1/secret?refresh=true&ref="+url.QueryEscape("secret://gcp/other"), "", "X-Latchkey-Token", e.tokB)
					mu.Lock()
					reads++
					if a.status != 200 || !strings.Contains(a.body, otherValue) {
						failed = append(failed, fmt.Sprintf("%d %s", a.status, a.body))
					}
					mu.Unlock()
					time.Sleep(200 * time.Millisecond)
				}
			}()
			probes0, fetches0 := e.gcp.Count("GetSecretVersion"), e.accesses("db1")
			r := e.watch(t, e.tokA, doc, first.Token, 4*time.Second)
			<-done
			if r.status != 200 || r.Changed {
				t.Fatalf("unchanged watch: %d %s", r.status, r.body)
			}
			mu.Lock()
			if len(failed) > 0 {
				t.Errorf("%d of %d reads by another caller failed while the watch ran; first: %s", len(failed), reads, failed[0])
			}
			mu.Unlock()
			probes, fetches := e.gcp.Count("GetSecretVersion")-probes0, e.accesses("db1")-fetches0
			t.Logf("checks (fetches of db1): %d, GetSecretVersion calls: %d", fetches, probes)
			if fetches < 2 || probes != 3*fetches {
				t.Errorf("%d GetSecretVersion calls for %d checks; want one probe per secret per check (3 per check)", probes, fetches)
			}
			for _, id := range []string{"db2", "db3"} {
				if n := e.accesses(id) - 1; n != fetches {
					t.Errorf("secret %s fetched %d times in %d checks; want once per check", id, n, fetches)
				}
			}
			noLeak(t, "the agent's log", e.srv.stderr.String(), watchValue, otherValue)
		})
	}
}

// TestServeWatchAuthorization: a watch token is bound to its caller, and
// a workflow a caller may not read is refused whatever token it presents.
func TestServeWatchAuthorization(t *testing.T) {
	e := startGCPWatch(t, gcptest.Options{}, nil, "", `callers:
  a: {tokens: [ci-a], stores: {gcp: {allow: [db1, db2]}}}
  b: {tokens: [ci-b], stores: {gcp: {allow: [db2]}}}
`)
	mine := "name: w\nfields:\n  p: secret://gcp/db1\n"
	tA := e.watch(t, e.tokA, mine, "", time.Second)
	if tA.status != 200 || !tA.Changed || !strings.Contains(tA.body, watchValue) {
		t.Fatalf("caller a, its own secret: %d %s", tA.status, tA.body)
	}

	t.Run("refused whatever the token, at once, at no cost", func(t *testing.T) {
		before := e.accesses("db1") + e.gcp.Count("GetSecretVersion")
		for _, since := range []string{"", tA.Token, "00" + tA.Token[2:]} {
			r := e.watch(t, e.tokB, mine, since, 6*time.Second)
			if r.status != 403 || strings.Contains(r.body, watchValue) {
				t.Errorf("caller b watching a's secret with since=%.8q: %d %s", since, r.status, r.body)
			}
			if r.took > 900*time.Millisecond {
				t.Errorf("the refusal took %s; want it before the first interval", r.took)
			}
		}
		if n := e.accesses("db1") + e.gcp.Count("GetSecretVersion") - before; n != 0 {
			t.Errorf("refused watches cost the backend %d calls", n)
		}
	})

	t.Run("a token is no oracle for another caller", func(t *testing.T) {
		// b writes the value it guesses for a's secret as a literal: were
		// tokens a function of the values alone, a's token would stand for
		// b's workflow exactly when the guess is right.
		for _, guess := range []string{watchValue, "wrong-guess"} {
			doc := "name: w\nfields:\n  p: literal:" + guess + "\n"
			r := e.watch(t, e.tokB, doc, tA.Token, 3*time.Second)
			if r.status != 200 || !r.Changed || r.Token == tA.Token {
				t.Errorf("guess %q with a's token: %d changed=%v same token=%v; want a new token at once, right or wrong", guess, r.status, r.Changed, r.Token == tA.Token)
			}
		}
		shared := "name: w\nfields:\n  p: secret://gcp/db2\n"
		a2 := e.watch(t, e.tokA, shared, "", time.Second)
		b2 := e.watch(t, e.tokB, shared, a2.Token, 3*time.Second)
		if !b2.Changed || b2.Token == a2.Token {
			t.Errorf("b presenting a's token for a secret both read: changed=%v, same token=%v; want b's own token", b2.Changed, b2.Token == a2.Token)
		}
		if own := e.watch(t, e.tokA, shared, a2.Token, 2*time.Second); own.status != 200 || own.Changed {
			t.Errorf("a with its own token, nothing changed: %d %s", own.status, own.body)
		}
	})
}
