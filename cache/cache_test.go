package cache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/secret"
)

func TestHitsWithinTTL(t *testing.T) {
	up := newCounting("a", "1", "b", "2", "c", "3")
	clk := newClock()
	c := newCache(t, up, clk, Options{TTL: time.Minute, RefreshAhead: -1})
	for i := range 1000 {
		for _, n := range []string{"a", "b", "c"} {
			get(t, c, n)
		}
		if i%100 == 0 {
			clk.Add(time.Second) // 10 s in all, well inside the TTL
		}
	}
	if n := up.calls.Load(); n != 3 {
		t.Fatalf("3,000 gets of 3 secrets inside the TTL made %d upstream calls, want 3", n)
	}
	st := c.Stats()
	if st.Hits != 2997 || st.Misses != 3 || st.UpstreamCalls != 3 || st.Entries != 3 || st.Bytes != 9 { // 3 one-byte values, 3 two-byte keys
		t.Fatalf("stats %+v", st)
	}
	clk.Add(time.Minute)
	if got := get(t, c, "a"); got != "1" || up.calls.Load() != 4 {
		t.Fatalf("after the TTL: %q, %d calls; want a fetch", got, up.calls.Load())
	}
}

func TestSingleflight(t *testing.T) {
	up := newCounting("db", "s3cr3t")
	up.gate = make(chan struct{})
	c := newCache(t, up, newClock(), Options{})
	const n = 64
	var wg sync.WaitGroup
	errs := make(chan error, n)
	notes := make([]secret.FetchInfo, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := c.Get(context.Background(), secret.Request{Name: "db"})
			notes[i] = v.FetchInfo
			if err == nil && v.Value.RevealString() != "s3cr3t" {
				err = errors.New("wrong value")
			}
			errs <- err
		}()
	}
	waitFor(t, "64 callers waiting on one fetch", func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		f := c.flights["db\x00"]
		return f != nil && f.waiters == n
	})
	close(up.gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := up.calls.Load(); got != 1 {
		t.Fatalf("%d concurrent misses made %d upstream calls, want 1", n, got)
	}
	counts := map[secret.CacheStatus]int{}
	upstream := 0
	for _, nt := range notes {
		counts[nt.Cache]++
		upstream += nt.Upstream
	}
	if counts[secret.CacheMiss] != 1 || counts[secret.CacheShared] != n-1 || upstream != 1 {
		t.Fatalf("notes: %v, upstream %d; want 1 miss, %d shared, 1 upstream call", counts, n-1, upstream)
	}
	if st := c.Stats(); st.Misses != 1 || st.Shared != n-1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestSingleflightCancel(t *testing.T) {
	up := newCounting("db", "s3cr3t")
	up.gate = make(chan struct{})
	up.started = make(chan struct{}, 4)
	c := newCache(t, up, newClock(), Options{})

	// The first caller gives up; the second still gets the value.
	first, cancel := context.WithCancel(context.Background())
	firstErr := make(chan error, 1)
	go func() {
		_, err := c.Get(first, secret.Request{Name: "db"})
		firstErr <- err
	}()
	<-up.started
	second := make(chan error, 1)
	go func() {
		v, err := c.Get(context.Background(), secret.Request{Name: "db"})
		if err == nil && v.Value.RevealString() != "s3cr3t" {
			err = errors.New("wrong value")
		}
		second <- err
	}()
	waitFor(t, "two waiters", func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		f := c.flights["db\x00"]
		return f != nil && f.waiters == 2
	})
	cancel()
	if err := <-firstErr; !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), `store "test"`) {
		t.Fatalf("canceled caller: %v", err)
	}
	if ctx := *up.lastCtx.Load(); ctx.Err() != nil {
		t.Fatal("one caller's cancellation canceled the shared fetch")
	}
	close(up.gate)
	if err := <-second; err != nil {
		t.Fatalf("the other caller failed: %v", err)
	}

	// When every caller gives up, the fetch is canceled.
	up2 := newCounting("db", "x")
	up2.gate = make(chan struct{})
	up2.started = make(chan struct{}, 1)
	c2 := newCache(t, up2, newClock(), Options{})
	ctx, cancel2 := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := c2.Get(ctx, secret.Request{Name: "db"}); done <- err }()
	<-up2.started
	cancel2()
	<-done
	upctx := *up2.lastCtx.Load()
	waitFor(t, "the abandoned fetch's context to end", func() bool { return upctx.Err() != nil })
}

