package protect

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/latchkey/latchkey/secret"
)

// attemptStore fails its first fails Gets as unavailable, and says, in
// every Result, one upstream call, one outbound request naming the
// attempt, and the attempt as version.
type attemptStore struct {
	fails int
	n     int
}

func (s *attemptStore) Get(context.Context, secret.Request) (secret.Result, error) {
	s.n++
	r := secret.Result{FetchInfo: secret.FetchInfo{Upstream: 1, Outbound: []secret.Outbound{{Method: "GET", Path: fmt.Sprintf("/attempt/%d", s.n)}}}}
	if s.n <= s.fails {
		return r, fmt.Errorf("attempt %d: %w", s.n, secret.ErrUnavailable)
	}
	r.SetVersion(fmt.Sprintf("v%d", s.n))
	r.Value = secret.StringValue(planted)
	return r, nil
}

func (*attemptStore) Close() error { return nil }

// TestResultCountsEveryAttempt: a retried fetch reports the upstream calls
// and outbound requests of all its attempts, and the last attempt's value
// and version; a fetch whose every attempt failed reports them beside its
// error.
func TestResultCountsEveryAttempt(t *testing.T) {
	tests := []struct {
		name    string
		fails   int
		wantErr bool
		version string
	}{
		{"first attempt answers", 0, false, "v1"},
		{"two retries", 2, false, "v3"},
		{"every attempt fails", 5, true, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := settings()
			s.Retry.Max = 2
			s.Breaker.Threshold = 0
			w, _ := wrap(t, &attemptStore{fails: tc.fails}, s, &recorder{}, &clock{t: time.Unix(0, 0)})
			r, err := w.Get(ctx(t, 10*time.Second), secret.Request{Name: "db"})
			attempts := min(tc.fails+1, s.Retry.Max+1)
			if (err != nil) != tc.wantErr || tc.wantErr && !errors.Is(err, secret.ErrUnavailable) {
				t.Fatalf("err = %v; want error %v", err, tc.wantErr)
			}
			if r.Upstream != attempts || len(r.Outbound) != attempts || r.Outbound[attempts-1].Path != fmt.Sprintf("/attempt/%d", attempts) {
				t.Errorf("upstream %d, outbound %+v; want %d attempts, in order", r.Upstream, r.Outbound, attempts)
			}
			if r.Version() != tc.version || (r.Value.RevealString() == planted) == tc.wantErr {
				t.Errorf("version %q, %d bytes; want %q and a value only on success", r.Version(), r.Value.Len(), tc.version)
			}
		})
	}
}
