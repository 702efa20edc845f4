package cache

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchkey/latchkey/secret"
)

// countingStore is an in-memory store that counts the calls the cache makes
// to it, so that tests can assert how often the "upstream" was asked.
type countingStore struct {
	mu       sync.Mutex
	data     map[string]string
	versions map[string]string // for the Versioner wrapper
	fail     error             // every Get fails with it when set
	gate     chan struct{}     // when set, Get waits for it to close (or ctx)
	calls    atomic.Int64
	vcalls   atomic.Int64
	closed   atomic.Bool
	lastCtx  atomic.Pointer[context.Context]
	started  chan struct{} // receives one token per Get start, when set
}

func newCounting(kv ...string) *countingStore {
	s := &countingStore{data: map[string]string{}, versions: map[string]string{}}
	for i := 0; i+1 < len(kv); i += 2 {
		s.data[kv[i]] = kv[i+1]
		s.versions[kv[i]] = "v1"
	}
	return s
}

func (s *countingStore) Get(ctx context.Context, req secret.Request) (secret.Result, error) {
	s.calls.Add(1)
	s.lastCtx.Store(&ctx)
	if s.started != nil {
		s.started <- struct{}{}
	}
	s.mu.Lock()
	gate, fail := s.gate, s.fail
	s.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return secret.Result{}, fmt.Errorf("counting: %q: %w", req.Name, ctx.Err())
		}
	}
	if req.Name == "panic" {
		panic("planted-panic-value")
	}
	if fail != nil {
		return secret.Result{}, fmt.Errorf("counting: %q: %w", req.Name, fail)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.data[req.Name]
	if !ok || req.Version != "" && req.Version != s.versions[req.Name] {
		return secret.Result{}, fmt.Errorf("counting: %q: %w", req.Name, secret.ErrNotFound)
	}
	return secret.Result{Value: secret.StringValue(v)}, nil
}

func (s *countingStore) set(name, value, version string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.data[name] = value
	s.versions[name] = version
}

func (s *countingStore) setFail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = err
}

func (s *countingStore) Close() error { s.closed.Store(true); return nil }

// versioned adds secret.Versioner to a countingStore.
type versioned struct{ *countingStore }

func (s versioned) CurrentVersion(ctx context.Context, req secret.Request) (secret.FetchInfo, error) {
	var info secret.FetchInfo
	s.vcalls.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return info, s.fail
	}
	v, ok := s.versions[req.Name]
	if !ok {
		return info, fmt.Errorf("counting: %q: %w", req.Name, secret.ErrNotFound)
	}
	info.SetVersion(v)
	return info, nil
}

// keyed adds a Description.Key that folds letter case, so that "DB" and
// "db" are one secret.
type keyed struct{ *countingStore }

func (s keyed) Describe() secret.Description {
	return secret.Description{Key: func(req secret.Request) string {
		return fmt.Sprintf("%s|%s", lower(req.Name), req.Version)
	}}
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newCache(t *testing.T, up secret.Store, clk *clock, opts Options) *Store {
	t.Helper()
	opts.Now = clk.Now
	if opts.Name == "" {
		opts.Name = "test"
	}
	c := New(up, opts)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func get(t *testing.T, c *Store, name string) string {
	t.Helper()
	v, err := c.Get(context.Background(), secret.Request{Name: name})
	if err != nil {
		t.Fatalf("Get(%q): %v", name, err)
	}
	return v.Value.RevealString()
}

// waitFor polls cond for up to 5 s: background work (refresh-ahead) has
// no other signal.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// noting is a Versioner that, like the cloud stores, returns in its
// Result the version it answered with and each attempt it made.
type noting struct {
	versioned
	attempts int
}

func (s noting) Get(ctx context.Context, req secret.Request) (secret.Result, error) {
	r, err := s.countingStore.Get(ctx, req)
	r.Upstream += s.attempts
	if err == nil {
		s.mu.Lock()
		r.SetVersion(s.versions[req.Name])
		s.mu.Unlock()
	}
	return r, err
}