func TestStaleIfError(t *testing.T) {
	up := newCounting("db", "old")
	clk := newClock()
	c := newCache(t, up, clk, Options{TTL: time.Minute, MaxStale: 10 * time.Minute, RefreshAhead: -1})
	get(t, c, "db")
	up.setFail(errors.Join(errors.New("connection refused"), secret.ErrUnavailable))

	clk.Add(time.Minute + 5*time.Minute) // 5 min past the TTL
	v, err := c.Get(context.Background(), secret.Request{Name: "db"})
	note := v.FetchInfo
	if err != nil || v.Value.RevealString() != "old" || note.Cache != secret.CacheStale {
		t.Fatalf("within max_stale: %v %q %q; want the stale value", err, v.Value.RevealString(), note.Cache)
	}
	// A store that fails fast is not asked at the request rate: for the
	// error back-off, stale answers come without asking.
	calls := up.calls.Load()
	for range 10 {
		if got := get(t, c, "db"); got != "old" {
			t.Fatalf("during the back-off: %q", got)
		}
	}
	if up.calls.Load() != calls {
		t.Fatalf("%d upstream calls during the error back-off, want none", up.calls.Load()-calls)
	}
	clk.Add(DefaultErrorBackoff)
	get(t, c, "db")
	if up.calls.Load() != calls+1 {
		t.Fatal("the store was not asked again after the back-off")
	}
	clk.Add(5*time.Minute + time.Second - DefaultErrorBackoff) // 10 min 1 s past the TTL
	_, err = c.Get(context.Background(), secret.Request{Name: "db"})
	var se *StaleError
	if !errors.As(err, &se) || !errors.Is(err, secret.ErrUnavailable) {
		t.Fatalf("beyond max_stale: %v; want a *StaleError wrapping the store's error", err)
	}
	for _, want := range []string{`store "test"`, "expired 10m1s ago", "max_stale 10m0s", "connection refused"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "old") {
		t.Errorf("error leaks the value: %v", err)
	}
	if st := c.Stats(); st.Stale != 12 || st.Entries != 0 {
		t.Fatalf("stats %+v; want 12 stale answers and the entry dropped", st)
	}
}

func TestStaleNotForRefusals(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		stale  bool
		remain bool
	}{
		{"unavailable", secret.ErrUnavailable, true, true},
		{"other", errors.New("checksum mismatch"), true, true},
		{"permission denied", secret.ErrPermissionDenied, false, false},
		{"not allowed", secret.ErrNotAllowed, false, false},
		{"invalid", secret.ErrInvalidConfig, false, false},
		{"not found", secret.ErrNotFound, false, true}, // a negative entry replaces it
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			up := newCounting("db", "old")
			clk := newClock()
			c := newCache(t, up, clk, Options{TTL: time.Minute})
			get(t, c, "db")
			up.setFail(tc.err)
			clk.Add(2 * time.Minute)
			_, err := c.Get(context.Background(), secret.Request{Name: "db"})
			if (err == nil) != tc.stale {
				t.Fatalf("error %v; want stale answer %v", err, tc.stale)
			}
			if !tc.stale && !errors.Is(err, tc.err) {
				t.Fatalf("error %v does not wrap %v", err, tc.err)
			}
			c.mu.Lock()
			e := c.entries["db\x00"]
			c.mu.Unlock()
			if (e != nil) != tc.remain || (e != nil && !tc.stale && !e.negative) {
				t.Fatalf("entry after the failure: %+v", e)
			}
		})
	}
}

