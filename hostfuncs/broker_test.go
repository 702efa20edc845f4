package hostfuncs

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/latchkey/latchkey/secret"

	"github.com/latchkey/latchkey/internal/egress"
)

// rotatingSource is a Source whose value the test sets; Rejected moves
// it to the next value, as a re-login would.
type rotatingSource struct {
	mu       sync.Mutex
	values   []string
	i        int
	rejected atomic.Int32
	err      error
}

func (s *rotatingSource) Value(context.Context) (secret.Value, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return secret.Value{}, s.err
	}
	return secret.StringValue(s.values[s.i]), nil
}

func (s *rotatingSource) Rejected(v secret.Value) bool {
	s.rejected.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.i+1 < len(s.values) && v.RevealString() == s.values[s.i] {
		s.i++
	}
	return true
}

// headerSigner writes Authorization and a session token, as SigV4 does.
type headerSigner struct{ calls atomic.Int32 }

const plantedSession = "session-Pl4nted-token-0001"

func (s *headerSigner) Sign(_ context.Context, req *http.Request, body []byte) ([]secret.Value, error) {
	s.calls.Add(1)
	req.Header.Set("Authorization", "Signed len="+string(rune('0'+len(body)%10)))
	req.Header.Set("X-Amz-Security-Token", plantedSession)
	return []secret.Value{secret.StringValue(plantedSession)}, nil
}

// brokerServer answers 401 unless X-Token is the accepted value, and
// otherwise echoes X-Token, Authorization and X-Amz-Security-Token.
func brokerServer(t *testing.T, accept *atomic.Value, hits *atomic.Int32) (*httptest.Server, string) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		io.Copy(io.Discard, r.Body)
		if want, _ := accept.Load().(string); want != "" && r.Header.Get("X-Token") != want {
			http.Error(w, "rejected "+r.Header.Get("X-Token"), http.StatusUnauthorized)
			return
		}
		io.WriteString(w, r.Header.Get("X-Token")+"|"+r.Header.Get("Authorization")+"|"+r.Header.Get("X-Amz-Security-Token"))
	}))
	t.Cleanup(srv.Close)
	return srv, strings.TrimPrefix(srv.URL, "http://")
}

