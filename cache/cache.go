package cache

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/latchkey/latchkey/secret"
)

// closeGrace bounds how long Close waits for fetches still running (a store
// that ignores its context) before it drops the entries and closes the store.
const closeGrace = time.Second

// Store is a caching [secret.Store]. Build it with [New]. It is safe for
// concurrent use. It implements [secret.Versioner] (passed through to the
// wrapped store, uncached); the wrapped store's [secret.Description] is
// reached through [Store.Unwrap] ([secret.As]), and its Key keys the
// entries ([Store.SecretKey]).
type Store struct {
	up  secret.Store
	key func(secret.Request) string // the wrapped store's Description.Key; nil: as written
	ver secret.Versioner            // nil: no version checks
	set settings

	bg         context.Context // canceled by Close
	stop       context.CancelFunc
	wg         sync.WaitGroup
	refreshSem chan struct{}

	mu      sync.Mutex
	closed  bool
	entries map[string]*entry
	lru     list.List // of *entry, most recently used first
	bytes   int64
	flights map[string]*flight
	gen     uint64 // bumped by every invalidation

	c counters
}

// entry is one cached answer: a value (buf) or a not-found (negative).
type entry struct {
	key        string
	req        secret.Request // as first fetched, for refreshes and invalidation
	buf        []byte         // the cache's own copy; zeroed when dropped
	negative   bool
	negErr     error
	expires    time.Time
	retryAt    time.Time             // after a stale answer: until then, answer stale without asking
	version    string                // from the store, when known
	detail     *secret.VersionDetail // shared with every answer; never modified
	elem       *list.Element
	refreshing bool
}

func (e *entry) size() int64 { return int64(len(e.buf) + len(e.key)) }

// New returns a cache in front of store, with opts' defaults applied (see
// [Options]). The cache owns store: its Close closes store, unless
// [Options.LeaveOpen] says otherwise.
func New(store secret.Store, opts Options) *Store {
	s := &Store{up: store, set: opts.settings(), entries: map[string]*entry{}, flights: map[string]*flight{}}
	s.key = secret.DescriptionOf(store).Key
	s.ver, _ = secret.VersionerOf(store)
	s.refreshSem = make(chan struct{}, s.set.refreshConcurrency)
	s.bg, s.stop = context.WithCancel(context.Background())
	s.wg.Add(1)
	go s.janitor()
	return s
}

type refreshKey struct{}

// WithRefresh returns a copy of ctx whose fetches bypass the cache: the
// store is asked, and its answer replaces the entry (the AWS Secrets
// Manager Agent's refreshNow=true). A failing store is then an error, never
// a stale answer: the caller asked for the store's word.
func WithRefresh(ctx context.Context) context.Context {
	return context.WithValue(ctx, refreshKey{}, true)
}

func refreshRequested(ctx context.Context) bool {
	b, _ := ctx.Value(refreshKey{}).(bool)
	return b
}

// secretKey returns the key the cache files req under: the wrapped
// store's ([secret.Description.Key]), or the request as written when the
// store has none.
func (s *Store) secretKey(req secret.Request) string {
	return secret.Description{Key: s.key}.SecretKey(req)
}

// CurrentVersion asks the wrapped store, uncached, and returns what its
// probe learned. It returns an error wrapping [errors.ErrUnsupported] when
// the store is not a [secret.Versioner].
func (s *Store) CurrentVersion(ctx context.Context, req secret.Request) (secret.FetchInfo, error) {
	if s.ver == nil {
		return secret.FetchInfo{}, fmt.Errorf("store %q cannot report versions: %w", s.set.name, errors.ErrUnsupported)
	}
	return s.ver.CurrentVersion(ctx, req)
}

// Unwrap returns the wrapped store.
func (s *Store) Unwrap() secret.Store { return s.up }

// Get answers from the cache when it holds a fresh entry for req's key,
// and otherwise asks the store once for all concurrent callers. The Value
// it returns is the caller's own copy. The Result says how the cache
// answered ([secret.FetchInfo.Cache]) and carries the version and detail
// kept with the value; the caller that made the store call (not one that
// joined it) also gets its upstream calls and outbound requests, so that
// each is reported once.
func (s *Store) Get(ctx context.Context, req secret.Request) (res secret.Result, err error) {
	if err := ctx.Err(); err != nil {
		return secret.Result{}, fmt.Errorf("store %q: %w", s.set.name, err)
	}
	key := s.secretKey(req)
	if refreshRequested(ctx) {
		s.c.bypasses.Add(1)
		return s.fill(ctx, key, req, true)
	}
	if ok, err := s.lookup(key, true, &res); ok {
		return res, err
	}
	return s.fill(ctx, key, req, false)
}

// Lookup answers req from a fresh entry, without calling the store or
// waiting for anything, and reports whether it could: it is Get's hit
// path, for a caller (the resolver) that saves a goroutine per hit. A
// remembered not-found, a bypass (WithRefresh) and a closed cache are
// not answered.
func (s *Store) Lookup(ctx context.Context, req secret.Request) (res secret.Result, ok bool) {
	if ctx.Err() != nil || refreshRequested(ctx) {
		return secret.Result{}, false
	}
	ok, _ = s.lookup(s.secretKey(req), false, &res)
	return res, ok
}

