package protect

import (
	"errors"
	"fmt"
	"time"

	"github.com/latchkey/latchkey/secret"

	"github.com/latchkey/latchkey/internal/units"
)

// Settings configures the protection of one store. The zero value of a
// field is not a default: start from [Defaults] and change what you need.
type Settings struct {
	// Disabled turns protection off: the store is used as is.
	Disabled bool `json:"-"`
	// Rate is the sustained number of calls per second sent to the store
	// (fetches and their retries); Burst is how many may go at once above
	// it after a quiet spell (the token bucket's size).
	Rate  float64 `json:"rate"`
	Burst int     `json:"burst"`
	// ProbeRate and ProbeBurst limit version probes (CurrentVersion) on a
	// bucket of their own: GCP's GetSecretVersion falls under a quota 150
	// times smaller than AccessSecretVersion's.
	ProbeRate  float64 `json:"probe_rate"`
	ProbeBurst int     `json:"probe_burst"`
	// MaxInFlight bounds the calls to the store at any one time.
	MaxInFlight int `json:"max_in_flight"`
	// Retry says how a failed call is tried again: at most Max more times,
	// after a delay drawn uniformly from [0, min(MaxDelay, BaseDelay·2ⁿ)]
	// ("full jitter"), or after the store's Retry-After when longer.
	Retry Retry `json:"retry"`
	// Breaker opens after Threshold consecutive unavailable answers and
	// fails every call fast for CoolOff; Threshold 0 turns it off.
	Breaker Breaker `json:"breaker"`
}

// Retry is the retry part of [Settings].
type Retry struct {
	Max       int           `json:"max"`
	BaseDelay time.Duration `json:"base_delay" eg:"200ms or 30s"`
	MaxDelay  time.Duration `json:"max_delay" eg:"200ms or 30s"`
}

// Breaker is the circuit-breaker part of [Settings].
type Breaker struct {
	Threshold int           `json:"threshold"`
	CoolOff   time.Duration `json:"cool_off" eg:"200ms or 30s"`
}

// Defaults returns the protection of a store of type typ: [For] of the
// [secret.Protection] the type registered, or of the zero value for a type
// that is not registered (a Store given as is).
func Defaults(typ string) Settings {
	t, _ := secret.LookupType(typ)
	return For(t.Protection)
}

// For returns the protection settings that follow from what a store type
// says about its backend. The rates are each provider's to choose, to keep
// one agent well under its service's published limits (docs/upstream.md
// lists them). What is left to this package:
//
//   - a type that states no rate: 100 calls/s, burst 50;
//   - probes follow the fetch rate unless the type gives them their own;
//   - 2 retries here, unless the type's client retries on its own (a
//     module's backend has no SDK retrying for it), then none;
//   - a type with no backend (pr.Off): protection disabled, and no
//     retries should it be enabled (nothing there is transient).
//
// Every type: 64 calls in flight, breaker after 5 consecutive unavailable
// answers for 30 s, back-off from 200 ms to 5 s.
func For(pr secret.Protection) Settings {
	s := Settings{
		Disabled: pr.Off,
		Rate:     100, Burst: 50, MaxInFlight: 64,
		Retry:   Retry{Max: 2, BaseDelay: 200 * time.Millisecond, MaxDelay: 5 * time.Second},
		Breaker: Breaker{Threshold: 5, CoolOff: 30 * time.Second},
	}
	if pr.Rate > 0 {
		s.Rate = pr.Rate
	}
	if pr.Burst > 0 {
		s.Burst = pr.Burst
	}
	if pr.ClientRetries || pr.Off {
		s.Retry.Max = 0
	}
	s.ProbeRate, s.ProbeBurst = s.Rate, s.Burst
	if pr.ProbeRate > 0 {
		s.ProbeRate = pr.ProbeRate
	}
	if pr.ProbeBurst > 0 {
		s.ProbeBurst = pr.ProbeBurst
	}
	return s
}