func brokerClient(t *testing.T, creds []Credential, hosts ...string) *egress.Client {
	t.Helper()
	c, err := NewCredentials(creds)
	if err != nil {
		t.Fatal(err)
	}
	opts := HTTPOptions{AllowedHosts: hosts, AllowHTTP: hosts, AllowPrivateNetworks: true}
	c.Install(&opts)
	cl, err := egress.NewClient(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// TestBrokeredSource: a source's value is substituted on bound hosts and
// redacted from answers; after it rotates, an echo of the old value is
// still redacted; a 401 makes exactly one retry with the new value; a
// server that keeps refusing gets two attempts, not more, both counted.
func TestBrokeredSource(t *testing.T) {
	var accept atomic.Value
	var hits atomic.Int32
	srv, host := brokerServer(t, &accept, &hits)
	src := &rotatingSource{values: []string{"first-Pl4nted-value", "second-Pl4nted-value", "third-Pl4nted-value"}}
	cl := brokerClient(t, []Credential{{Name: "tok", Source: src, Hosts: []string{"http://" + host}}}, host)
	do := func(header string) (*egress.Response, int32, *Call) {
		c := &Call{Module: "m", HTTP: cl}
		r, st := doOn(cl, context.Background(), c, "GET", srv.URL+"/x", header, nil)
		return r, st, c
	}
	r, st, _ := do("X-Token: {{latchkey.credential:tok}}")
	if st != 200 || string(r.Body) != "[REDACTED:tok]||" {
		t.Fatalf("status %d body %q", st, r.Body)
	}
	accept.Store("second-Pl4nted-value")
	hits.Store(0)
	_, st, c := do("X-Token: {{latchkey.credential:tok}}")
	// do's caller counts the first hop; do counts the retry.
	if st != 200 || hits.Load() != 2 || src.rejected.Load() != 1 || c.requests != 1 {
		t.Fatalf("after a rejection: status %d, %d hits, %d rejections, %d retries counted; want 200, 2, 1, 1", st, hits.Load(), src.rejected.Load(), c.requests)
	}
	// The old value, echoed now by a guest that wrote it literally (it
	// cannot know it; a server could echo it), is still redacted.
	accept.Store("")
	r, _, _ = do("X-Token: first-Pl4nted-value")
	if strings.Contains(string(r.Body), "first-Pl4nted") {
		t.Errorf("an earlier value came back unredacted: %q", r.Body)
	}
	accept.Store("never-accepted-value")
	hits.Store(0)
	_, st, c = do("X-Token: {{latchkey.credential:tok}}")
	if st != 401 || hits.Load() != 2 || c.requests != 1 {
		t.Errorf("a server refusing every value: status %d after %d hits (%d retries counted), want 401 after 2", st, hits.Load(), c.requests)
	}
	// A source that fails refuses the hop, naming the credential.
	src.mu.Lock()
	src.err = errors.New(`store "s": credential "tok": login refused: 400`)
	src.mu.Unlock()
	_, st, c = do("X-Token: {{latchkey.credential:tok}}")
	if st != StatusCredential || !strings.Contains(c.Refusal(), `credential "tok"`) || !strings.Contains(c.Refusal(), "login refused") {
		t.Errorf("a failing source: status %d, refusal %q", st, c.Refusal())
	}
}

// TestBrokeredSigner: a signer signs requests to its bound hosts only,
// after the guest's own authorization headers are dropped; the session
// token it sends is redacted from answers; a placeholder naming it is
// refused.
func TestBrokeredSigner(t *testing.T) {
	var accept atomic.Value
	var hits atomic.Int32
	bound, bhost := brokerServer(t, &accept, &hits)
	other, ohost := brokerServer(t, &accept, &hits)
	sg := &headerSigner{}
	cl := brokerClient(t, []Credential{{Name: "aws", Signer: sg, Hosts: []string{"http://" + bhost}}}, bhost, ohost)
	c := &Call{Module: "m", HTTP: cl}
	r, st := doOn(cl, context.Background(), c, "POST", bound.URL+"/", "Authorization: guest-chosen\nX-Amz-Security-Token: guest-token-value", []byte("abc"))
	if st != 200 || string(r.Body) != "|Signed len=3|[REDACTED:aws]" || sg.calls.Load() != 1 {
		t.Fatalf("bound: status %d body %q, %d signatures", st, r.Body, sg.calls.Load())
	}
	r, st = doOn(cl, context.Background(), &Call{Module: "m", HTTP: cl}, "GET", other.URL+"/", "Authorization: guest-chosen", nil)
	if st != 200 || string(r.Body) != "|guest-chosen|" || sg.calls.Load() != 1 {
		t.Fatalf("unbound: status %d body %q, %d signatures", st, r.Body, sg.calls.Load())
	}
	c = &Call{Module: "m", HTTP: cl}
	if _, st = doOn(cl, context.Background(), c, "GET", bound.URL+"/", "X-Token: {{latchkey.credential:aws}}", nil); st != StatusCredential ||
		!strings.Contains(c.Refusal(), "not sent through a placeholder") {
		t.Errorf("a placeholder naming a signer: status %d, refusal %q", st, c.Refusal())
	}
}

// TestBrokeredConfig: a credential with two kinds, an encoding without a
// source, or an unknown encoding is refused.
func TestBrokeredConfig(t *testing.T) {
	src := &rotatingSource{values: []string{"a-value-of-length"}}
	tests := []struct {
		name string
		cred Credential
		want string
	}{
		{"value and source", Credential{Name: "x", Value: secret.StringValue("long-enough-value"), Source: src, Hosts: []string{"a.example"}}, "exactly one of"},
		{"source and signer", Credential{Name: "x", Source: src, Signer: &headerSigner{}, Hosts: []string{"a.example"}}, "exactly one of"},
		{"encoding without source", Credential{Name: "x", Value: secret.StringValue("long-enough-value"), Encoding: "base64", Hosts: []string{"a.example"}}, "only for a credential with a source"},
		{"unknown encoding", Credential{Name: "x", Source: src, Encoding: "hex", Hosts: []string{"a.example"}}, `encoding "hex"`},
		{"source unbound", Credential{Name: "x", Source: src}, "bound to no host"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewCredentials([]Credential{tc.cred})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}