// lookup answers from a fresh entry for key into *out, counting the hit
// and starting a refresh-ahead when the entry is near its end; negative
// entries answer only when negOK. (An out parameter: the hit path is the
// cache's hottest, and a Result is worth not copying twice.)
func (s *Store) lookup(key string, negOK bool, out *secret.Result) (bool, error) {
	now := s.set.now()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		if negOK {
			return true, s.closedError()
		}
		return false, nil
	}
	e := s.entries[key]
	if e != nil && !e.negative && !now.Before(e.expires) && now.Before(e.retryAt) &&
		s.set.maxStale >= 0 && now.Sub(e.expires) <= s.set.maxStale {
		// The store failed moments ago: answer stale without asking again.
		s.lru.MoveToFront(e.elem)
		v := secret.NewValue(e.buf)
		version, detail := e.version, e.detail
		s.mu.Unlock()
		s.c.stale.Add(1)
		answer(out, v, secret.CacheStale, version, detail)
		return true, nil
	}
	if e == nil || !now.Before(e.expires) || e.negative && !negOK {
		s.mu.Unlock()
		return false, nil
	}
	s.lru.MoveToFront(e.elem)
	if e.negative {
		err := e.negErr
		s.mu.Unlock()
		s.c.negative.Add(1)
		out.Cache = secret.CacheNegative
		return true, err
	}
	v := secret.NewValue(e.buf) // copied under the lock: buf is zeroed when dropped
	version, detail := e.version, e.detail
	refresh := s.set.refreshAhead > 0 && !e.refreshing && e.expires.Sub(now) <= s.set.refreshAhead
	if refresh {
		e.refreshing = true
	}
	r := e.req
	s.mu.Unlock()
	if refresh {
		s.refreshAhead(key, r)
	}
	s.c.hits.Add(1)
	answer(out, v, secret.CacheHit, version, detail)
	return true, nil
}

// answer makes *out, a zero Result, the cache's answer: v, with the
// version and detail kept with it. It sets fields in place rather than
// copying a whole Result: the hit path is the cache's hottest.
func answer(out *secret.Result, v secret.Value, status secret.CacheStatus, version string, detail *secret.VersionDetail) {
	out.Value, out.Cache, out.Detail = v, status, detail
	if version != "" {
		out.SetVersion(version)
	}
}

func (s *Store) closedError() error {
	return fmt.Errorf("store %q: used after Close: %w", s.set.name, secret.ErrUnavailable)
}

// Invalidate drops the entries of the secret req names, under any spelling
// the store's key ([secret.Description.Key]) maps to the same key. With an
// empty req.Version it drops every version of the secret; with a version,
// that version only. A fetch in flight when Invalidate is called still answers
// its callers but is not kept. It returns the number of entries dropped.
func (s *Store) Invalidate(req secret.Request) int {
	key := s.secretKey(req)
	base := s.secretKey(secret.Request{Name: req.Name})
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen++
	n := 0
	for k, e := range s.entries {
		match := k == key || s.secretKey(e.req) == key
		if req.Version == "" && !match {
			match = s.secretKey(secret.Request{Name: e.req.Name}) == base
		}
		if match {
			s.remove(e)
			n++
		}
	}
	s.c.invalidations.Add(uint64(n))
	return n
}

// InvalidateAll drops every entry and returns how many there were.
func (s *Store) InvalidateAll() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen++
	n := len(s.entries)
	for _, e := range s.entries {
		s.remove(e)
	}
	s.c.invalidations.Add(uint64(n))
	return n
}

// Close stops background refreshes, overwrites and drops every entry, and
// closes the wrapped store (unless [Options.LeaveOpen]). No Get may start
// after Close; one in flight fails or answers without being kept.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	s.stop()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	t := time.NewTimer(closeGrace)
	select {
	case <-done:
	case <-t.C:
		s.set.log.Warn("cache closed while a fetch that ignores its context is still running", "store", s.set.name)
	}
	t.Stop()
	s.mu.Lock()
	for _, e := range s.entries {
		s.remove(e)
	}
	s.mu.Unlock()
	if s.set.leaveOpen {
		return nil
	}
	return s.up.Close()
}

// remove drops e and overwrites its value. s.mu must be held.
func (s *Store) remove(e *entry) {
	if s.entries[e.key] == e {
		delete(s.entries, e.key)
	}
	s.lru.Remove(e.elem)
	s.bytes -= e.size()
	clear(e.buf)
	e.buf = nil
	e.negErr = nil
}

// put keeps an answer under key, evicting the least recently used entries
// beyond the bounds. s.mu must be held.
func (s *Store) put(key string, req secret.Request, buf []byte, negErr error, version string, detail *secret.VersionDetail, now time.Time) {
	if old := s.entries[key]; old != nil {
		s.remove(old)
	}
	e := &entry{key: key, req: req, buf: buf, negative: negErr != nil, negErr: negErr, version: version, detail: detail}
	if e.negative {
		e.expires = now.Add(s.set.negativeTTL)
	} else {
		e.expires = now.Add(s.set.ttl)
	}
	if e.size() > s.set.maxBytes {
		clear(buf)
		s.c.tooLarge.Add(1)
		return
	}
	s.entries[key] = e
	e.elem = s.lru.PushFront(e)
	s.bytes += e.size()
	for len(s.entries) > s.set.maxEntries || s.bytes > s.set.maxBytes {
		last := s.lru.Back().Value.(*entry)
		s.remove(last)
		s.c.evictions.Add(1)
	}
}

// janitor drops, every sweep interval, the entries too old to answer even
// stale, so that their values do not linger until evicted.
func (s *Store) janitor() {
	defer s.wg.Done()
	every := min(s.set.ttl, time.Minute)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-s.bg.Done():
			return
		case <-t.C:
			s.sweep(s.set.now())
		}
	}
}

// sweep drops the entries that can no longer answer at now.
func (s *Store) sweep(now time.Time) int {
	grace := max(s.set.maxStale, 0)
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, e := range s.entries {
		limit := e.expires
		if !e.negative {
			limit = limit.Add(grace)
		}
		if now.After(limit) {
			s.remove(e)
			n++
		}
	}
	s.c.expired.Add(uint64(n))
	return n
}
