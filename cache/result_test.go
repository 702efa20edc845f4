package cache

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/latchkey/latchkey/secret"
)

// TestFailedFetchResult: a fetch the store fails still reports, beside the
// error, how the cache answered and the upstream calls the store made, and
// holds no value; a not-found answered from the negative cache reports no
// upstream call.
func TestFailedFetchResult(t *testing.T) {
	base := newCounting("db", "one")
	c := newCache(t, noting{versioned{base}, 3}, newClock(), Options{TTL: time.Minute, NegativeTTL: time.Minute})
	base.setFail(errors.Join(errors.New("down"), secret.ErrUnavailable))
	r, err := c.Get(context.Background(), secret.Request{Name: "db"})
	if !errors.Is(err, secret.ErrUnavailable) || r.Upstream != 3 || r.Cache != secret.CacheMiss || r.Value.Len() != 0 {
		t.Fatalf("failed fetch: %v, upstream %d, cache %q, %d bytes; want the error beside 3 calls, a miss and no value",
			err, r.Upstream, r.Cache, r.Value.Len())
	}
	base.setFail(nil)
	if r, err := c.Get(context.Background(), secret.Request{Name: "gone"}); !errors.Is(err, secret.ErrNotFound) || r.Upstream != 3 || r.Cache != secret.CacheMiss {
		t.Fatalf("not found: %v, upstream %d, cache %q", err, r.Upstream, r.Cache)
	}
	if r, err := c.Get(context.Background(), secret.Request{Name: "gone"}); !errors.Is(err, secret.ErrNotFound) || r.Upstream != 0 || r.Cache != secret.CacheNegative {
		t.Fatalf("remembered not found: %v, upstream %d, cache %q; want no call and %q", err, r.Upstream, r.Cache, secret.CacheNegative)
	}
}
