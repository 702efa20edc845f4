package protect

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/latchkey/latchkey/secret"

	"github.com/latchkey/latchkey/internal/units"
)

// Settings configures the protection of one store. The zero value of a
// field is not a default: start from [Defaults] and change what you need.
type Settings struct {
	// Disabled turns protection off: the store is used as is.
	Disabled bool
	// Rate is the sustained number of calls per second sent to the store
	// (fetches and their retries); Burst is how many may go at once above
	// it after a quiet spell (the token bucket's size).
	Rate  float64
	Burst int
	// ProbeRate and ProbeBurst limit version probes (CurrentVersion) on a
	// bucket of their own: GCP's GetSecretVersion falls under a quota 150
	// times smaller than AccessSecretVersion's.
	ProbeRate  float64
	ProbeBurst int
	// MaxInFlight bounds the calls to the store at any one time.
	MaxInFlight int
	// Retry says how a failed call is tried again: at most Max more times,
	// after a delay drawn uniformly from [0, min(MaxDelay, BaseDelay·2ⁿ)]
	// ("full jitter"), or after the store's Retry-After when longer.
	Retry Retry
	// Breaker opens after Threshold consecutive unavailable answers and
	// fails every call fast for CoolOff; Threshold 0 turns it off.
	Breaker Breaker
}

// Retry is the retry part of [Settings].
type Retry struct {
	Max       int
	BaseDelay time.Duration
	MaxDelay  time.Duration
}

// Breaker is the circuit-breaker part of [Settings].
type Breaker struct {
	Threshold int
	CoolOff   time.Duration
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
	var in struct {
		Enabled     *bool    `json:"enabled"`
		Rate        *float64 `json:"rate"`
		Burst       *int     `json:"burst"`
		ProbeRate   *float64 `json:"probe_rate"`
		ProbeBurst  *int     `json:"probe_burst"`
		MaxInFlight *int     `json:"max_in_flight"`
		Retry       *struct {
			Max       *int    `json:"max"`
			BaseDelay *string `json:"base_delay"`
			MaxDelay  *string `json:"max_delay"`
		} `json:"retry"`
		Breaker *struct {
			Threshold *int    `json:"threshold"`
			CoolOff   *string `json:"cool_off"`
		} `json:"breaker"`
	}
	bad := func(key, msg string) error {
		return &secret.ConfigError{Store: store, Key: "protection" + key, Msg: msg}
	}
	data, err := json.Marshal(raw)
	if err != nil {
		return s, bad("", "cannot be read: "+err.Error())
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te):
			return s, bad("."+te.Field, fmt.Sprintf("must be a %s, not a %s", te.Type, te.Value))
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return s, bad("."+f, "unknown setting (known: enabled, rate, burst, probe_rate, probe_burst, max_in_flight, retry.max, retry.base_delay, retry.max_delay, breaker.threshold, breaker.cool_off)")
		}
		return s, bad("", "must be a map of settings (or true/false): "+err.Error())
	}
	var errs []error
	duration := func(key string, p *string, dst *time.Duration) {
		if p == nil {
			return
		}
		d, err := units.ParseDuration(*p)
		if err != nil {
			errs = append(errs, bad(key, fmt.Sprintf("%q is not a duration (write e.g. 200ms or 30s)", *p)))
			return
		}
		*dst = d
	}
	if in.Enabled != nil {
		s.Disabled = !*in.Enabled
	}
	probeFollows := s.ProbeRate == s.Rate && s.ProbeBurst == s.Burst
	if in.Rate != nil {
		s.Rate = *in.Rate
	}
	if in.Burst != nil {
		s.Burst = *in.Burst
	}
	if probeFollows {
		s.ProbeRate, s.ProbeBurst = s.Rate, s.Burst
	}
	if in.ProbeRate != nil {
		s.ProbeRate = *in.ProbeRate
	}
	if in.ProbeBurst != nil {
		s.ProbeBurst = *in.ProbeBurst
	}
	if in.MaxInFlight != nil {
		s.MaxInFlight = *in.MaxInFlight
	}
	if r := in.Retry; r != nil {
		if r.Max != nil {
			s.Retry.Max = *r.Max
		}
		duration(".retry.base_delay", r.BaseDelay, &s.Retry.BaseDelay)
		duration(".retry.max_delay", r.MaxDelay, &s.Retry.MaxDelay)
	}
	if b := in.Breaker; b != nil {
		if b.Threshold != nil {
			s.Breaker.Threshold = *b.Threshold
		}
		duration(".breaker.cool_off", b.CoolOff, &s.Breaker.CoolOff)
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