func TestStaleDisabled(t *testing.T) {
	up := newCounting("db", "old")
	clk := newClock()
	c := newCache(t, up, clk, Options{TTL: time.Minute, MaxStale: -1})
	get(t, c, "db")
	up.setFail(secret.ErrUnavailable)
	clk.Add(time.Minute + time.Second)
	_, err := c.Get(context.Background(), secret.Request{Name: "db"})
	if !strings.Contains(err.Error(), "stale answers are disabled") {
		t.Fatalf("error %v", err)
	}
}

func TestNegativeCaching(t *testing.T) {
	up := newCounting()
	clk := newClock()
	c := newCache(t, up, clk, Options{NegativeTTL: 5 * time.Second})
	for range 10 {
		_, err := c.Get(context.Background(), secret.Request{Name: "gone"})
		if !errors.Is(err, secret.ErrNotFound) || !strings.Contains(err.Error(), "gone") {
			t.Fatalf("error %v", err)
		}
	}
	if up.calls.Load() != 1 || c.Stats().Negative != 9 {
		t.Fatalf("%d calls, stats %+v; want one call and 9 negative answers", up.calls.Load(), c.Stats())
	}
	up.set("gone", "back", "v1")
	clk.Add(6 * time.Second)
	if got := get(t, c, "gone"); got != "back" || up.calls.Load() != 2 {
		t.Fatalf("after the negative TTL: %q after %d calls", got, up.calls.Load())
	}

	off := newCache(t, newCounting(), clk, Options{NegativeTTL: -1})
	for range 3 {
		_, _ = off.Get(context.Background(), secret.Request{Name: "gone"})
	}
	if n := off.Unwrap().(*countingStore).calls.Load(); n != 3 {
		t.Fatalf("with negative caching off: %d calls, want 3", n)
	}
}

func TestEvictionByEntries(t *testing.T) {
	up := newCounting("a", "1", "b", "2", "c", "3", "d", "4")
	c := newCache(t, up, newClock(), Options{MaxEntries: 3})
	get(t, c, "a")
	get(t, c, "b")
	get(t, c, "c")
	get(t, c, "a") // b is now the least recently used
	get(t, c, "d")
	if st := c.Stats(); st.Entries != 3 || st.Evictions != 1 {
		t.Fatalf("stats %+v", st)
	}
	before := up.calls.Load()
	get(t, c, "a")
	get(t, c, "c")
	get(t, c, "d")
	if up.calls.Load() != before {
		t.Fatal("a recently used entry was evicted")
	}
	get(t, c, "b")
	if up.calls.Load() != before+1 {
		t.Fatal("the least recently used entry was not the one evicted")
	}
}

func TestEvictionByBytes(t *testing.T) {
	up := newCounting("a", strings.Repeat("x", 40), "b", strings.Repeat("y", 40), "big", strings.Repeat("z", 200))
	// Keys are "a\x00" (2 bytes): two entries take 84 bytes.
	c := newCache(t, up, newClock(), Options{MaxBytes: 100})
	get(t, c, "a")
	get(t, c, "b")
	if st := c.Stats(); st.Entries != 2 || st.Bytes != 84 {
		t.Fatalf("stats %+v", st)
	}
	up.set("c", strings.Repeat("w", 40), "v1")
	get(t, c, "c")
	if st := c.Stats(); st.Entries != 2 || st.Bytes != 84 || st.Evictions != 1 {
		t.Fatalf("after a third: stats %+v", st)
	}
	if got := get(t, c, "big"); len(got) != 200 {
		t.Fatal("a value larger than max_bytes was not served")
	}
	if st := c.Stats(); st.TooLarge != 1 || st.Entries != 2 {
		t.Fatalf("a value larger than max_bytes: stats %+v", st)
	}
}

