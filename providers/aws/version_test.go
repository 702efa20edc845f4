package aws

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/providers/aws/awstest"
	"github.com/latchkey/latchkey/secret"
)

func TestCurrentVersion(t *testing.T) {
	e := start(t)
	st := build(t, e.settings())
	first := e.srv.PutString("rotating", "v1-planted-0001")

	gotInfo, err := st.CurrentVersion(ctx(t), secret.Request{Name: "rotating"})
	got := gotInfo.Version()
	if err != nil || got != first {
		t.Fatalf("CurrentVersion = %q, %v; want %q", got, err, first)
	}
	if n := e.srv.Count("GetSecretValue"); n != 0 {
		t.Errorf("a version probe made %d GetSecretValue calls; want 0 (metadata only)", n)
	}
	second := e.srv.PutString("rotating", "v2-planted-0002")
	tests := []struct {
		name    string
		req     secret.Request
		want    string
		calls   int // DescribeSecret calls this probe makes
		wantErr error
	}{
		{name: "current after rotation", req: secret.Request{Name: "rotating"}, want: second, calls: 1},
		{name: "AWSCURRENT spelled out", req: secret.Request{Name: "rotating", Version: "AWSCURRENT"}, want: second, calls: 1},
		{name: "previous stage", req: secret.Request{Name: "rotating", Version: "AWSPREVIOUS"}, want: first, calls: 1},
		{name: "by ARN", req: secret.Request{Name: e.srv.ARN("rotating")}, want: second, calls: 1},
		{name: "pinned version ID costs nothing", req: secret.Request{Name: "rotating", Version: first}, want: first, calls: 0},
		{name: "missing stage", req: secret.Request{Name: "rotating", Version: "AWSPENDING"}, calls: 1, wantErr: secret.ErrNotFound},
		{name: "missing secret", req: secret.Request{Name: "nope"}, calls: 1, wantErr: secret.ErrNotFound},
		{name: "bad name", req: secret.Request{Name: "bad name!"}, calls: 0, wantErr: secret.ErrInvalidConfig},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := e.srv.Count("DescribeSecret")
			gotInfo, err := st.CurrentVersion(ctx(t), tc.req)
			got := gotInfo.Version()
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v; want %v", err, tc.wantErr)
				}
			} else if err != nil || got != tc.want {
				t.Fatalf("CurrentVersion = %q, %v; want %q", got, err, tc.want)
			}
			if n := e.srv.Count("DescribeSecret") - before; n != tc.calls {
				t.Errorf("%d DescribeSecret calls; want %d", n, tc.calls)
			}
		})
	}
	if n := e.srv.Count("GetSecretValue"); n != 0 {
		t.Errorf("version probes made %d GetSecretValue calls; want 0", n)
	}
}

func TestCurrentVersionDenied(t *testing.T) {
	e := start(t)
	st := build(t, e.settings())
	e.srv.Deny(e.srv.UserARN("alice"), "plain")
	_, err := st.CurrentVersion(ctx(t), secret.Request{Name: "plain"})
	if !errors.Is(err, secret.ErrPermissionDenied) {
		t.Fatalf("err = %v; want permission denied", err)
	}
	mustContain(t, err, "DescribeSecret", "plain")
}

// TestResultCountsAttempts: a fetch's and a probe's results count the
// SDK's attempts, retries included, also beside an error.
func TestResultCountsAttempts(t *testing.T) {
	e := start(t)
	st := build(t, e.settings("max_attempts", 3))
	e.srv.FailNext("plain", 1, awstest.InternalServiceError)
	note, err := st.Get(ctx(t), secret.Request{Name: "plain"})
	if err != nil {
		t.Fatal(err)
	}
	if note.Upstream != 2 {
		t.Errorf("note counts %d upstream calls; want 2 (one failure, one retry)", note.Upstream)
	}
	if note.Version() == "" {
		t.Error("note has no version")
	}
	probe, err := st.CurrentVersion(ctx(t), secret.Request{Name: "plain"})
	if err != nil || probe.Upstream != 1 || probe.Version() != note.Version() {
		t.Errorf("probe: version %q err %v, upstream %d; want 1 call and the version %q", probe.Version(), err, probe.Upstream, note.Version())
	}
	// A fetch that fails still says how many calls it made.
	e.srv.FailNext("plain", 3, awstest.InternalServiceError)
	failed, err := st.Get(ctx(t), secret.Request{Name: "plain"})
	if err == nil || failed.Upstream != 3 || failed.Value.Len() != 0 {
		t.Errorf("failed fetch: %v, %d upstream calls, %d bytes; want an error beside 3 calls and no value", err, failed.Upstream, failed.Value.Len())
	}
}

func TestDeadlineSaysWhichTimeout(t *testing.T) {
	e := start(t)
	st := build(t, e.settings())
	c, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := st.Get(c, secret.Request{Name: "slow"})
	var se *secret.StoreError
	if !errors.As(err, &se) || se.Kind != nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v; want a StoreError with no kind wrapping the deadline", err)
	}
	for _, want := range []string{`aws store "sm": secret "slow"`, "resolution's deadline passed", "agent config's timeout", "Secrets Manager"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q: %v", want, err)
		}
	}
	if strings.Contains(err.Error(), "operation error") || strings.Contains(err.Error(), "StatusCode") {
		t.Errorf("raw SDK text in the error: %v", err)
	}
}
