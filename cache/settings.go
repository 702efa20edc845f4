package cache

import (
	"errors"
	"fmt"
	"slices"
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
	Enabled      *bool          `json:"enabled" units:"str"`
	TTL          *time.Duration `json:"ttl" units:"seconds"`
	MaxEntries   *int           `json:"max_entries" units:"str"`
	MaxBytes     *int64         `json:"max_bytes" units:"size"`
	MaxStale     *time.Duration `json:"max_stale" units:"seconds,off"`
	NegativeTTL  *time.Duration `json:"negative_ttl" units:"seconds,off"`
	RefreshAhead *time.Duration `json:"refresh_ahead" units:"seconds,off"`
	ErrorBackoff *time.Duration `json:"error_backoff" units:"seconds"`
}

// settingKeys are the keys of a cache section, sorted.
var settingKeys = units.Fields(Settings{})

// settingMsgs is what each setting says of a value it cannot take, whether
// the value does not parse (ParseSettings) or is out of range (Validate).
var settingMsgs = map[string]string{
	"enabled":       "must be true or false",
	"ttl":           fmt.Sprintf("must be a duration from 1s to %s, such as 5m (a bare number is seconds)", MaxTTL),
	"error_backoff": "must be a positive duration such as 5s (a bare number is seconds)",
	"max_stale":     offMsg,
	"negative_ttl":  offMsg,
	"refresh_ahead": offMsg,
	"max_entries":   "must be a whole number from 1 to 10000000",
	"max_bytes":     "must be a positive size in bytes, such as 67108864 or 64MiB (units B, KiB, MiB, GiB)",
}

const offMsg = "must be a duration such as 30s or 1h (a bare number is seconds), or off"

// ParseSettings decodes a cache section as the config file, environment or
// overrides gave it (a map of decoded values), strictly (units.Decode),
// then checks it ([Settings.Validate]). Every problem is reported, joined,
// as a *[SettingError] naming the key inside the section ("" for the
// section itself), in the order of the keys; the Settings hold what could
// be read. Settings that are fine alone but not together (refresh_ahead
// beyond half the TTL) are checked once the sections are merged, by
// [Options.Validate].
func ParseSettings(raw any) (Settings, error) {
	var s Settings
	m, ok := raw.(map[string]any)
	if !ok {
		return s, &SettingError{Msg: fmt.Sprintf("must be a map of cache settings (%s)", strings.Join(settingKeys, ", "))}
	}
	var errs []*SettingError
	for k, v := range m {
		if v == nil && settingMsgs[k] != "" { // a key written without a value
			errs = append(errs, &SettingError{Key: k, Msg: settingMsgs[k]})
		}
	}
	if err := units.Decode(m, &s); err != nil {
		for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
			de := e.(*units.DecodeError)
			msg := settingMsgs[de.Key]
			if de.Known != nil {
				msg = fmt.Sprintf("unknown cache setting (known: %s)", strings.Join(de.Known, ", "))
			}
			errs = append(errs, &SettingError{Key: de.Key, Msg: msg})
		}
	}
	for _, c := range s.ranges() {
		if c.bad {
			errs = append(errs, &SettingError{Key: c.key, Msg: settingMsgs[c.key]})
			c.unset() // the Settings hold only what could be read
		}
	}
	slices.SortStableFunc(errs, func(a, b *SettingError) int { return strings.Compare(a.Key, b.Key) })
	out := make([]error, len(errs))
	for i, e := range errs {
		out[i] = e
	}
	return s, errors.Join(out...)
}

// Validate checks the range of each setting s sets, joining a
// *[SettingError] per setting out of range.
func (s Settings) Validate() error {
	var errs []error
	for _, c := range s.ranges() {
		if c.bad {
			errs = append(errs, &SettingError{Key: c.key, Msg: settingMsgs[c.key]})
		}
	}
	return errors.Join(errs...)
}

// rangeCheck is one setting's range check, and how to unset it.
type rangeCheck struct {
	key   string
	bad   bool
	unset func()
}

// ranges checks each setting s sets against its range; "off" is -1.
func (s *Settings) ranges() []rangeCheck {
	return []rangeCheck{
		{"ttl", s.TTL != nil && (*s.TTL < time.Second || *s.TTL > MaxTTL), func() { s.TTL = nil }},
		{"error_backoff", s.ErrorBackoff != nil && *s.ErrorBackoff <= 0, func() { s.ErrorBackoff = nil }},
		{"max_stale", s.MaxStale != nil && *s.MaxStale < -1, func() { s.MaxStale = nil }},
		{"negative_ttl", s.NegativeTTL != nil && *s.NegativeTTL < -1, func() { s.NegativeTTL = nil }},
		{"refresh_ahead", s.RefreshAhead != nil && *s.RefreshAhead < -1, func() { s.RefreshAhead = nil }},
		{"max_entries", s.MaxEntries != nil && (*s.MaxEntries < 1 || *s.MaxEntries > 10_000_000), func() { s.MaxEntries = nil }},
		{"max_bytes", s.MaxBytes != nil && *s.MaxBytes < 1, func() { s.MaxBytes = nil }},
	}
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