func TestZeroedWhenDropped(t *testing.T) {
	tests := []struct {
		name string
		drop func(c *Store, clk *clock)
	}{
		{"evicted", func(c *Store, _ *clock) {
			c.Unwrap().(*countingStore).set("other", "o", "v1")
			_, _ = c.Get(context.Background(), secret.Request{Name: "other"})
		}},
		{"invalidated", func(c *Store, _ *clock) { c.Invalidate(secret.Request{Name: "db"}) }},
		{"invalidated all", func(c *Store, _ *clock) { c.InvalidateAll() }},
		{"expired past max_stale", func(c *Store, clk *clock) { clk.Add(2 * time.Hour); c.sweep(clk.Now()) }},
		{"replaced", func(c *Store, _ *clock) {
			_, _ = c.Get(WithRefresh(context.Background()), secret.Request{Name: "db"})
		}},
		{"closed", func(c *Store, _ *clock) { _ = c.Close() }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			const plant = "planted-value-0123456789"
			clk := newClock()
			c := newCache(t, newCounting("db", plant), clk, Options{MaxEntries: 1, TTL: time.Minute, MaxStale: time.Minute})
			handed, err := c.Get(context.Background(), secret.Request{Name: "db"})
			if err != nil {
				t.Fatal(err)
			}
			c.mu.Lock()
			internal := c.entries["db\x00"].buf
			c.mu.Unlock()
			if string(internal) != plant {
				t.Fatal("test does not see the cache's buffer")
			}
			tc.drop(c, clk)
			for i, b := range internal {
				if b != 0 {
					t.Fatalf("byte %d of the dropped entry's buffer is %q, not zero", i, b)
				}
			}
			if handed.Value.RevealString() != plant {
				t.Fatal("zeroing the entry changed a Value already handed to a caller")
			}
		})
	}
}

func TestRefreshAhead(t *testing.T) {
	up := newCounting("db", "v1")
	clk := newClock()
	c := newCache(t, up, clk, Options{TTL: time.Minute, RefreshAhead: 10 * time.Second})
	get(t, c, "db")
	clk.Add(45 * time.Second) // 15 s left: not yet
	get(t, c, "db")
	if up.calls.Load() != 1 {
		t.Fatal("refreshed too early")
	}
	up.set("db", "v2", "v2")
	clk.Add(10 * time.Second) // 5 s left: a hit starts a refresh
	v, err := c.Get(context.Background(), secret.Request{Name: "db"})
	note := v.FetchInfo
	if err != nil || v.Value.RevealString() != "v1" || note.Cache != secret.CacheHit {
		t.Fatalf("the hit that starts a refresh: %v %q %q; want the cached value at once", err, v.Value.RevealString(), note.Cache)
	}
	waitFor(t, "the refresh", func() bool { return c.Stats().Refreshes == 1 })
	clk.Add(30 * time.Second) // past the first TTL, inside the refreshed one
	if got := get(t, c, "db"); got != "v2" {
		t.Fatalf("after the refresh: %q", got)
	}
	if up.calls.Load() != 2 {
		t.Fatalf("%d upstream calls, want 2", up.calls.Load())
	}
	// Close stops refreshes: a refresh blocked upstream ends with Close.
	up.gate = make(chan struct{})
	clk.Add(25 * time.Second)
	get(t, c, "db")
	waitFor(t, "a second refresh to start", func() bool { return up.calls.Load() == 3 })
	done := make(chan error)
	go func() { done <- c.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not stop a refresh in flight")
	}
}

