package protect

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/memstore"
	"github.com/latchkey/latchkey/secret"
)

const planted = "protect-planted-value-4471"

// memStore returns an in-memory store holding "db", standing for any
// backend: what a particular cloud answers (its throttling codes, its
// Retry-After) is tested through protection in that cloud's provider
// (providers/*/protect_test.go).
func memStore(t *testing.T) *memstore.Store {
	t.Helper()
	st := memstore.New()
	st.Put("db", planted)
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// recorder replaces sleeping with recording the delays asked for.
type recorder struct {
	mu     sync.Mutex
	delays []time.Duration
}

func (r *recorder) sleep(_ context.Context, d time.Duration) error {
	r.mu.Lock()
	r.delays = append(r.delays, d)
	r.mu.Unlock()
	return nil
}

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// wrap wraps st with s and the seams, returning the inner *Store too.
func wrap(t *testing.T, st secret.Store, s Settings, rec *recorder, clk *clock) (secret.Store, *Store) {
	t.Helper()
	w := Wrap("sm", st, s, nil)
	p, ok := w.(*Store)
	if !ok {
		t.Fatalf("Wrap returned %T", w)
	}
	if rec != nil {
		p.sleep = rec.sleep
	}
	if clk != nil {
		p.now = clk.now
	}
	return w, p
}

func ctx(t *testing.T, d time.Duration) context.Context {
	c, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return c
}

func settings() Settings {
	s := Defaults("wasm")
	s.Rate, s.Burst = 1000, 100
	s.Retry = Retry{Max: 3, BaseDelay: 100 * time.Millisecond, MaxDelay: 10 * time.Second}
	s.Breaker = Breaker{Threshold: 3, CoolOff: 30 * time.Second}
	return s
}

func TestRateLimitBoundsCalls(t *testing.T) {
	st := memStore(t)
	s := settings()
	s.Rate, s.Burst = 20, 5
	w, _ := wrap(t, st, s, nil, nil)
	c := ctx(t, 400*time.Millisecond)
	start := time.Now()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var ok, limited int
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := w.Get(c, secret.Request{Name: "db"})
			mu.Lock()
			defer mu.Unlock()
			var le *LimitError
			switch {
			case err == nil:
				ok++
			case errors.As(err, &le):
				limited++
				if !strings.Contains(err.Error(), `store "sm"`) || !strings.Contains(err.Error(), "protection.rate") || !errors.Is(err, secret.ErrUnavailable) {
					t.Errorf("limit error does not name the store and the setting: %v", err)
				}
			default:
				t.Errorf("unexpected error: %v", err)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	calls := st.Count(memstore.Get)
	// A token bucket of 5 filling at 20/s admits at most 5 + 20·t calls.
	if max := 5 + int(20*elapsed.Seconds()) + 1; calls > max {
		t.Errorf("%d calls reached the server in %s; the rate allows at most %d", calls, elapsed, max)
	}
	if calls != ok || ok < 5 || ok+limited != 100 {
		t.Errorf("calls %d, ok %d, limited %d: want every admitted call answered and the rest refused", calls, ok, limited)
	}
}

func TestRetryHonoursRetryAfter(t *testing.T) {
	tests := []struct {
		name       string
		retryAfter time.Duration
		check      func(t *testing.T, delays []time.Duration)
	}{
		{name: "with Retry-After", retryAfter: 3 * time.Second, check: func(t *testing.T, delays []time.Duration) {
			for _, d := range delays {
				if d != 3*time.Second {
					t.Errorf("delay %s; want the store's Retry-After of 3s", d)
				}
			}
		}},
		{name: "without Retry-After", check: func(t *testing.T, delays []time.Duration) {
			for i, d := range delays {
				if ceil := 100 * time.Millisecond << i; d < 0 || d > ceil {
					t.Errorf("delay %d is %s; want full jitter within [0, %s]", i, d, ceil)
				}
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := memStore(t)
			rec := &recorder{}
			w, _ := wrap(t, st, settings(), rec, nil)
			st.FailNext("db", 2, memstore.Throttled(tc.retryAfter))
			v, err := w.Get(ctx(t, 20*time.Second), secret.Request{Name: "db"})
			if err != nil || v.Value.RevealString() != planted {
				t.Fatalf("Get after throttling: %v", err)
			}
			if n := st.Count(memstore.Get); n != 3 {
				t.Errorf("%d calls; want 3 (two throttled, one served)", n)
			}
			if len(rec.delays) != 2 {
				t.Fatalf("%d back-off sleeps; want 2", len(rec.delays))
			}
			tc.check(t, rec.delays)
		})
	}
}

// TestRetryUnavailable: an unavailable answer (throttled, a passing
// failure) is retried with back-off; a not-found is not. Each cloud's own
// codes for these are tested through protection in its provider.
func TestRetryUnavailable(t *testing.T) {
	t.Run("throttled", func(t *testing.T) {
		st := memStore(t)
		rec := &recorder{}
		w, _ := wrap(t, st, settings(), rec, nil)
		st.FailNext("db", 2, memstore.Throttled(0))
		if _, err := w.Get(ctx(t, 10*time.Second), secret.Request{Name: "db"}); err != nil {
			t.Fatal(err)
		}
		if n := st.Count(memstore.Get); n != 3 || len(rec.delays) != 2 {
			t.Errorf("%d calls, %d sleeps; want 3 calls and 2 sleeps", n, len(rec.delays))
		}
	})
	t.Run("transient", func(t *testing.T) {
		st := memStore(t)
		rec := &recorder{}
		w, _ := wrap(t, st, settings(), rec, nil)
		st.FailNext("db", 1, memstore.Transient())
		if _, err := w.Get(ctx(t, 10*time.Second), secret.Request{Name: "db"}); err != nil {
			t.Fatal(err)
		}
		if n := st.Count(memstore.Get); n != 2 || len(rec.delays) != 1 {
			t.Errorf("%d calls, %d sleeps; want 2 calls and 1 sleep", n, len(rec.delays))
		}
	})
	t.Run("not found is not retried", func(t *testing.T) {
		st := memStore(t)
		rec := &recorder{}
		w, _ := wrap(t, st, settings(), rec, nil)
		if _, err := w.Get(ctx(t, 10*time.Second), secret.Request{Name: "missing"}); !errors.Is(err, secret.ErrNotFound) {
			t.Fatalf("err = %v; want not found", err)
		}
		if n := st.Count(memstore.Get); n != 1 || len(rec.delays) != 0 {
			t.Errorf("%d calls, %d sleeps; want 1 call, no retry", n, len(rec.delays))
		}
	})
	t.Run("no sleep past the deadline", func(t *testing.T) {
		st := memStore(t)
		rec := &recorder{}
		s := settings()
		s.Retry.BaseDelay, s.Retry.MaxDelay = 5*time.Second, 5*time.Second
		w, _ := wrap(t, st, s, rec, nil)
		st.FailNext("db", 1, memstore.Transient())
		// Full jitter may draw a short delay: retry until a draw exceeds the deadline.
		_, err := w.Get(ctx(t, time.Millisecond*200), secret.Request{Name: "db"})
		for _, d := range rec.delays {
			if d > 200*time.Millisecond {
				t.Errorf("slept %s past a 200ms deadline", d)
			}
		}
		if err != nil && !errors.Is(err, secret.ErrUnavailable) {
			t.Errorf("err = %v; want the store's own unavailable error", err)
		}
	})
}

func TestBreaker(t *testing.T) {
	st := memStore(t)
	clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	s := settings()
	s.Retry.Max = 0
	w, _ := wrap(t, st, s, &recorder{}, clk)
	st.FailNext("db", 4, memstore.Transient())
	for i := range 3 {
		if _, err := w.Get(ctx(t, 10*time.Second), secret.Request{Name: "db"}); !errors.Is(err, secret.ErrUnavailable) {
			t.Fatalf("call %d: err = %v; want unavailable", i, err)
		}
	}
	clk.add(10 * time.Second)
	_, err := w.Get(ctx(t, 10*time.Second), secret.Request{Name: "db"})
	var oe *OpenError
	if !errors.As(err, &oe) || !errors.Is(err, secret.ErrUnavailable) {
		t.Fatalf("err = %v; want the breaker's OpenError", err)
	}
	for _, want := range []string{`store "sm"`, "failing fast for another 20s", "3 consecutive failures", "InternalError"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if n := st.Count(memstore.Get); n != 3 {
		t.Errorf("%d calls reached the server; want 3 (the open breaker sends none)", n)
	}

	// Cooled off: one call goes through; it fails (the fourth fault), so
	// the breaker opens again at once.
	clk.add(21 * time.Second)
	if _, err := w.Get(ctx(t, 10*time.Second), secret.Request{Name: "db"}); errors.As(err, &oe) || !errors.Is(err, secret.ErrUnavailable) {
		t.Fatalf("trial call: err = %v; want the store's failure", err)
	}
	if _, err := w.Get(ctx(t, 10*time.Second), secret.Request{Name: "db"}); !errors.As(err, &oe) {
		t.Fatalf("after a failed trial: err = %v; want the breaker open again", err)
	}
	clk.add(31 * time.Second)
	if v, err := w.Get(ctx(t, 10*time.Second), secret.Request{Name: "db"}); err != nil || v.Value.RevealString() != planted {
		t.Fatalf("after recovery: %v", err)
	}
	if _, err := w.Get(ctx(t, 10*time.Second), secret.Request{Name: "db"}); err != nil {
		t.Fatalf("closed again: %v", err)
	}
	if n := st.Count(memstore.Get); n != 6 {
		t.Errorf("%d calls; want 6", n)
	}
	if strings.Contains(err.Error(), planted) {
		t.Error("an error holds the value")
	}
}

// TestBreakerOneTrial: once the breaker has cooled off, exactly one call
// goes to the store as the trial; the callers that come while it is out
// fail fast (nothing reaches the server) until it answers. A trial whose
// caller gives up leaves the next call to be the trial; a successful one
// closes the breaker for everyone.
func TestBreakerOneTrial(t *testing.T) {
	st := memStore(t)
	st.Put("slow", "x")
	clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	s := settings()
	s.Retry.Max = 0
	w, p := wrap(t, st, s, &recorder{}, clk)
	st.FailNext("slow", 3, memstore.Transient())
	for i := range 3 {
		if _, err := w.Get(ctx(t, 10*time.Second), secret.Request{Name: "slow"}); !errors.Is(err, secret.ErrUnavailable) {
			t.Fatalf("call %d: err = %v; want unavailable", i, err)
		}
	}
	st.Slow("slow") // the trial will hang until its caller gives up
	clk.add(31 * time.Second)

	hold, cancel := context.WithCancel(context.Background())
	defer cancel()
	trialDone := make(chan error, 1)
	go func() {
		_, err := w.Get(hold, secret.Request{Name: "slow"})
		trialDone <- err
	}()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		p.mu.Lock()
		out := p.trial
		p.mu.Unlock()
		if out && len(p.inFlight) == 1 && st.Count(memstore.Get) == 4 { // 3 failures, and the trial reached the store
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the trial call never started")
		}
	}
	before := st.Count(memstore.Get)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := w.Get(ctx(t, 10*time.Second), secret.Request{Name: "db"})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		var oe *OpenError
		if !errors.As(err, &oe) || !oe.Trial || !errors.Is(err, secret.ErrUnavailable) {
			t.Fatalf("a call during the trial: err = %v; want the breaker's OpenError naming the trial", err)
		}
		if !strings.Contains(err.Error(), "one trial call") || strings.Contains(err.Error(), planted) {
			t.Fatalf("error %q does not say a trial is out (or holds the value)", err)
		}
	}
	if n := st.Count(memstore.Get) - before; n != 0 {
		t.Errorf("%d calls reached the server during the trial; want 0", n)
	}

	// The trial's caller gives up: no verdict, so the next call is the trial.
	cancel()
	if err := <-trialDone; err == nil {
		t.Fatal("the abandoned trial succeeded")
	}
	if v, err := w.Get(ctx(t, 10*time.Second), secret.Request{Name: "db"}); err != nil || v.Value.RevealString() != planted {
		t.Fatalf("the next trial: %v", err)
	}
	// It succeeded: closed for everyone, concurrently.
	var ok sync.WaitGroup
	for range 8 {
		ok.Add(1)
		go func() {
			defer ok.Done()
			if _, err := w.Get(ctx(t, 10*time.Second), secret.Request{Name: "db"}); err != nil {
				t.Errorf("after recovery: %v", err)
			}
		}()
	}
	ok.Wait()
}

func TestInFlightBound(t *testing.T) {
	st := memStore(t)
	st.Put("slow", "x")
	st.Slow("slow")
	s := settings()
	s.MaxInFlight = 2
	w, p := wrap(t, st, s, nil, nil)
	hold, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() { defer wg.Done(); _, _ = w.Get(hold, secret.Request{Name: "slow"}) }()
	}
	for deadline := time.Now().Add(5 * time.Second); len(p.inFlight) < 2; { // both slow calls are in flight
		if time.Now().After(deadline) {
			t.Fatal("the slow calls never started")
		}
		time.Sleep(time.Millisecond)
	}
	_, err := w.Get(ctx(t, 50*time.Millisecond), secret.Request{Name: "db"})
	var le *LimitError
	if !errors.As(err, &le) || !strings.Contains(err.Error(), "2 calls already in flight (protection.max_in_flight)") {
		t.Errorf("err = %v; want the in-flight bound named", err)
	}
	cancel()
	wg.Wait()
	if n := st.Count(memstore.Get); n != 2 {
		t.Errorf("%d calls; want 2 (the third waited and gave up)", n)
	}
}

// TestCapabilities: a protected store forwards version probes exactly when
// the store beneath answers them, through protection itself; the store's
// other capabilities are reached by unwrapping, never claimed by the
// wrapper.
func TestCapabilities(t *testing.T) {
	st := memStore(t)
	w := Wrap("sm", st, settings(), nil)
	if v, ok := secret.VersionerOf(w); !ok || v.(secret.Store) != w {
		t.Error("a wrapped Versioner's probes do not go through protection")
	}
	plain := Wrap("p", plainStore{}, settings(), nil)
	if _, ok := secret.VersionerOf(plain); ok {
		t.Error("a wrapped store claims a capability it lacks")
	}
	if _, err := plain.(*Store).CurrentVersion(ctx(t, time.Second), secret.Request{Name: "x"}); !errors.Is(err, errors.ErrUnsupported) || !strings.Contains(err.Error(), `store "p"`) {
		t.Errorf("probe of a store without versions: %v; want ErrUnsupported naming the store", err)
	}
	keyed := Wrap("k", keyedStore{}, settings(), nil)
	if d, ok := secret.As[secret.Describer](keyed); !ok || d.Describe().SecretKey(secret.Request{Name: "x"}) != "key:x" {
		t.Error("the wrapped store's Description is not reached through Unwrap")
	}
	if _, ok := secret.As[secret.Describer](plain); ok {
		t.Error("a wrapped store without a Description has one")
	}
	if _, ok := keyed.(secret.Describer); ok {
		t.Error("the wrapper re-declares a capability of the store beneath")
	}
	off := For(secret.Protection{Off: true}) // env's
	if got := Wrap("e", plainStore{}, off, nil); got != (plainStore{}) {
		t.Errorf("disabled protection wrapped the store: %T", got)
	}
}

type keyedStore struct{ plainStore }

func (keyedStore) Describe() secret.Description {
	return secret.Description{Key: func(req secret.Request) string { return "key:" + req.Name }}
}

func TestProbesUseTheirOwnBucket(t *testing.T) {
	st := memStore(t)
	s := settings()
	s.Rate, s.Burst = 1000, 100
	s.ProbeRate, s.ProbeBurst = 0.001, 2
	w, _ := wrap(t, st, s, nil, nil)
	v := w.(secret.Versioner)
	for i := range 2 {
		if _, err := v.CurrentVersion(ctx(t, time.Second), secret.Request{Name: "db"}); err != nil {
			t.Fatalf("probe %d: %v", i, err)
		}
	}
	_, err := v.CurrentVersion(ctx(t, time.Second), secret.Request{Name: "db"})
	if !strings.Contains(fmt_(err), "version probe") {
		t.Errorf("third probe: err = %v; want the probe rate limit", err)
	}
	if _, err := w.Get(ctx(t, time.Second), secret.Request{Name: "db"}); err != nil {
		t.Errorf("fetches share no bucket with probes: %v", err)
	}
	if n := st.Count(memstore.CurrentVersion); n != 2 {
		t.Errorf("%d DescribeSecret calls; want 2", n)
	}
}

func fmt_(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

type plainStore struct{}

func (plainStore) Get(context.Context, secret.Request) (secret.Result, error) {
	return secret.Result{Value: secret.StringValue("x")}, nil
}
func (plainStore) Close() error { return nil }

// TestProbeFailuresDoNotOpenTheBreaker: a store that cannot answer version
// probes (an emulator without GetSecretVersion, a role without
// secretmanager.versions.get) fails every probe, many times over the
// breaker's threshold; fetches of the same store keep being served, and a
// probe is tried once (no retry). While the breaker is open for real
// fetch failures, a probe fails fast and never takes the trial call.
func TestProbeFailuresDoNotOpenTheBreaker(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"not implemented", &secret.StoreError{Msg: "Unimplemented", Kind: errors.ErrUnsupported}},
		{"denied", memstore.Denied()},
		{"unavailable", memstore.Transient()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := memStore(t)
			s := For(secret.Protection{})
			s.Retry.Max = 3
			s.ProbeRate, s.ProbeBurst = 1000, 100
			w, _ := wrap(t, st, s, &recorder{}, nil)
			st.FailMethod(memstore.CurrentVersion, tc.err)
			for i := range 3 * s.Breaker.Threshold {
				if _, err := w.(secret.Versioner).CurrentVersion(ctx(t, 5*time.Second), secret.Request{Name: "db"}); err == nil {
					t.Fatalf("probe %d succeeded against a store that refuses it", i)
				}
			}
			if n := st.Count(memstore.CurrentVersion); n != 3*s.Breaker.Threshold {
				t.Errorf("%d probes reached the store; want %d (one per probe, no retries)", n, 3*s.Breaker.Threshold)
			}
			v, err := w.Get(ctx(t, 5*time.Second), secret.Request{Name: "db"})
			if err != nil || v.Value.RevealString() != planted {
				t.Fatalf("a fetch after %d failed probes: %v; want the value (probes must not open the breaker)", 3*s.Breaker.Threshold, err)
			}
		})
	}
}