// Parse reads a store's `protection:` map over the defaults of its type
// and validates the result. Every problem is a [*secret.ConfigError]
// naming the store and the setting ("protection.retry.max"), joined.
func Parse(store, typ string, raw any) (Settings, error) {
	s := Defaults(typ)
	if raw == nil {
		return s, nil
	}
	if b, ok := raw.(bool); ok {
		s.Disabled = !b
		return s, nil
	}
	bad := func(key, msg string) error {
		return &secret.ConfigError{Store: store, Key: "protection" + key, Msg: msg}
	}
	m, ok := raw.(map[string]any)
	if !ok {
		return s, bad("", fmt.Sprintf("must be a map of settings (or true/false), not a %T", raw))
	}
	// The section is Settings' tagged fields over the type's defaults, and
	// enabled, which Settings keeps inverted as Disabled.
	in := struct {
		Enabled *bool `json:"enabled"`
		Settings
	}{Settings: s}
	var errs []error
	if err := units.Decode(m, &in); err != nil {
		for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
			de := e.(*units.DecodeError)
			msg := de.Msg
			if de.Known != nil {
				msg = "unknown setting (known: enabled, rate, burst, probe_rate, probe_burst, max_in_flight, retry.max, retry.base_delay, retry.max_delay, breaker.threshold, breaker.cool_off)"
			}
			errs = append(errs, bad("."+de.Key, msg))
		}
	}
	probeFollows := s.ProbeRate == s.Rate && s.ProbeBurst == s.Burst
	s = in.Settings
	if in.Enabled != nil {
		s.Disabled = !*in.Enabled
	}
	// Probes follow a rate and burst the section sets, unless the type's
	// probes have a bucket of their own or the section sets theirs.
	if probeFollows && m["probe_rate"] == nil {
		s.ProbeRate = s.Rate
	}
	if probeFollows && m["probe_burst"] == nil {
		s.ProbeBurst = s.Burst
	}
	if err := s.validate(store); err != nil {
		errs = append(errs, err.(interface{ Unwrap() []error }).Unwrap()...)
	}
	return s, errors.Join(errs...)
}

// Validate reports every setting out of range, as joined
// [*secret.ConfigError]s naming the store.
func (s Settings) Validate(store string) error { return s.validate(store) }

func (s Settings) validate(store string) error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, &secret.ConfigError{Store: store, Key: "protection." + key, Msg: fmt.Sprintf(format, args...)})
	}
	if s.Rate <= 0 || s.Rate > 100000 {
		bad("rate", "must be from 0.001 to 100000 calls per second, not %g (to switch protection off write enabled: false)", s.Rate)
	}
	if s.Burst < 1 || s.Burst > 100000 {
		bad("burst", "must be from 1 to 100000, not %d", s.Burst)
	}
	probeOwn := s.ProbeRate != s.Rate || s.ProbeBurst != s.Burst // else reported as rate and burst
	if probeOwn && (s.ProbeRate <= 0 || s.ProbeRate > 100000) {
		bad("probe_rate", "must be from 0.001 to 100000 calls per second, not %g", s.ProbeRate)
	}
	if probeOwn && (s.ProbeBurst < 1 || s.ProbeBurst > 100000) {
		bad("probe_burst", "must be from 1 to 100000, not %d", s.ProbeBurst)
	}
	if s.MaxInFlight < 1 || s.MaxInFlight > 10000 {
		bad("max_in_flight", "must be from 1 to 10000, not %d", s.MaxInFlight)
	}
	if s.Retry.Max < 0 || s.Retry.Max > 10 {
		bad("retry.max", "must be from 0 (no retries here; the store's SDK may retry) to 10, not %d", s.Retry.Max)
	}
	if s.Retry.BaseDelay < time.Millisecond {
		bad("retry.base_delay", "must be at least 1ms, not %s", s.Retry.BaseDelay)
	}
	if s.Retry.MaxDelay < s.Retry.BaseDelay || s.Retry.MaxDelay > 10*time.Minute {
		bad("retry.max_delay", "must be from retry.base_delay (%s) to 10m, not %s", s.Retry.BaseDelay, s.Retry.MaxDelay)
	}
	if s.Breaker.Threshold < 0 || s.Breaker.Threshold > 1000 {
		bad("breaker.threshold", "must be from 0 (no breaker) to 1000, not %d", s.Breaker.Threshold)
	}
	if s.Breaker.Threshold > 0 && (s.Breaker.CoolOff < 100*time.Millisecond || s.Breaker.CoolOff > time.Hour) {
		bad("breaker.cool_off", "must be from 100ms to 1h, not %s", s.Breaker.CoolOff)
	}
	return errors.Join(errs...)
}
