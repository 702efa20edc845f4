// Package memstore is an in-memory [secret.Store] for the tests of the
// layers above a store (protect, cache, resolver, the agent): it holds
// versioned values, counts the calls made to it, and answers as a backend
// in trouble would — throttled with a Retry-After, briefly unavailable,
// slow, refusing a method — without linking any cloud SDK.
//
// What a particular cloud answers (its throttling codes, its Retry-After
// header) is tested in that cloud's provider, against its loopback fake;
// this store stands for any of them.
//
// A [Store] is safe for concurrent use; every method may be called from
// any goroutine, including while a Get is in flight.
package memstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/latchkey/latchkey/secret"
)

// Method names a call a [Store] counts and can be told to fail.
type Method string

// The methods of a [Store] that reach its "backend".
const (
	Get            Method = "Get"
	CurrentVersion Method = "CurrentVersion"
)

// Store holds secrets in memory. It implements [secret.Versioner]: a
// version is "v1", "v2", … in the order [Store.Put] added them. The zero
// value is not usable; call [New].
type Store struct {
	mu      sync.Mutex
	secrets map[string][]string // name → values, oldest first
	next    map[string][]error  // name → errors for its next Gets
	failing map[Method]error    // every call of the method fails
	slow    map[string]bool     // Gets of the name wait for their context
	counts  map[Method]int
	closed  bool
}

// New returns an empty store.
func New() *Store {
	return &Store{
		secrets: map[string][]string{},
		next:    map[string][]error{},
		failing: map[Method]error{},
		slow:    map[string]bool{},
		counts:  map[Method]int{},
	}
}

// Put adds value as the current version of name and returns its version.
func (s *Store) Put(name, value string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.secrets[name] = append(s.secrets[name], value)
	return "v" + strconv.Itoa(len(s.secrets[name]))
}

// FailNext makes the next n Gets of name fail with err (wrapped with the
// secret's name), before any other check: each counts as a call.
func (s *Store) FailNext(name string, n int, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.next[name] = append(s.next[name], err)
	}
}

// FailMethod makes every call of m fail with err, until called with nil.
func (s *Store) FailMethod(m Method, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil {
		delete(s.failing, m)
		return
	}
	s.failing[m] = err
}

// Slow makes every Get of name wait until its context ends, as a backend
// that never answers: the call fails with the context's error.
func (s *Store) Slow(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.slow[name] = true
}

// Count returns how many calls of m reached the store, failed ones
// included.
func (s *Store) Count(m Method) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[m]
}

// Get returns the version of req.Name that req.Version names (its current
// one when empty), reporting that version as the clouds' stores do.
func (s *Store) Get(ctx context.Context, req secret.Request) (secret.Result, error) {
	v, ver, err := s.lookup(ctx, Get, req)
	if err != nil {
		return secret.Result{}, err
	}
	res := secret.Result{Value: secret.StringValue(v)}
	res.SetVersion(ver)
	return res, nil
}

// CurrentVersion returns the version of req.Name that req.Version names
// (its current one when empty), without its value.
func (s *Store) CurrentVersion(ctx context.Context, req secret.Request) (secret.FetchInfo, error) {
	var info secret.FetchInfo
	_, ver, err := s.lookup(ctx, CurrentVersion, req)
	if err == nil {
		info.SetVersion(ver)
	}
	return info, err
}

// Close marks the store closed: every later call fails.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

func (s *Store) lookup(ctx context.Context, m Method, req secret.Request) (value, version string, err error) {
	s.mu.Lock()
	s.counts[m]++
	slow := m == Get && s.slow[req.Name]
	var fault error
	if m == Get && len(s.next[req.Name]) > 0 {
		fault, s.next[req.Name] = s.next[req.Name][0], s.next[req.Name][1:]
	} else if f := s.failing[m]; f != nil {
		fault = f
	}
	s.mu.Unlock()
	if fault != nil {
		return "", "", fmt.Errorf("memstore: secret %q: %w", req.Name, fault)
	}
	if slow {
		<-ctx.Done()
	}
	if err := ctx.Err(); err != nil {
		return "", "", fmt.Errorf("memstore: secret %q: %w", req.Name, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return "", "", fmt.Errorf("memstore: secret %q: store closed: %w", req.Name, secret.ErrUnavailable)
	}
	versions := s.secrets[req.Name]
	i := len(versions) - 1
	if req.Version != "" {
		i = -1
		if n, ok := strings.CutPrefix(req.Version, "v"); ok {
			if n, err := strconv.Atoi(n); err == nil {
				i = n - 1
			}
		}
	}
	if i < 0 || i >= len(versions) {
		if req.Version != "" {
			return "", "", fmt.Errorf("memstore: secret %q version %q: %w", req.Name, req.Version, secret.ErrNotFound)
		}
		return "", "", fmt.Errorf("memstore: secret %q: %w", req.Name, secret.ErrNotFound)
	}
	return versions[i], "v" + strconv.Itoa(i+1), nil
}

// The failures below are what a [Store] can be told to answer with: a
// [*secret.StoreError] whose message is the backend's name for the failure
// (e.g. "Throttled"), whose Kind is the [secret] kind it stands for, and
// whose Wait is the Retry-After when the backend sent one.

// Throttled is the answer of a backend over its rate: unavailable, asking
// the client to wait after (0: no Retry-After).
func Throttled(after time.Duration) *secret.StoreError {
	msg := "Throttled"
	if after > 0 {
		msg = fmt.Sprintf("Throttled (retry after %s)", after)
	}
	return &secret.StoreError{Msg: msg, Kind: secret.ErrUnavailable, Wait: after}
}

// Transient is a backend's passing failure (a 500, a reset connection):
// unavailable, with no Retry-After.
func Transient() *secret.StoreError {
	return &secret.StoreError{Msg: "InternalError", Kind: secret.ErrUnavailable}
}

// Denied is a backend refusing the store's identity.
func Denied() *secret.StoreError {
	return &secret.StoreError{Msg: "AccessDenied", Kind: secret.ErrPermissionDenied}
}
