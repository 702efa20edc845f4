package gcp_test

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/latchkey/latchkey/protect"
	"github.com/latchkey/latchkey/providers/gcp"
	"github.com/latchkey/latchkey/providers/gcp/gcptest"
	"github.com/latchkey/latchkey/secret"
)

// TestProtectionDefaults: the protection this type registers is valid and
// stays under Secret Manager's published limits (docs/upstream.md),
// counting a full bucket plus a minute's refill: 90,000 accesses per
// minute per project, and 600 "read requests" (GetSecretVersion, the
// version probe) per minute. It adds no retries to the client's own.
func TestProtectionDefaults(t *testing.T) {
	d := protect.Defaults("gcp")
	if err := d.Validate("s"); err != nil {
		t.Fatal(err)
	}
	if d.Disabled {
		t.Error("protection is off by default")
	}
	if most := float64(d.Burst) + d.Rate*60; most > 90000 {
		t.Errorf("up to %g accesses in 60s exceed the service's 90,000", most)
	}
	if most := float64(d.ProbeBurst) + d.ProbeRate*60; most > 600 {
		t.Errorf("up to %g probes in 60s exceed the service's 600", most)
	}
	if d.Retry.Max != 0 {
		t.Error("gcp retries in its client; protection's retries would multiply them")
	}
}

// TestProtectionProbeRateStaysItsOwn: a store that sets its fetch rate
// keeps the type's own, lower, probe rate.
func TestProtectionProbeRateStaysItsOwn(t *testing.T) {
	s, err := protect.Parse("s", "gcp", map[string]any{"rate": 50})
	if err != nil {
		t.Fatal(err)
	}
	if s.Rate != 50 || s.ProbeRate != 5 {
		t.Errorf("rate %g probe %g", s.Rate, s.ProbeRate)
	}
}

const protectPlanted = "protect-planted-value-4471"

// protectedStore starts a loopback Secret Manager holding "db" and returns
// it with a real gcp store on it, whose client makes one attempt per call
// so that every retry counted is protection's, behind s.
func protectedStore(t *testing.T, s protect.Settings) (*gcptest.Server, secret.Store) {
	t.Helper()
	srv := gcptest.Start(t, gcptest.Options{Secrets: []gcptest.Secret{
		{Project: "demo-project", ID: "db", Versions: []gcptest.Version{{Data: []byte(protectPlanted)}}}}})
	st, err := gcp.New(context.Background(), "gsm", gcp.Config{Endpoint: srv.Addr, Insecure: true, Project: "demo-project", MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	w := protect.Wrap("gsm", st, s, nil)
	t.Cleanup(func() { _ = w.Close() })
	return srv, w
}

func protectCtx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

// TestProtectRetriesResourceExhausted: GCP's quota answer reaches
// protection as unavailable, and is retried.
func TestProtectRetriesResourceExhausted(t *testing.T) {
	s := protect.Defaults("gcp")
	s.Retry = protect.Retry{Max: 3, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond}
	srv, w := protectedStore(t, s)
	srv.FailNext(codes.ResourceExhausted, 1)
	if v, err := w.Get(protectCtx(t), secret.Request{Name: "db"}); err != nil || v.Value.RevealString() != protectPlanted {
		t.Fatalf("Get after RESOURCE_EXHAUSTED: %v", err)
	}
	if n := srv.Count("AccessSecretVersion"); n != 2 {
		t.Errorf("%d calls; want 2 (one refused, one served)", n)
	}
}

// TestProtectProbeFailuresDoNotOpenTheBreaker: a gcp store that cannot
// answer version probes (an emulator without GetSecretVersion, a role
// without secretmanager.versions.get, the method unavailable) fails every
// probe, many times over the breaker's threshold; fetches of the same
// store keep being served, and a probe is tried once (no retry).
func TestProtectProbeFailuresDoNotOpenTheBreaker(t *testing.T) {
	for _, code := range []codes.Code{codes.Unimplemented, codes.PermissionDenied, codes.Unavailable} {
		t.Run(code.String(), func(t *testing.T) {
			s := protect.Defaults("gcp")
			s.Retry = protect.Retry{Max: 3, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond}
			s.ProbeRate, s.ProbeBurst = 1000, 100
			srv, w := protectedStore(t, s)
			srv.FailMethod("GetSecretVersion", code)
			for i := range 3 * s.Breaker.Threshold {
				if _, err := w.(secret.Versioner).CurrentVersion(protectCtx(t), secret.Request{Name: "db"}); err == nil {
					t.Fatalf("probe %d succeeded against a server that refuses it", i)
				}
			}
			if n := srv.Count("GetSecretVersion"); n != 3*s.Breaker.Threshold {
				t.Errorf("%d GetSecretVersion calls; want %d (one per probe, no retries)", n, 3*s.Breaker.Threshold)
			}
			v, err := w.Get(protectCtx(t), secret.Request{Name: "db"})
			if err != nil || v.Value.RevealString() != protectPlanted {
				t.Fatalf("a fetch after %d failed probes: %v; want the value (probes must not open the breaker)", 3*s.Breaker.Threshold, err)
			}
		})
	}
}
