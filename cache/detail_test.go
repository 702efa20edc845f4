package cache

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/latchkey/latchkey/secret"
)

// detailing is a noting store that also says what it knows about the
// version it answered with, as the aws store does.
type detailing struct{ noting }

func (s detailing) Get(ctx context.Context, req secret.Request) (secret.Result, error) {
	r, err := s.noting.Get(ctx, req)
	if err == nil {
		s.mu.Lock()
		ver := s.versions[req.Name]
		s.mu.Unlock()
		r.Detail = &secret.VersionDetail{Name: "name-of-" + req.Name, Stages: []string{"stage-" + ver}, Stored: secret.StoredBinary}
	}
	return r, err
}

// TestVersionDetail: what the store said about a version comes back with
// every answer the cache gives from it: the miss, a hit, a renewal by
// version check, a stale answer; a new version brings its own.
func TestVersionDetail(t *testing.T) {
	base := newCounting("db", "one")
	clk := newClock()
	c := newCache(t, detailing{noting{versioned{base}, 0}}, clk, Options{TTL: time.Minute, MaxStale: time.Hour, RefreshAhead: -1})
	ask := func(what, stage string, status secret.CacheStatus) {
		t.Helper()
		note, err := c.Get(context.Background(), secret.Request{Name: "db"})
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		d := note.Detail
		if d == nil {
			t.Fatalf("%s: no detail", what)
		}
		if d.Name != "name-of-db" || !slices.Equal(d.Stages, []string{stage}) || d.Stored != secret.StoredBinary || note.Cache != status {
			t.Errorf("%s: detail %+v, cache %q; want the store's, stage %s, cache %q", what, d, note.Cache, stage, status)
		}
	}
	ask("miss", "stage-v1", secret.CacheMiss)
	ask("hit", "stage-v1", secret.CacheHit)
	clk.Add(2 * time.Minute)
	ask("renewed by an unchanged version", "stage-v1", secret.CacheMiss)
	if base.calls.Load() != 1 || base.vcalls.Load() != 1 {
		t.Fatalf("%d gets, %d version calls; want the renewal to fetch nothing", base.calls.Load(), base.vcalls.Load())
	}
	base.set("db", "two", "v2")
	clk.Add(2 * time.Minute)
	ask("a new version", "stage-v2", secret.CacheMiss)
	base.setFail(errors.Join(errors.New("down"), secret.ErrUnavailable))
	clk.Add(2 * time.Minute)
	ask("stale, when the store fails", "stage-v2", secret.CacheStale)
	ask("stale, during the error back-off", "stage-v2", secret.CacheStale)
	note, _ := c.Get(context.Background(), secret.Request{Name: "db"})
	if note.Version() != "v2" {
		t.Errorf("a stale answer's version is %q, want v2 (the entry's)", note.Version())
	}
}