func TestRefreshBypass(t *testing.T) {
	up := newCounting("db", "v1")
	c := newCache(t, up, newClock(), Options{})
	get(t, c, "db")
	up.set("db", "v2", "v2")
	v, err := c.Get(WithRefresh(context.Background()), secret.Request{Name: "db"})
	note := v.FetchInfo
	if err != nil || v.Value.RevealString() != "v2" || note.Cache != secret.CacheRefresh || note.Upstream != 1 {
		t.Fatalf("bypass: %v %q %q %d", err, v.Value.RevealString(), note.Cache, note.Upstream)
	}
	if got := get(t, c, "db"); got != "v2" || up.calls.Load() != 2 {
		t.Fatalf("the bypass did not replace the entry: %q, %d calls", got, up.calls.Load())
	}
	up.setFail(secret.ErrUnavailable)
	if _, err := c.Get(WithRefresh(context.Background()), secret.Request{Name: "db"}); !errors.Is(err, secret.ErrUnavailable) {
		t.Fatalf("a failing bypass answered %v; want the store's error", err)
	}
	if st := c.Stats(); st.Bypasses != 2 {
		t.Fatalf("stats %+v", st)
	}
}

func TestVersionCheck(t *testing.T) {
	base := newCounting("db", "one")
	clk := newClock()
	c := newCache(t, noting{versioned{base}, 0}, clk, Options{TTL: time.Minute, RefreshAhead: -1})
	get(t, c, "db")
	if base.calls.Load() != 1 || base.vcalls.Load() != 0 {
		t.Fatalf("first fetch: %d gets, %d version calls", base.calls.Load(), base.vcalls.Load())
	}
	clk.Add(2 * time.Minute)
	v, err := c.Get(context.Background(), secret.Request{Name: "db"})
	note := v.FetchInfo
	if err != nil || v.Value.RevealString() != "one" || base.calls.Load() != 1 || base.vcalls.Load() != 1 || note.Version() != "v1" || note.Upstream != 1 {
		t.Fatalf("unchanged: %v %q, %d gets, %d version calls, note version %q", err, v.Value.RevealString(), base.calls.Load(), base.vcalls.Load(), note.Version())
	}
	base.set("db", "two", "v2")
	clk.Add(2 * time.Minute)
	if got := get(t, c, "db"); got != "two" || base.calls.Load() != 2 {
		t.Fatalf("changed: %q after %d gets", got, base.calls.Load())
	}
	if st := c.Stats(); st.VersionChecks != 2 || st.VersionUnchanged != 1 {
		t.Fatalf("stats %+v", st)
	}

	// A Versioner that does not say which version it answered with gets
	// no version checks: its expired entries are fetched again.
	quiet := newCounting("db", "one")
	c2 := newCache(t, versioned{quiet}, clk, Options{TTL: time.Minute, RefreshAhead: -1})
	get(t, c2, "db")
	clk.Add(2 * time.Minute)
	get(t, c2, "db")
	if quiet.calls.Load() != 2 || quiet.vcalls.Load() != 0 {
		t.Fatalf("a store without noted versions: %d gets, %d version calls", quiet.calls.Load(), quiet.vcalls.Load())
	}
	if _, err := New(newCounting(), Options{}).CurrentVersion(context.Background(), secret.Request{Name: "x"}); !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("CurrentVersion of a store without versions: %v", err)
	}
}

func TestKeyerAndInvalidate(t *testing.T) {
	base := newCounting("db", "1", "other", "2")
	c := newCache(t, keyed{base}, newClock(), Options{})
	get(t, c, "db")
	get(t, c, "DB")
	get(t, c, "Db")
	if base.calls.Load() != 1 {
		t.Fatalf("three spellings of one key made %d calls", base.calls.Load())
	}
	get(t, c, "other")
	if _, err := c.Get(context.Background(), secret.Request{Name: "db", Version: "v9"}); err == nil {
		t.Fatal("unknown version found")
	}
	// One spelling drops the secret under every spelling and version,
	// and nothing else.
	if n := c.Invalidate(secret.Request{Name: "dB"}); n != 2 {
		t.Fatalf("Invalidate dropped %d entries, want 2 (the value and the version's not-found)", n)
	}
	get(t, c, "other")
	get(t, c, "db")
	if base.calls.Load() != 4 {
		t.Fatalf("%d calls; want one more for db only", base.calls.Load())
	}
	if n := c.InvalidateAll(); n != 2 {
		t.Fatalf("InvalidateAll dropped %d", n)
	}
	if st := c.Stats(); st.Entries != 0 || st.Bytes != 0 || st.Invalidations != 4 {
		t.Fatalf("stats %+v", st)
	}
}

