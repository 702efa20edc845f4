package resolver

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchkey/latchkey/cache"
	"github.com/latchkey/latchkey/protect"
	"github.com/latchkey/latchkey/secret"
)

// downStore is always unavailable and counts its calls.
type downStore struct{ calls atomic.Int32 }

func (d *downStore) Get(context.Context, secret.Request) (secret.Result, error) {
	d.calls.Add(1)
	return secret.Result{}, fmt.Errorf("backend down: %w", secret.ErrUnavailable)
}
func (d *downStore) Close() error { return nil }

func TestProtectionInTheStack(t *testing.T) {
	down := &downStore{}
	set := protect.Defaults("wasm")
	set.Retry.Max = 0
	set.Breaker = protect.Breaker{Threshold: 2, CoolOff: time.Minute}
	r, err := New(context.Background(), Config{Stores: map[string]StoreConfig{
		"ext": {Store: down, Protection: &set},
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	f, _ := ParseField("pw", "secret://ext/db")
	wf := Workflow{Name: "wf", Fields: []Field{f}}
	for range 2 {
		if _, err := r.Resolve(context.Background(), wf); !errors.Is(err, secret.ErrUnavailable) {
			t.Fatalf("err = %v", err)
		}
	}
	_, err = r.Resolve(context.Background(), wf)
	if !errors.Is(err, secret.ErrUnavailable) || !strings.Contains(err.Error(), `store "ext": failing fast for another`) {
		t.Fatalf("third resolution: %v; want the breaker's error", err)
	}
	if n := down.calls.Load(); n != 2 {
		t.Errorf("the store was called %d times; want 2 (the breaker refused the third)", n)
	}

	bad := protect.Defaults("wasm")
	bad.Burst = 0
	if _, err := New(context.Background(), Config{Stores: map[string]StoreConfig{"ext": {Store: down, Protection: &bad}}}); err == nil ||
		!strings.Contains(err.Error(), "protection.burst") {
		t.Errorf("invalid protection accepted: %v", err)
	}
}

// flakyStore answers v1 until failing is set, then is unavailable.
type flakyStore struct {
	failing atomic.Bool
	calls   atomic.Int32
}

func (f *flakyStore) Get(context.Context, secret.Request) (secret.Result, error) {
	f.calls.Add(1)
	if f.failing.Load() {
		return secret.Result{}, fmt.Errorf("backend down: %w", secret.ErrUnavailable)
	}
	return secret.Result{Value: secret.StringValue("stale-planted-v1")}, nil
}
func (f *flakyStore) Close() error { return nil }

// TestBreakerOpenServesStale: with a cache above protection, a store that
// keeps failing opens the breaker, and resolutions are answered from the
// stale entry (within max_stale) without the store being asked.
func TestBreakerOpenServesStale(t *testing.T) {
	flaky := &flakyStore{}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	set := protect.Defaults("wasm")
	set.Retry.Max = 0
	set.Breaker = protect.Breaker{Threshold: 2, CoolOff: time.Minute}
	r, err := New(context.Background(), Config{Stores: map[string]StoreConfig{
		"ext": {Store: flaky, Protection: &set,
			Cache: &cache.Options{TTL: time.Second, MaxStale: time.Hour, ErrorBackoff: time.Nanosecond, RefreshAhead: -1, Now: clock}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	f, _ := ParseField("pw", "secret://ext/db")
	wf := Workflow{Name: "wf", Fields: []Field{f}}
	if _, err := r.Resolve(context.Background(), wf); err != nil {
		t.Fatal(err)
	}
	flaky.failing.Store(true)
	for i := range 6 {
		advance(2 * time.Second) // past the TTL each time
		res, err := r.Resolve(context.Background(), wf)
		if err != nil {
			t.Fatalf("resolution %d: %v; want the stale value", i, err)
		}
		if v, _ := res.Get("pw"); v.RevealString() != "stale-planted-v1" {
			t.Fatalf("resolution %d: wrong value", i)
		}
	}
	if n := flaky.calls.Load(); n != 3 {
		t.Errorf("the store was asked %d times; want 3 (one success, two failures, then the breaker held)", n)
	}
}