func TestProbeNeverTakesTheTrial(t *testing.T) {
	st := memStore(t)
	clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	s := settings()
	s.Retry.Max = 0
	w, _ := wrap(t, st, s, &recorder{}, clk)
	st.FailNext("db", 3, memstore.Transient())
	for range 3 {
		_, _ = w.Get(ctx(t, 10*time.Second), secret.Request{Name: "db"})
	}
	probes := st.Count(memstore.CurrentVersion)
	var oe *OpenError
	if _, err := w.(secret.Versioner).CurrentVersion(ctx(t, time.Second), secret.Request{Name: "db"}); !errors.As(err, &oe) {
		t.Fatalf("probe while open: err = %v; want OpenError", err)
	}
	clk.add(31 * time.Second) // half-open
	if _, err := w.(secret.Versioner).CurrentVersion(ctx(t, time.Second), secret.Request{Name: "db"}); !errors.As(err, &oe) {
		t.Fatalf("probe while half-open: err = %v; want OpenError (the trial is a fetch's)", err)
	}
	if n := st.Count(memstore.CurrentVersion); n != probes {
		t.Errorf("%d probes reached the store while the breaker was not closed", n-probes)
	}
	if v, err := w.Get(ctx(t, time.Second), secret.Request{Name: "db"}); err != nil || v.Value.RevealString() != planted {
		t.Fatalf("the trial fetch: %v", err)
	}
	if _, err := w.(secret.Versioner).CurrentVersion(ctx(t, time.Second), secret.Request{Name: "db"}); err != nil {
		t.Fatalf("probe after the breaker closed: %v", err)
	}
}
