package cache

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/latchkey/latchkey/internal/units"
)

// Settings is a cache section of the agent config: the top-level one,
// which every store gets, or a store's own, which overrides it key by key
// ([Settings.Over]):
//
//	cache:
//	  enabled: true        # the one-shot CLI caches only when true; `latchkey serve` unless false
//	  ttl: 5m              # 1s to 1h (a bare number is seconds)
//	  max_entries: 1000    # 1 to 10000000
//	  max_bytes: 64MiB     # a number of bytes, or with B, KiB, MiB, GiB
//	  max_stale: 1h        # or off
//	  negative_ttl: 5s     # or off
//	  refresh_ahead: 1m    # or off; at most half the TTL
//	  error_backoff: 5s
//
// A nil field was not set; "off" is read as a negative duration, which
// [Options] documents as the feature turned off. See docs/cache.md.
type Settings struct {
	Enabled      *bool
	TTL          *time.Duration
	MaxEntries   *int
	MaxBytes     *int64
	MaxStale     *time.Duration
	NegativeTTL  *time.Duration
	RefreshAhead *time.Duration
	ErrorBackoff *time.Duration
}

// settingKeys are the keys of a cache section, sorted.
var settingKeys = []string{"enabled", "error_backoff", "max_bytes", "max_entries", "max_stale", "negative_ttl", "refresh_ahead", "ttl"}

// ParseSettings decodes a cache section as the config file, environment or
// overrides gave it (a map of decoded values). Every problem is reported,
// joined, as a *[SettingError] naming the key inside the section ("" for
// the section itself); the Settings hold what could be read. Settings that
// are fine alone but not together (refresh_ahead beyond half the TTL) are
// checked once the sections are merged, by [Options.Validate].
func ParseSettings(raw any) (Settings, error) {
	var s Settings
	m, ok := raw.(map[string]any)
	if !ok {
		return s, &SettingError{Msg: fmt.Sprintf("must be a map of cache settings (%s)", strings.Join(settingKeys, ", "))}
	}
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, &SettingError{Key: key, Msg: fmt.Sprintf(format, args...)})
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := m[k]
		switch k {
		case "enabled":
			if b, ok := units.Bool(v); ok {
				s.Enabled = &b
			} else {
				bad(k, "must be true or false")
			}
		case "ttl":
			if d, err := units.ParseDurationOrSeconds(v); err == nil && d >= time.Second && d <= MaxTTL {
				s.TTL = &d
			} else {
				bad(k, "must be a duration from 1s to %s, such as 5m (a bare number is seconds)", MaxTTL)
			}
		case "error_backoff":
			if d, err := units.ParseDurationOrSeconds(v); err == nil && d > 0 {
				s.ErrorBackoff = &d
			} else {
				bad(k, "must be a positive duration such as 5s (a bare number is seconds)")
			}
		case "max_stale", "negative_ttl", "refresh_ahead":
			d, ok := durationOrOff(v)
			if !ok {
				bad(k, "must be a duration such as 30s or 1h (a bare number is seconds), or off")
				continue
			}
			switch k {
			case "max_stale":
				s.MaxStale = &d
			case "negative_ttl":
				s.NegativeTTL = &d
			default:
				s.RefreshAhead = &d
			}
		case "max_entries":
			if n, ok := units.Int(v); ok && n >= 1 && n <= 10_000_000 {
				s.MaxEntries = &n
			} else {
				bad(k, "must be a whole number from 1 to 10000000")
			}
		case "max_bytes":
			if n, err := units.ParseSize(v); err == nil && n >= 1 {
				s.MaxBytes = &n
			} else {
				bad(k, "must be a positive size in bytes, such as 67108864 or 64MiB (units B, KiB, MiB, GiB)")
			}
		default:
			bad(k, "unknown cache setting (known: %s)", strings.Join(settingKeys, ", "))
		}
	}
	return s, errors.Join(errs...)
}

// durationOrOff reads a duration ("5m"), a bare number of seconds, or
// "off" (returned as -1: the feature turned off).
func durationOrOff(v any) (time.Duration, bool) {
	if s, ok := v.(string); ok && strings.EqualFold(s, "off") {
		return -1, true
	}
	d, err := units.ParseDurationOrSeconds(v)
	return d, err == nil
}

// Over returns s with base's settings where s sets none: a store's own
// section over the top-level one.
func (s Settings) Over(base Settings) Settings {
	out := s
	for _, f := range []struct{ dst, src **time.Duration }{
		{&out.TTL, &base.TTL}, {&out.MaxStale, &base.MaxStale}, {&out.NegativeTTL, &base.NegativeTTL},
		{&out.RefreshAhead, &base.RefreshAhead}, {&out.ErrorBackoff, &base.ErrorBackoff},
	} {
		if *f.dst == nil {
			*f.dst = *f.src
		}
	}
	if out.Enabled == nil {
		out.Enabled = base.Enabled
	}
	if out.MaxEntries == nil {
		out.MaxEntries = base.MaxEntries
	}
	if out.MaxBytes == nil {
		out.MaxBytes = base.MaxBytes
	}
	return out
}

// Options returns the cache options s sets; what it does not set is left
// zero, the documented default.
func (s Settings) Options() Options {
	var o Options
	for _, d := range []struct {
		src *time.Duration
		dst *time.Duration
	}{{s.TTL, &o.TTL}, {s.MaxStale, &o.MaxStale}, {s.NegativeTTL, &o.NegativeTTL}, {s.RefreshAhead, &o.RefreshAhead}, {s.ErrorBackoff, &o.ErrorBackoff}} {
		if d.src != nil {
			*d.dst = *d.src
		}
	}
	if s.MaxEntries != nil {
		o.MaxEntries = *s.MaxEntries
	}
	if s.MaxBytes != nil {
		o.MaxBytes = *s.MaxBytes
	}
	return o
}
