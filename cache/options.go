package cache

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Defaults for the zero values of [Options].
const (
	// DefaultTTL is how long an answer is fresh: the AWS Secrets Manager
	// Agent's default.
	DefaultTTL = 300 * time.Second
	// MaxTTL is the longest TTL [Options.Validate] accepts, as the AWS
	// Secrets Manager Agent: a rotation reaches every caller within it.
	MaxTTL = time.Hour
	// DefaultMaxEntries bounds the entries of one store's cache.
	DefaultMaxEntries = 1000
	// DefaultMaxBytes bounds the bytes (values and keys) of one store's cache.
	DefaultMaxBytes = 64 << 20
	// DefaultMaxStale is how long past its TTL an entry may answer while the
	// store fails.
	DefaultMaxStale = time.Hour
	// DefaultNegativeTTL is how long a "not found" is remembered.
	DefaultNegativeTTL = 5 * time.Second
	// DefaultErrorBackoff is how long stale answers are given without
	// asking a failing store again.
	DefaultErrorBackoff = 5 * time.Second
	// DefaultRefreshConcurrency bounds the background refreshes in flight.
	DefaultRefreshConcurrency = 4
	// DefaultRefreshTimeout bounds one background refresh.
	DefaultRefreshTimeout = 30 * time.Second
)

// Options configures a [Store]. The zero value of every field is a
// documented default; a negative duration disables the feature where
// that is said.
type Options struct {
	// Name is the store's name in the agent config; errors and logs carry
	// it (default "cache").
	Name string
	// TTL is how long an answer is served without asking the store
	// (0: DefaultTTL; negative: DefaultTTL).
	TTL time.Duration
	// MaxEntries bounds the number of entries, negative ones included
	// (0: DefaultMaxEntries). The least recently used entry is evicted first.
	MaxEntries int
	// MaxBytes bounds the bytes of values and keys held (0:
	// DefaultMaxBytes). A value larger than MaxBytes is served but not kept.
	MaxBytes int64
	// MaxStale is how long past its TTL an entry may still answer while the
	// store fails with an error that says it could not answer
	// (0: DefaultMaxStale; negative: never answer stale).
	MaxStale time.Duration
	// NegativeTTL is how long a not-found answer is remembered
	// (0: DefaultNegativeTTL; negative: not remembered).
	NegativeTTL time.Duration
	// RefreshAhead refreshes, in the background, an entry that is used
	// this long or less before it expires, so that a secret in use never
	// costs a caller a fetch (0: TTL/5; negative: no refresh-ahead). It is
	// at most TTL/2.
	RefreshAhead time.Duration
	// ErrorBackoff is how long, after a failed fetch was answered from a
	// stale entry, further requests for it are answered stale without
	// asking the store again, so that a backend that fails fast is not
	// asked at the request rate (0: DefaultErrorBackoff; at most the TTL).
	ErrorBackoff time.Duration
	// RefreshConcurrency bounds the background refreshes in flight; a
	// refresh that finds no slot is skipped and the entry is fetched when
	// it expires (0: DefaultRefreshConcurrency).
	RefreshConcurrency int
	// RefreshTimeout bounds one background refresh (0: DefaultRefreshTimeout).
	RefreshTimeout time.Duration
	// LeaveOpen makes Close leave the wrapped store open, for a store
	// whose owner closes it (default: Close closes it).
	LeaveOpen bool
	// Now returns the current time (default time.Now); for tests.
	Now func() time.Time
	// Logger receives debug records (never values, never secret names at
	// levels above debug); default discard.
	Logger *slog.Logger
}

// Validate reports every setting out of range, joined: the config loader
// calls it so that a typo fails loudly. [New] does not fail; it applies
// the documented defaults and bounds instead.
func (o Options) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, &SettingError{Key: key, Msg: fmt.Sprintf(format, args...)})
	}
	if o.TTL < 0 || o.TTL > MaxTTL {
		bad("ttl", "must be a duration from 1s to %s (0 or unset: %s)", MaxTTL, DefaultTTL)
	} else if o.TTL > 0 && o.TTL < time.Second {
		bad("ttl", "must be at least 1s")
	}
	if o.MaxEntries < 0 {
		bad("max_entries", "must be a positive number of entries (unset: %d)", DefaultMaxEntries)
	}
	if o.MaxBytes < 0 {
		bad("max_bytes", "must be a positive number of bytes (unset: %d)", DefaultMaxBytes)
	}
	ttl := o.TTL
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	if o.RefreshAhead > ttl/2 {
		bad("refresh_ahead", "must be at most half the TTL (%s)", ttl/2)
	}
	if o.RefreshConcurrency < 0 {
		bad("refresh_concurrency", "must be a positive number")
	}
	if o.ErrorBackoff < 0 {
		bad("error_backoff", "must be a positive duration")
	}
	if o.RefreshTimeout < 0 {
		bad("refresh_timeout", "must be a positive duration")
	}
	return errors.Join(errs...)
}

// SettingError is one bad cache setting ([Options] or [Settings]); Key is
// its name in the agent config's cache section ("" for the section
// itself).
type SettingError struct {
	Key string
	Msg string
}

// Error implements error.
func (e *SettingError) Error() string {
	if e.Key == "" {
		return "cache settings: " + e.Msg
	}
	return fmt.Sprintf("cache setting %q: %s", e.Key, e.Msg)
}

// settings is Options with the defaults applied.
type settings struct {
	name               string
	ttl                time.Duration
	maxEntries         int
	maxBytes           int64
	maxStale           time.Duration // < 0: none
	negativeTTL        time.Duration // <= 0: none
	refreshAhead       time.Duration // <= 0: none
	errorBackoff       time.Duration
	refreshConcurrency int
	refreshTimeout     time.Duration
	leaveOpen          bool
	now                func() time.Time
	log                *slog.Logger
}

func (o Options) settings() settings {
	s := settings{
		name: o.Name, ttl: o.TTL, maxEntries: o.MaxEntries, maxBytes: o.MaxBytes,
		maxStale: o.MaxStale, negativeTTL: o.NegativeTTL, refreshAhead: o.RefreshAhead,
		errorBackoff: o.ErrorBackoff, refreshConcurrency: o.RefreshConcurrency, refreshTimeout: o.RefreshTimeout,
		leaveOpen: o.LeaveOpen, now: o.Now, log: o.Logger,
	}
	if s.name == "" {
		s.name = "cache"
	}
	if s.ttl <= 0 {
		s.ttl = DefaultTTL
	}
	if s.maxEntries <= 0 {
		s.maxEntries = DefaultMaxEntries
	}
	if s.maxBytes <= 0 {
		s.maxBytes = DefaultMaxBytes
	}
	if s.maxStale == 0 {
		s.maxStale = DefaultMaxStale
	}
	if s.negativeTTL == 0 {
		s.negativeTTL = DefaultNegativeTTL
	}
	if s.negativeTTL > s.ttl {
		s.negativeTTL = s.ttl
	}
	if s.refreshAhead == 0 {
		s.refreshAhead = s.ttl / 5
	}
	if s.refreshAhead > s.ttl/2 {
		s.refreshAhead = s.ttl / 2
	}
	if s.errorBackoff <= 0 {
		s.errorBackoff = DefaultErrorBackoff
	}
	if s.errorBackoff > s.ttl {
		s.errorBackoff = s.ttl
	}
	if s.refreshConcurrency <= 0 {
		s.refreshConcurrency = DefaultRefreshConcurrency
	}
	if s.refreshTimeout <= 0 {
		s.refreshTimeout = DefaultRefreshTimeout
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s
}