func TestInvalidateDuringFetch(t *testing.T) {
	up := newCounting("db", "old")
	up.gate = make(chan struct{})
	up.started = make(chan struct{}, 1)
	c := newCache(t, up, newClock(), Options{})
	done := make(chan string)
	go func() { done <- get(t, c, "db") }()
	<-up.started
	c.Invalidate(secret.Request{Name: "db"})
	close(up.gate)
	if got := <-done; got != "old" {
		t.Fatalf("got %q", got)
	}
	if c.Stats().Entries != 0 {
		t.Fatal("a fetch that started before an invalidation was kept")
	}
}

func TestPanickingStore(t *testing.T) {
	c := newCache(t, newCounting(), newClock(), Options{})
	_, err := c.Get(context.Background(), secret.Request{Name: "panic"})
	if !errors.Is(err, secret.ErrUnavailable) || strings.Contains(err.Error(), "planted") {
		t.Fatalf("error %v", err)
	}
}

func TestClose(t *testing.T) {
	up := newCounting("db", "x")
	c := New(up, Options{})
	get(t, c, "db")
	if err := c.Close(); err != nil || !up.closed.Load() {
		t.Fatalf("Close: %v, store closed %v", err, up.closed.Load())
	}
	if _, err := c.Get(context.Background(), secret.Request{Name: "db"}); !errors.Is(err, secret.ErrUnavailable) {
		t.Fatalf("Get after Close: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatal("second Close failed")
	}
	kept := newCounting()
	if err := New(kept, Options{LeaveOpen: true}).Close(); err != nil || kept.closed.Load() {
		t.Fatal("LeaveOpen: Close closed the store")
	}
}

func TestOptionsValidate(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want []string
	}{
		{"zero", Options{}, nil},
		{"good", Options{TTL: time.Hour, MaxEntries: 5, MaxBytes: 1 << 10, MaxStale: -1, NegativeTTL: -1, RefreshAhead: time.Minute}, nil},
		{"bad", Options{TTL: 48 * time.Hour, MaxEntries: -1, MaxBytes: -2, RefreshAhead: 25 * time.Hour},
			[]string{`"ttl"`, `"max_entries"`, `"max_bytes"`, `"refresh_ahead"`}},
		{"sub-second ttl", Options{TTL: time.Millisecond}, []string{`"ttl"`}},
		{"refresh ahead beyond half the default ttl", Options{RefreshAhead: 3 * time.Minute}, []string{"at most half the TTL (2m30s)"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.opts.Validate()
			if (err != nil) != (len(tc.want) > 0) {
				t.Fatalf("Validate: %v", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestStoreNotes(t *testing.T) {
	base := newCounting("a", "1", "b", "2")
	clk := newClock()
	c := newCache(t, noting{versioned{base}, 3}, clk, Options{TTL: time.Minute, RefreshAhead: -1})
	get(t, c, "a")
	note, err := c.Get(context.Background(), secret.Request{Name: "b"})
	if err != nil {
		t.Fatal(err)
	}
	if base.vcalls.Load() != 0 {
		t.Fatalf("%d version calls before fetches, want none", base.vcalls.Load())
	}
	if note.Upstream != 3 || note.Version() != "v1" || note.Cache != secret.CacheMiss {
		t.Fatalf("note: %d upstream, version %q, %q; want the store's 3 attempts and its version", note.Upstream, note.Version(), note.Cache)
	}
	clk.Add(2 * time.Minute)
	get(t, c, "b")
	if base.calls.Load() != 2 || base.vcalls.Load() != 1 {
		t.Fatalf("expired, unchanged: %d gets, %d version calls", base.calls.Load(), base.vcalls.Load())
	}
	if st := c.Stats(); st.UpstreamCalls != 3+3+1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestRefreshAheadBounded(t *testing.T) {
	up := newCounting("a", "1", "b", "2", "c", "3")
	clk := newClock()
	c := newCache(t, up, clk, Options{TTL: time.Minute, RefreshAhead: 10 * time.Second, RefreshConcurrency: 1})
	for _, n := range []string{"a", "b", "c"} {
		get(t, c, n)
	}
	up.mu.Lock()
	up.gate = make(chan struct{})
	up.mu.Unlock()
	clk.Add(55 * time.Second)
	for _, n := range []string{"a", "b", "c"} {
		if got := get(t, c, n); got == "" { // hits, at once, though refreshes are blocked
			t.Fatal("no value")
		}
	}
	if st := c.Stats(); st.RefreshSkipped != 2 {
		t.Fatalf("stats %+v; want one refresh running and two skipped", st)
	}
	close(up.gate)
	waitFor(t, "the one refresh", func() bool { return c.Stats().Refreshes == 1 })
}

// hangingStore ignores its context, as a broken store might.
type hangingStore struct{ release chan struct{} }

func (h hangingStore) Get(context.Context, secret.Request) (secret.Result, error) {
	<-h.release
	return secret.Result{Value: secret.StringValue("late")}, nil
}

func (hangingStore) Close() error { return nil }

func TestCloseWithHungFetch(t *testing.T) {
	h := hangingStore{release: make(chan struct{})}
	defer close(h.release)
	c := New(h, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.Get(ctx, secret.Request{Name: "x"}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Get of a hung store: %v", err)
	}
	start := time.Now()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > closeGrace+2*time.Second {
		t.Fatalf("Close waited %v for a store that ignores its context", d)
	}
}

// TestNoValueInLogsOrErrors drives a cache through every path (miss, hit,
// refresh-ahead, version check, stale, beyond max_stale, negative,
// invalidate, close) with a debug logger, and checks that neither the log
// nor any error holds the value.
func TestNoValueInLogsOrErrors(t *testing.T) {
	const plant = "planted-secret-value-8086"
	var logs strings.Builder
	var mu sync.Mutex
	log := slog.New(slog.NewJSONHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return logs.Write(p)
	}), &slog.HandlerOptions{Level: slog.LevelDebug}))
	base := newCounting("db", plant)
	clk := newClock()
	c := newCache(t, noting{versioned{base}, 0}, clk, Options{TTL: time.Minute, MaxStale: time.Minute, RefreshAhead: 10 * time.Second, Logger: log})
	var errs []error
	try := func(name string) {
		if _, err := c.Get(context.Background(), secret.Request{Name: name}); err != nil {
			errs = append(errs, err)
		}
	}
	try("db")
	try("db")
	clk.Add(55 * time.Second)
	try("db") // starts a refresh-ahead
	waitFor(t, "the refresh", func() bool { return c.Stats().Refreshes == 1 })
	clk.Add(2 * time.Minute)
	try("db") // version check
	base.setFail(errors.Join(errors.New("connection reset"), secret.ErrUnavailable))
	clk.Add(90 * time.Second)
	try("db") // stale
	clk.Add(2 * time.Minute)
	try("db") // beyond max_stale
	try("missing")
	try("missing")
	try("panic")
	c.InvalidateAll()
	_ = c.Close()
	if len(errs) < 3 {
		t.Fatalf("only %d errors: the paths were not all taken", len(errs))
	}
	mu.Lock()
	text := logs.String()
	mu.Unlock()
	if !strings.Contains(text, "stale") {
		t.Fatalf("the debug log did not record the stale answer: %s", text)
	}
	for _, s := range append([]string{text}, errorStrings(errs)...) {
		if strings.Contains(s, plant) {
			t.Fatalf("the value leaked: %s", s)
		}
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func errorStrings(errs []error) []string {
	out := make([]string, len(errs))
	for i, e := range errs {
		out[i] = fmt.Sprintf("%v %+v %#v", e, e, e)
	}
	return out
}
