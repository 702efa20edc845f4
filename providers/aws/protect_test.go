package aws

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/protect"
	"github.com/latchkey/latchkey/providers/aws/awstest"
	"github.com/latchkey/latchkey/secret"
)

// TestProtectionDefaults: the protection this type registers is valid,
// stays under Secrets Manager's published limit (10,000 GetSecretValue and
// DescribeSecret calls per second per account and region, docs/upstream.md)
// counting a full bucket plus a second's refill, for fetches and probes
// alike, and adds no retries to the SDK's own.
func TestProtectionDefaults(t *testing.T) {
	d := protect.Defaults(Type)
	if err := d.Validate("s"); err != nil {
		t.Fatal(err)
	}
	if d.Disabled {
		t.Error("protection is off by default")
	}
	if most := float64(d.Burst) + d.Rate*1; most > 10000 {
		t.Errorf("up to %g fetches in 1s exceed the service's 10,000", most)
	}
	if most := float64(d.ProbeBurst) + d.ProbeRate*1; most > 10000 {
		t.Errorf("up to %g probes in 1s exceed the service's 10,000", most)
	}
	if d.Retry.Max != 0 {
		t.Error("aws retries in its SDK; protection's retries would multiply them")
	}
}

// protectedStore starts a loopback Secrets Manager holding "db" and
// returns it with a real aws store on it behind protection (quick
// back-off, a breaker after 3 failures), whose SDK makes one attempt per
// call so that every retry counted is protection's.
func protectedStore(t *testing.T) (*awstest.Server, secret.Store) {
	t.Helper()
	srv := awstest.Start(t)
	srv.Isolate(t)
	c := srv.AddUser("alice")
	srv.PutString("db", protectPlanted)
	st, err := New(context.Background(), "sm", Options{
		Region: srv.Region, Endpoint: srv.URL, AuthMethod: AuthAccessKeys,
		AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, MaxAttempts: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	s := protect.Defaults(Type)
	s.Retry = protect.Retry{Max: 3, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond}
	s.Breaker = protect.Breaker{Threshold: 3, CoolOff: time.Hour}
	w := protect.Wrap("sm", st, s, nil)
	t.Cleanup(func() { _ = w.Close() })
	return srv, w
}

const protectPlanted = "protect-planted-value-4471"

// TestProtectRetries: through protection, the aws store's answers are
// told apart as protection needs — ThrottlingException and
// InternalServiceError are retried (unavailable), a missing secret is not —
// and the breaker's error names AWS's failure, never the value.
func TestProtectRetries(t *testing.T) {
	t.Run("ThrottlingException", func(t *testing.T) {
		srv, w := protectedStore(t)
		srv.FailNext("db", 2, awstest.ThrottlingException)
		if v, err := w.Get(ctx(t), secret.Request{Name: "db"}); err != nil || v.Value.RevealString() != protectPlanted {
			t.Fatalf("Get after throttling: %v", err)
		}
		if n := srv.Count("GetSecretValue"); n != 3 {
			t.Errorf("%d calls; want 3 (two throttled, one served)", n)
		}
	})
	t.Run("not found is not retried", func(t *testing.T) {
		srv, w := protectedStore(t)
		if _, err := w.Get(ctx(t), secret.Request{Name: "missing"}); !errors.Is(err, secret.ErrNotFound) {
			t.Fatalf("err = %v; want not found", err)
		}
		if n := srv.Count("GetSecretValue"); n != 1 {
			t.Errorf("%d calls; want 1, no retry", n)
		}
	})
	t.Run("InternalServiceError opens the breaker", func(t *testing.T) {
		srv, w := protectedStore(t)
		srv.FailNext("db", 12, awstest.InternalServiceError)
		for i := range 3 {
			if _, err := w.Get(ctx(t), secret.Request{Name: "db"}); !errors.Is(err, secret.ErrUnavailable) {
				t.Fatalf("call %d: err = %v; want unavailable", i, err)
			}
		}
		before := srv.Count("GetSecretValue")
		_, err := w.Get(ctx(t), secret.Request{Name: "db"})
		var oe *protect.OpenError
		if !errors.As(err, &oe) || !strings.Contains(err.Error(), "InternalServiceError") || strings.Contains(err.Error(), protectPlanted) {
			t.Fatalf("err = %v; want the breaker's OpenError naming AWS's failure", err)
		}
		if n := srv.Count("GetSecretValue") - before; n != 0 {
			t.Errorf("%d calls reached the server with the breaker open", n)
		}
	})
}

// TestProtectProbes: the aws store's version probe (DescribeSecret) stays a
// version probe behind protection, on its own bucket.
func TestProtectProbes(t *testing.T) {
	srv, w := protectedStore(t)
	v, ok := w.(secret.Versioner)
	if !ok {
		t.Fatal("the protected aws store is no longer a Versioner")
	}
	if _, err := v.CurrentVersion(ctx(t), secret.Request{Name: "db"}); err != nil {
		t.Fatal(err)
	}
	if n := srv.Count("DescribeSecret"); n != 1 {
		t.Errorf("%d DescribeSecret calls; want 1", n)
	}
}
