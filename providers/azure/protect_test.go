package azure_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/latchkey/latchkey/protect"
	"github.com/latchkey/latchkey/providers/azure"
	"github.com/latchkey/latchkey/providers/azure/azuretest"
	"github.com/latchkey/latchkey/secret"
)

// TestProtectionDefaults: the protection this type registers is valid,
// stays under Key Vault's published limit (4,000 secret transactions per
// 10 s per vault, docs/upstream.md) counting a full bucket plus the
// window's refill, for fetches and probes alike, and adds no retries to
// the SDK's own.
func TestProtectionDefaults(t *testing.T) {
	d := protect.Defaults("azure")
	if err := d.Validate("s"); err != nil {
		t.Fatal(err)
	}
	if d.Disabled {
		t.Error("protection is off by default")
	}
	if most := float64(d.Burst) + d.Rate*10; most > 4000 {
		t.Errorf("up to %g fetches in 10s exceed the service's 4,000", most)
	}
	if most := float64(d.ProbeBurst) + d.ProbeRate*10; most > 4000 {
		t.Errorf("up to %g probes in 10s exceed the service's 4,000", most)
	}
	if d.Retry.Max != 0 {
		t.Error("azure retries in its SDK; protection's retries would multiply them")
	}
}

// TestProtectHonoursRetryAfter: the vault's 429 reaches protection as an
// unavailable error carrying its Retry-After header, and protection's
// retries wait for it (up to retry.max_delay), with the SDK's own retries
// off so that every transaction counted is protection's.
func TestProtectHonoursRetryAfter(t *testing.T) {
	const planted = "protect-planted-value-4471"
	const maxDelay = 100 * time.Millisecond
	tests := []struct {
		name       string
		retryAfter string
		want       time.Duration // the throttled answer's RetryAfter
	}{
		{name: "with Retry-After", retryAfter: "3", want: 3 * time.Second},
		{name: "without Retry-After", retryAfter: "", want: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := azuretest.Start(t)
			srv.SetSecret("db", planted)
			st, err := azure.New("kv", azure.Options{
				VaultName: srv.VaultName, VaultDomain: srv.VaultDomain, AuthMethod: azure.ServicePrincipal,
				TenantID: srv.TenantID, ClientID: srv.ClientID, ClientSecretFile: srv.ClientSecretFile,
				AuthorityHost: srv.AuthorityHost, CAFile: srv.CAFile, Dial: srv.Dial,
				LookupEnv:  func(string) (string, bool) { return "", false },
				MaxRetries: -1, // the SDK's own retries off: protection's are counted
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = st.Close() })
			c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()

			// The store's own answer: unavailable, with the header's wait.
			srv.Throttle(1, tc.retryAfter)
			_, err = st.Get(c, secret.Request{Name: "db"})
			var se *secret.StoreError
			if !errors.Is(err, secret.ErrUnavailable) || !errors.As(err, &se) || se.RetryAfter() != tc.want {
				t.Fatalf("throttled Get: %v; want unavailable with a Retry-After of %s", err, tc.want)
			}

			s := protect.Defaults("azure")
			s.Retry = protect.Retry{Max: 3, BaseDelay: time.Millisecond, MaxDelay: maxDelay}
			w := protect.Wrap("kv", st, s, nil)
			before := srv.Stats().SecretGets
			srv.Throttle(2, tc.retryAfter)
			start := time.Now()
			v, err := w.Get(c, secret.Request{Name: "db"})
			took := time.Since(start)
			if err != nil || v.Value.RevealString() != planted {
				t.Fatalf("Get after throttling: %v", err)
			}
			if n := srv.Stats().SecretGets - before; n != 3 {
				t.Errorf("%d vault transactions; want 3 (two throttled, one served)", n)
			}
			// Full jitter from 1ms sleeps at most 1ms + 2ms over two
			// retries; honouring a Retry-After of 3s capped at max_delay
			// sleeps 2 × 100ms.
			if tc.want > 0 && took < 2*maxDelay {
				t.Errorf("two retries took %s; want at least %s (Retry-After, capped at retry.max_delay)", took, 2*maxDelay)
			}
		})
	}
}
