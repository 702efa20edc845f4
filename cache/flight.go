package cache

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/latchkey/latchkey/secret"
)

// flight is one call to the store that every concurrent caller of the same
// key waits for. It runs in its own goroutine, under a context that only
// Close, or the departure of every waiter, cancels: one caller giving up
// does not fail the others.
type flight struct {
	done       chan struct{}
	cancel     context.CancelFunc
	waiters    int  // guarded by Store.mu
	background bool // a refresh-ahead: no waiter's departure cancels it

	// Set by the flight before done is closed.
	val      secret.Value
	err      error
	status   secret.CacheStatus
	upstream int
	outbound []secret.Outbound
	version  string
	detail   *secret.VersionDetail
	// versionRefused is why the store's version was refused
	// (secret.FetchInfo.SetVersion), passed on to every waiter.
	versionRefused error
}

// StaleError is returned when the store fails and the cached entry expired
// longer ago than [Options.MaxStale] allows: the cache fails closed rather
// than serve it. It wraps the store's error.
type StaleError struct {
	Store    string
	Age      time.Duration // how long ago the entry expired
	MaxStale time.Duration // the bound; negative: stale answers are disabled
	Err      error
}

// Error implements error. It names the store and the staleness, never a value.
func (e *StaleError) Error() string {
	bound := "max_stale " + e.MaxStale.String()
	if e.MaxStale < 0 {
		bound = "stale answers are disabled (max_stale < 0)"
	}
	return fmt.Sprintf("store %q: the store failed and its cached value expired %s ago, beyond %s, so it is not served: %v",
		e.Store, e.Age.Round(time.Second), bound, e.Err)
}

// Unwrap returns the store's error.
func (e *StaleError) Unwrap() error { return e.Err }

// fill answers a miss (or a bypass) by joining the flight for key or
// starting one.
func (s *Store) fill(ctx context.Context, key string, req secret.Request, bypass bool) (secret.Result, error) {
	fkey := key
	if bypass {
		fkey = "refresh\x00" + key
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return secret.Result{}, s.closedError()
	}
	f, joined := s.flights[fkey]
	if !joined {
		f = s.start(ctx, fkey, key, req, bypass, false)
	}
	f.waiters++
	s.mu.Unlock()

	select {
	case <-f.done:
	case <-ctx.Done():
		s.leave(fkey, f)
		return secret.Result{}, fmt.Errorf("store %q: %w", s.set.name, ctx.Err())
	}
	status := f.status
	switch {
	case joined && status != secret.CacheStale && status != secret.CacheNegative:
		status = secret.CacheShared
		s.c.shared.Add(1)
	case !joined && bypass:
		// counted in bypasses
	case !joined:
		s.c.misses.Add(1)
	}
	var r secret.Result
	answer(&r, f.val, status, f.version, f.detail)
	r.VersionRefused = f.versionRefused
	if !joined {
		// Reported by the caller that made the store call only; the
		// flight does not touch them once done.
		r.Upstream, r.Outbound = f.upstream, f.outbound
	}
	return r, f.err
}

// leave is called by a waiter that gives up; the last one cancels the
// flight, and a new caller starts another.
func (s *Store) leave(fkey string, f *flight) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f.waiters--
	if f.waiters == 0 && !f.background {
		if s.flights[fkey] == f {
			delete(s.flights, fkey)
		}
		f.cancel()
	}
}

// start registers and launches a flight. s.mu must be held.
func (s *Store) start(ctx context.Context, fkey, key string, req secret.Request, bypass, background bool) *flight {
	var fctx context.Context
	var cancel context.CancelFunc
	if background {
		fctx, cancel = context.WithTimeout(s.bg, s.set.refreshTimeout)
	} else {
		// The first caller's values without its cancellation; Close
		// still cancels it.
		fctx, cancel = context.WithCancel(context.WithoutCancel(ctx))
	}
	f := &flight{done: make(chan struct{}), cancel: cancel, background: background}
	s.flights[fkey] = f
	gen := s.gen
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		stop := context.AfterFunc(s.bg, cancel)
		defer stop()
		defer cancel()
		s.run(fctx, f, gen, key, req, bypass)
		s.mu.Lock()
		if s.flights[fkey] == f {
			delete(s.flights, fkey)
		}
		if e := s.entries[key]; e != nil && background {
			e.refreshing = false
		}
		s.mu.Unlock()
		close(f.done)
	}()
	return f
}

// run does a flight's work: a version check when the store has one and an
// entry with a known version exists, else a fetch; then it keeps the answer
// (unless an invalidation happened meanwhile) or decides whether a stale
// entry may answer.
func (s *Store) run(ctx context.Context, f *flight, gen uint64, key string, req secret.Request, bypass bool) {
	f.status = secret.CacheMiss
	if bypass {
		f.status = secret.CacheRefresh
	}
	if s.ver != nil && !bypass && s.checkVersion(ctx, f, gen, key, req) {
		return
	}
	var res secret.Result
	var err error
	// The version the store says it answered with; without one, an
	// expired entry is fetched again rather than checked.
	f.version = s.call(f, func() secret.FetchInfo { res, err = s.fetch(ctx, req); return res.FetchInfo })
	now := s.set.now()
	if err == nil {
		v := res.Value
		f.val = v
		// Keyed again: the store may have learned a better key from its
		// answer (an AWS name's account).
		k2 := s.secretKey(req)
		buf := v.Reveal()
		s.mu.Lock()
		if s.closed || s.gen != gen {
			clear(buf)
		} else {
			if k2 != key {
				if old := s.entries[key]; old != nil {
					s.remove(old)
				}
			}
			s.put(k2, req, buf, nil, f.version, f.detail, now)
		}
		s.mu.Unlock()
		if f.background {
			s.c.refreshes.Add(1)
		}
		return
	}
	s.c.upstreamErrors.Add(1)
	s.failed(f, gen, key, req, err, bypass, now)
}

