package azure_test

import (
	"testing"
	"time"

	"github.com/latchkey/latchkey/cache"
	"github.com/latchkey/latchkey/providers/azure/azuretest"
	"github.com/latchkey/latchkey/secret"
)

func TestSecretKey(t *testing.T) {
	srv := azuretest.Start(t)
	st := newStore(t, spOptions(srv))
	host := "https://" + srv.VaultName + "." + srv.VaultDomain
	other := "https://othervault." + srv.VaultDomain
	const ver = "0123456789abcdef0123456789abcdef"
	tests := []struct {
		name string
		a, b secret.Request
		same bool
	}{
		{"name and URL", secret.Request{Name: "plain"}, secret.Request{Name: host + "/secrets/plain"}, true},
		{"trailing slash", secret.Request{Name: "plain"}, secret.Request{Name: host + "/secrets/plain/"}, true},
		{"name case", secret.Request{Name: "plain"}, secret.Request{Name: "PLAIN"}, true},
		{"host case", secret.Request{Name: "plain"}, secret.Request{Name: "HTTPS://" + srv.VaultName + "." + srv.VaultDomain + "/secrets/plain"}, true},
		{"version in the URL or the request", secret.Request{Name: host + "/secrets/plain/" + ver}, secret.Request{Name: "plain", Version: ver}, true},
		{"a version is not the current one", secret.Request{Name: "plain", Version: ver}, secret.Request{Name: "plain"}, false},
		{"another vault", secret.Request{Name: other + "/secrets/plain"}, secret.Request{Name: "plain"}, false},
		{"invalid names key apart", secret.Request{Name: "a_b"}, secret.Request{Name: "a_b", Version: "x"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ka, kb := st.Describe().Key(tc.a), st.Describe().Key(tc.b)
			if (ka == kb) != tc.same {
				t.Fatalf("keys %q and %q: same = %v, want %v", ka, kb, ka == kb, tc.same)
			}
		})
	}
}

// TestCachedSpellings: a name and its URL through the cache in front of
// the real store and its loopback vault are one GET.
func TestCachedSpellings(t *testing.T) {
	srv := azuretest.Start(t)
	fill(srv)
	c := cache.New(newStore(t, spOptions(srv)), cache.Options{Name: "kv", TTL: time.Minute})
	t.Cleanup(func() { _ = c.Close() })
	host := "https://" + srv.VaultName + "." + srv.VaultDomain
	before := srv.Stats()
	for _, req := range []secret.Request{{Name: "plain"}, {Name: host + "/secrets/plain"}, {Name: host + "/secrets/plain/"}} {
		v, err := c.Get(ctx(t), req)
		if err != nil || v.Value.RevealString() != plainValue {
			t.Fatalf("Get(%+v): %v", req, err)
		}
	}
	after := srv.Stats()
	t.Logf("vault stats before %+v after %+v", before, after)
	if n := after.SecretGets - before.SecretGets; n != 1 {
		t.Fatalf("three spellings made %d secret GETs, want 1", n)
	}
}
