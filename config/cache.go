package config

import (
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/latchkey/latchkey/cache"
	"github.com/latchkey/latchkey/resolver"

	"github.com/latchkey/latchkey/internal/units"
)

// CacheConfig is one store's cache settings: the top-level cache section
// with the store's own cache section over it, key by key.
type CacheConfig struct {
	// Enabled is the enabled setting; nil when neither section sets it, so
	// that the one-shot CLI ([Agent.ResolverConfig]) and the resident
	// agent ([Agent.CachedResolverConfig]) apply their own defaults.
	Enabled *bool
	// Options are the cache's settings (zero values: the cache package's
	// documented defaults).
	Options cache.Options
}

// cacheKeys are the keys of a cache section, sorted.
var cacheKeys = []string{"enabled", "error_backoff", "max_bytes", "max_entries", "max_stale", "negative_ttl", "refresh_ahead", "ttl"}

// cacheSection is a parsed cache section; nil fields were not set.
type cacheSection struct {
	enabled                                *bool
	ttl, maxStale, negativeTTL, refreshAhd *time.Duration
	errorBackoff                           *time.Duration
	maxEntries                             *int
	maxBytes                               *int64
}

// over returns c with base's settings where c sets none.
func (c cacheSection) over(base cacheSection) cacheSection {
	pick := func(a, b *time.Duration) *time.Duration {
		if a != nil {
			return a
		}
		return b
	}
	out := cacheSection{ttl: pick(c.ttl, base.ttl), maxStale: pick(c.maxStale, base.maxStale),
		negativeTTL: pick(c.negativeTTL, base.negativeTTL), refreshAhd: pick(c.refreshAhd, base.refreshAhd),
		errorBackoff: pick(c.errorBackoff, base.errorBackoff),
		enabled:      c.enabled, maxEntries: c.maxEntries, maxBytes: c.maxBytes}
	if out.enabled == nil {
		out.enabled = base.enabled
	}
	if out.maxEntries == nil {
		out.maxEntries = base.maxEntries
	}
	if out.maxBytes == nil {
		out.maxBytes = base.maxBytes
	}
	return out
}

func (c cacheSection) config() CacheConfig {
	cc := CacheConfig{Enabled: c.enabled}
	o := &cc.Options
	for _, d := range []struct {
		src *time.Duration
		dst *time.Duration
	}{{c.ttl, &o.TTL}, {c.maxStale, &o.MaxStale}, {c.negativeTTL, &o.NegativeTTL}, {c.refreshAhd, &o.RefreshAhead}, {c.errorBackoff, &o.ErrorBackoff}} {
		if d.src != nil {
			*d.dst = *d.src
		}
	}
	if c.maxEntries != nil {
		o.MaxEntries = *c.maxEntries
	}
	if c.maxBytes != nil {
		o.MaxBytes = *c.maxBytes
	}
	return cc
}

// parseCache reads the cache section at key, reporting each bad setting
// through bad.
func parseCache(key string, v any, bad func(key, format string, args ...any)) cacheSection {
	var c cacheSection
	m, ok := v.(map[string]any)
	if !ok {
		bad(key, "must be a map of cache settings (%s)", strings.Join(cacheKeys, ", "))
		return c
	}
	for _, k := range sortedKeys(m) {
		val, at := m[k], key+"."+k
		switch k {
		case "enabled":
			b, ok := units.Bool(val)
			if !ok {
				bad(at, "must be true or false")
				continue
			}
			c.enabled = &b
		case "ttl":
			d, ok := toDuration(val, false)
			if !ok || d < time.Second || d > cache.MaxTTL {
				bad(at, "must be a duration from 1s to %s, such as 5m (a bare number is seconds)", cache.MaxTTL)
				continue
			}
			c.ttl = &d
		case "error_backoff":
			d, ok := toDuration(val, false)
			if !ok || d == 0 {
				bad(at, "must be a positive duration such as 5s (a bare number is seconds)")
				continue
			}
			c.errorBackoff = &d
		case "max_stale", "negative_ttl", "refresh_ahead":
			d, ok := toDuration(val, true)
			if !ok {
				bad(at, "must be a duration such as 30s or 1h (a bare number is seconds), or off")
				continue
			}
			switch k {
			case "max_stale":
				c.maxStale = &d
			case "negative_ttl":
				c.negativeTTL = &d
			default:
				c.refreshAhd = &d
			}
		case "max_entries":
			n, ok := toInt(val)
			if !ok || n < 1 || n > 10_000_000 {
				bad(at, "must be a whole number from 1 to 10000000")
				continue
			}
			c.maxEntries = &n
		case "max_bytes":
			n, ok := toBytes(val)
			if !ok || n < 1 {
				bad(at, "must be a positive size in bytes, such as 67108864 or 64MiB (units B, KiB, MiB, GiB)")
				continue
			}
			c.maxBytes = &n
		default:
			bad(at, "unknown cache setting (known: %s)", strings.Join(cacheKeys, ", "))
		}
	}
	return c
}

// checkCache reports settings that are fine alone but not together
// (refresh_ahead beyond half the TTL), at the store's keys.
func checkCache(store string, cc CacheConfig, bad func(key, format string, args ...any)) {
	err := cc.Options.Validate()
	var se *cache.SettingError
	for _, e := range unjoin(err) {
		if errors.As(e, &se) {
			bad("stores."+store+".cache."+se.Key, "%s", se.Msg)
		}
	}
}

func unjoin(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// toDuration reads a duration ("5m"), a bare number of seconds, or, when
// offOK, "off" (returned as -1: the feature disabled).
func toDuration(v any, offOK bool) (time.Duration, bool) {
	if s, ok := v.(string); ok && offOK && strings.EqualFold(s, "off") {
		return -1, true
	}
	d, err := units.ParseDurationOrSeconds(v)
	return d, err == nil
}

// toBytes reads a number of bytes, or a number with a binary unit.
func toBytes(v any) (int64, bool) {
	n, err := units.ParseSize(v)
	return n, err == nil
}

// CachedResolverConfig is [Agent.ResolverConfig] for the resident agent:
// every store gets a cache unless its cache section (or the top-level one)
// says enabled: false.
func (a *Agent) CachedResolverConfig(log *slog.Logger) resolver.Config {
	return a.resolverConfig(log, true)
}

func (a *Agent) resolverConfig(log *slog.Logger, cacheByDefault bool) resolver.Config {
	stores := make(map[string]resolver.StoreConfig, len(a.Stores))
	for name, sc := range a.Stores {
		cc, ok := a.Cache[name]
		on := cacheByDefault
		if ok && cc.Enabled != nil {
			on = *cc.Enabled
		}
		if on {
			opts := cc.Options
			sc.Cache = &opts
		}
		stores[name] = sc
	}
	return resolver.Config{Stores: stores, DefaultStore: a.DefaultStore, Concurrency: a.Concurrency, Logger: log}
}