// call runs one store call, adds the upstream calls its FetchInfo counts
// (its retries; one when it counts none) and its outbound requests to the
// flight, and returns the version it recorded.
func (s *Store) call(f *flight, fn func() secret.FetchInfo) string {
	info := fn()
	up := max(info.Upstream, 1)
	f.upstream += up
	s.c.upstream.Add(uint64(up))
	f.outbound = append(f.outbound, info.Outbound...)
	f.detail = info.Detail
	if info.VersionRefused != nil {
		f.versionRefused = info.VersionRefused
	}
	return info.Version()
}

// fetch calls the store, turning a panic into an error: a store bug must
// not take the agent down. The panic value is not reported: it could hold
// a secret.
func (s *Store) fetch(ctx context.Context, req secret.Request) (r secret.Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("store %q panicked (a bug in the store; report it): %w", s.set.name, secret.ErrUnavailable)
		}
	}()
	return s.up.Get(ctx, req)
}

// checkVersion renews an expired entry whose version the store says is
// unchanged, and reports whether it did.
func (s *Store) checkVersion(ctx context.Context, f *flight, gen uint64, key string, req secret.Request) bool {
	s.mu.Lock()
	e := s.entries[key]
	old := ""
	if e != nil && !e.negative {
		old = e.version
	}
	s.mu.Unlock()
	if old == "" {
		return false
	}
	s.c.versionChecks.Add(1)
	var err error
	cur := s.call(f, func() (info secret.FetchInfo) { info, err = s.ver.CurrentVersion(ctx, req); return info })
	if err != nil || cur != old {
		return false // the fetch decides, and reports any error
	}
	now := s.set.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	e = s.entries[key]
	if s.closed || s.gen != gen || e == nil || e.negative || e.version != old {
		return false
	}
	e.expires = now.Add(s.set.ttl)
	s.lru.MoveToFront(e.elem)
	f.val = secret.NewValue(e.buf)
	f.version, f.detail = old, e.detail
	s.c.versionUnchanged.Add(1)
	if f.background {
		s.c.refreshes.Add(1)
	}
	return true
}

// failed decides what a failed fetch answers: a not-found is remembered
// for the negative TTL, a refusal drops the entry, a failure to answer is
// served stale within MaxStale.
func (s *Store) failed(f *flight, gen uint64, key string, req secret.Request, err error, bypass bool, now time.Time) {
	f.err = err
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.entries[key]
	current := !s.closed && s.gen == gen
	switch {
	case errors.Is(err, secret.ErrNotFound):
		if e != nil {
			s.remove(e)
		}
		if current && s.set.negativeTTL > 0 {
			s.put(key, req, nil, err, "", nil, now)
		}
	case errors.Is(err, secret.ErrPermissionDenied), errors.Is(err, secret.ErrNotAllowed),
		errors.Is(err, secret.ErrInvalidConfig):
		// Revoked access takes effect now, not after max_stale.
		if e != nil {
			s.remove(e)
		}
	case errors.Is(err, context.Canceled), bypass, e == nil, e.negative:
	case now.Before(e.expires):
		// A refresh-ahead failed while the entry is still fresh.
		f.val, f.err, f.status = secret.NewValue(e.buf), nil, secret.CacheHit
		f.version, f.detail = e.version, e.detail
	default:
		age := now.Sub(e.expires)
		if s.set.maxStale >= 0 && age <= s.set.maxStale {
			f.val, f.err, f.status = secret.NewValue(e.buf), nil, secret.CacheStale
			f.version, f.detail = e.version, e.detail // the answer's, not the failed call's
			e.retryAt = now.Add(s.set.errorBackoff)
			s.c.stale.Add(1)
			s.set.log.Debug("store failed; answering from a stale entry", "store", s.set.name, "expired_ago", age, "error", err)
			return
		}
		s.remove(e)
		f.err = &StaleError{Store: s.set.name, Age: age, MaxStale: s.set.maxStale, Err: err}
	}
}

// refreshAhead starts a background refresh of key when a slot is free.
func (s *Store) refreshAhead(key string, req secret.Request) {
	select {
	case s.refreshSem <- struct{}{}:
	default:
		s.mu.Lock()
		if e := s.entries[key]; e != nil {
			e.refreshing = false
		}
		s.mu.Unlock()
		s.c.refreshSkipped.Add(1)
		return
	}
	s.mu.Lock()
	if _, busy := s.flights[key]; busy || s.closed {
		s.mu.Unlock()
		<-s.refreshSem
		return
	}
	f := s.start(s.bg, key, key, req, false, true)
	s.mu.Unlock()
	go func() {
		<-f.done
		<-s.refreshSem
	}()
}
