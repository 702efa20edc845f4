package protect

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/latchkey/latchkey/secret"
)

// Store is a [secret.Store] behind protection. Build it with [Wrap]; it is
// safe for concurrent use, as the store it wraps must be.
type Store struct {
	name     string
	inner    secret.Store
	ver      secret.Versioner // nil: the store beneath answers no version probes
	set      Settings
	log      *slog.Logger
	fetches  *rate.Limiter
	probes   *rate.Limiter
	inFlight chan struct{}

	// Seams for tests: the clock and the back-off sleep.
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error

	mu        sync.Mutex
	failures  int       // consecutive unavailable answers
	openUntil time.Time // the breaker fails fast until then
	halfOpen  bool      // cooled off: one trial call decides
	trial     bool      // the trial call is in flight
	lastErr   string    // the last unavailable answer, for OpenError
}

// Wrap returns st behind the protection s, or st itself when s.Disabled.
// name is the store's name in the agent config, for errors and logs. The
// result is a *[Store]: its data path is Get, Close (which closes st) and
// CurrentVersion (version probes are protected too, on their own rate);
// st's other capabilities are reached through [Store.Unwrap]
// ([secret.As]).
// s must be valid ([Settings.Validate]); Wrap panics otherwise, as a
// programming error.
func Wrap(name string, st secret.Store, s Settings, log *slog.Logger) secret.Store {
	if s.Disabled {
		return st
	}
	if err := s.validate(name); err != nil {
		panic("protect: Wrap with invalid settings: " + err.Error())
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p := &Store{
		name: name, inner: st, set: s, log: log,
		fetches:  rate.NewLimiter(rate.Limit(s.Rate), s.Burst),
		probes:   rate.NewLimiter(rate.Limit(s.ProbeRate), s.ProbeBurst),
		inFlight: make(chan struct{}, s.MaxInFlight),
		now:      time.Now,
		sleep:    sleepCtx,
	}
	p.ver, _ = secret.VersionerOf(st)
	return p
}

// CurrentVersion asks the store for the version, under the probe rate and
// the in-flight bound; it answers an error wrapping [errors.ErrUnsupported]
// at once when the store beneath answers no probes ([secret.VersionerOf]).
// A probe is an optimisation its caller falls back from (to a fetch)
// whatever its failure, so it is tried once and its outcome is never
// counted by the breaker: a store that cannot answer probes (not
// implemented, no permission on metadata) would otherwise open the breaker
// for every fetch. While the breaker is open or half-open, a probe fails
// fast and never takes the trial call, which is a fetch's to make.
func (p *Store) CurrentVersion(ctx context.Context, req secret.Request) (secret.FetchInfo, error) {
	if p.ver == nil {
		return secret.FetchInfo{}, fmt.Errorf("store %q cannot report versions: %w", p.name, errors.ErrUnsupported)
	}
	var out secret.FetchInfo
	err := p.do(ctx, p.probes, "version probe", func(ctx context.Context) (err error) {
		out, err = p.ver.CurrentVersion(ctx, req)
		return err
	})
	return out, err
}

// Get fetches from the store under the rate limit, the in-flight bound,
// retries and the breaker. Its Result is the last attempt's, counting the
// upstream calls and outbound requests of every attempt (see [retried]).
func (p *Store) Get(ctx context.Context, req secret.Request) (secret.Result, error) {
	var out secret.Result
	err := p.do(ctx, p.fetches, "fetch", func(ctx context.Context) error {
		r, err := p.inner.Get(ctx, req)
		out = retried(out, r)
		return err
	})
	return out, err
}

// retried is the Result of a fetch whose earlier attempts answered prev
// and whose last answered last: last's value, version and detail (prev's
// version when last says none), with the upstream calls and outbound
// requests of both, and either's refused version.
func retried(prev, last secret.Result) secret.Result {
	last.Upstream += prev.Upstream
	if len(prev.Outbound) > 0 {
		last.Outbound = append(prev.Outbound, last.Outbound...)
	}
	if last.VersionRefused == nil {
		last.VersionRefused = prev.VersionRefused
	}
	if last.Version() == "" && prev.Version() != "" {
		last.SetVersion(prev.Version())
	}
	return last
}

// Close closes the store.
func (p *Store) Close() error { return p.inner.Close() }

// Unwrap returns the protected store.
func (p *Store) Unwrap() secret.Store { return p.inner }

func (p *Store) do(ctx context.Context, lim *rate.Limiter, what string, call func(context.Context) error) error {
	probe := lim == p.probes
	trial, err := p.admit(probe)
	if err != nil {
		return err
	}
	if trial {
		// However the trial ends (an answer, or the caller giving up
		// before one), the next call may be the trial.
		defer p.endTrial()
	}
	select {
	case p.inFlight <- struct{}{}:
	default:
		select {
		case p.inFlight <- struct{}{}:
		case <-ctx.Done():
			return &LimitError{Store: p.name, What: what, InFlight: p.set.MaxInFlight, Err: ctx.Err()}
		}
	}
	defer func() { <-p.inFlight }()
	for attempt := 0; ; attempt++ {
		if err := lim.Wait(ctx); err != nil {
			if cerr := ctx.Err(); cerr != nil {
				err = cerr
			}
			return &LimitError{Store: p.name, What: what, Rate: float64(lim.Limit()), Burst: lim.Burst(), Err: err}
		}
		err := call(ctx)
		if probe {
			return err // see Store.CurrentVersion
		}
		if err == nil {
			p.succeeded()
			return nil
		}
		if ctx.Err() != nil || !errors.Is(err, secret.ErrUnavailable) {
			// The caller's deadline, or an answer (not found, denied)
			// that a retry would not change: not the store's outage.
			if !errors.Is(err, secret.ErrUnavailable) {
				p.succeeded()
			}
			return err
		}
		if attempt >= p.set.Retry.Max {
			p.failed(err)
			return err
		}
		delay := p.backoff(attempt)
		// A backend's Retry-After reaches us in the one shape of a
		// store's failure.
		var se *secret.StoreError
		if errors.As(err, &se) && se.RetryAfter() > delay {
			delay = min(se.RetryAfter(), p.set.Retry.MaxDelay)
		}
		if dl, ok := ctx.Deadline(); ok && p.now().Add(delay).After(dl) {
			// Sleeping would only end in the caller's deadline: report
			// the store's answer now.
			p.failed(err)
			return err
		}
		p.log.DebugContext(ctx, "retrying store call", "store", p.name, "what", what, "attempt", attempt+1, "delay", delay, "error", err)
		if serr := p.sleep(ctx, delay); serr != nil {
			return err
		}
	}
}

// backoff is full jitter: uniform in [0, min(MaxDelay, BaseDelay·2ⁿ)].
func (p *Store) backoff(attempt int) time.Duration {
	ceil := p.set.Retry.BaseDelay << min(attempt, 30)
	if ceil <= 0 || ceil > p.set.Retry.MaxDelay {
		ceil = p.set.Retry.MaxDelay
	}
	return rand.N(ceil + 1)
}

// admit refuses a call while the breaker is open. Once it has cooled off
// (half-open), it lets exactly one call through as the trial and keeps
// refusing the others until that call has answered: a store coming back
// is not met by every waiting caller at once. trial reports that the
// caller is the trial and must call endTrial when done. A probe is never
// the trial: it is refused while the breaker is half-open.
func (p *Store) admit(probe bool) (trial bool, err error) {
	if p.set.Breaker.Threshold == 0 {
		return false, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if now := p.now(); now.Before(p.openUntil) {
		return false, &OpenError{Store: p.name, Failures: p.set.Breaker.Threshold, Remaining: p.openUntil.Sub(now), Last: p.lastErr}
	}
	if !p.halfOpen {
		return false, nil
	}
	if p.trial || probe {
		return false, &OpenError{Store: p.name, Failures: p.set.Breaker.Threshold, Trial: true, Last: p.lastErr}
	}
	p.trial = true
	return true, nil
}

// endTrial lets the next call be the trial, unless the trial's answer
// closed the breaker (succeeded) or opened it again (failed).
func (p *Store) endTrial() {
	p.mu.Lock()
	p.trial = false
	p.mu.Unlock()
}

func (p *Store) succeeded() {
	p.mu.Lock()
	p.failures = 0
	p.halfOpen = false
	p.mu.Unlock()
}

// failed counts an unavailable answer and opens the breaker at the
// threshold. After a cool-off one trial call is let through; its failure
// opens the breaker again at once, its success closes it (half-open).
func (p *Store) failed(err error) {
	if p.set.Breaker.Threshold == 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.failures++
	p.lastErr = err.Error()
	if p.failures >= p.set.Breaker.Threshold {
		p.openUntil = p.now().Add(p.set.Breaker.CoolOff)
		p.failures = p.set.Breaker.Threshold - 1 // one more failure reopens it
		p.halfOpen = true
		p.log.Warn("store keeps failing; failing fast", "store", p.name, "cool_off", p.set.Breaker.CoolOff, "error", err)
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// OpenError reports a call refused because the store's breaker is open:
// it kept failing, and calls fail fast until the cool-off ends. It wraps
// [secret.ErrUnavailable].
type OpenError struct {
	Store     string
	Failures  int // consecutive failures that opened it
	Remaining time.Duration
	// Trial is set when the cool-off has ended and another call is the
	// one trial that decides whether the store is back.
	Trial bool
	Last  string // the last failure's message
}

// Error implements error.
func (e *OpenError) Error() string {
	if e.Trial {
		return fmt.Sprintf("store %q: failing fast while one trial call checks whether it is back, after %d consecutive failures (protection.breaker); last failure: %s",
			e.Store, e.Failures, e.Last)
	}
	return fmt.Sprintf("store %q: failing fast for another %s after %d consecutive failures (protection.breaker); last failure: %s",
		e.Store, e.Remaining.Round(time.Millisecond), e.Failures, e.Last)
}

// Unwrap returns [secret.ErrUnavailable].
func (e *OpenError) Unwrap() error { return secret.ErrUnavailable }

// LimitError reports a call that the rate limit or the in-flight bound
// would have kept waiting past the caller's deadline. It wraps
// [secret.ErrUnavailable] and the cause.
type LimitError struct {
	Store    string
	What     string // "fetch" or "version probe"
	Rate     float64
	Burst    int
	InFlight int // set when the in-flight bound was full
	Err      error
}

// Error implements error.
func (e *LimitError) Error() string {
	if e.InFlight > 0 {
		return fmt.Sprintf("store %q: %s: %d calls already in flight (protection.max_in_flight) until the deadline: %v", e.Store, e.What, e.InFlight, e.Err)
	}
	return fmt.Sprintf("store %q: %s: the request rate limit (%g/s, burst %d; protection.rate) would delay it past the deadline: %v", e.Store, e.What, e.Rate, e.Burst, e.Err)
}

// Unwrap returns [secret.ErrUnavailable] and the cause.
func (e *LimitError) Unwrap() []error { return []error{secret.ErrUnavailable, e.Err} }
