package protect

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/secret"
)

// probesOwn is a store type registered here with a probe rate of its own,
// as gcp registers one (whose defaults and the published limits they keep
// under are checked in providers/gcp, as each cloud's are in its provider).
const probesOwn = "protect-test-probes-own"

func init() {
	secret.Register(secret.Type{Name: probesOwn, New: func(context.Context, secret.Spec) (secret.Store, error) { return nil, nil },
		Protection: secret.Protection{Rate: 500, Burst: 200, ProbeRate: 5, ProbeBurst: 10, ClientRetries: true}})
}

func TestDefaultsAreValid(t *testing.T) {
	for _, typ := range append(secret.Types(), "wasm", "env", "custom") {
		if err := Defaults(typ).Validate("s"); err != nil {
			t.Errorf("defaults of %s: %v", typ, err)
		}
	}
	if d := Defaults(probesOwn); d.Rate != 500 || d.ProbeRate != 5 || d.ProbeBurst != 10 || d.Retry.Max != 0 {
		t.Errorf("the registered type's facts are not its defaults: %+v", d)
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name  string
		typ   string
		raw   any
		check func(t *testing.T, s Settings)
		errs  []string // each must appear in the error
	}{
		{name: "absent keeps defaults", typ: "aws", raw: nil, check: func(t *testing.T, s Settings) {
			if s != Defaults("aws") {
				t.Errorf("got %+v", s)
			}
		}},
		{name: "false disables", typ: "aws", raw: false, check: func(t *testing.T, s Settings) {
			if !s.Disabled {
				t.Error("not disabled")
			}
		}},
		{name: "overrides", typ: "wasm", raw: map[string]any{"rate": 5, "burst": 2, "max_in_flight": 3,
			"retry":   map[string]any{"max": 4, "base_delay": "50ms", "max_delay": "2s"},
			"breaker": map[string]any{"threshold": 0}},
			check: func(t *testing.T, s Settings) {
				want := Settings{Rate: 5, Burst: 2, ProbeRate: 5, ProbeBurst: 2, MaxInFlight: 3,
					Retry:   Retry{Max: 4, BaseDelay: 50 * time.Millisecond, MaxDelay: 2 * time.Second},
					Breaker: Breaker{Threshold: 0, CoolOff: 30 * time.Second}}
				if s != want {
					t.Errorf("got %+v\nwant %+v", s, want)
				}
			}},
		{name: "probe rate stays its own", typ: probesOwn, raw: map[string]any{"rate": 50}, check: func(t *testing.T, s Settings) {
			if s.Rate != 50 || s.ProbeRate != 5 {
				t.Errorf("rate %g probe %g", s.Rate, s.ProbeRate)
			}
		}},
		{name: "unknown key", typ: "aws", raw: map[string]any{"rate_limit": 5}, errs: []string{`setting "protection.rate_limit"`, "unknown setting"}},
		{name: "wrong type", typ: "aws", raw: map[string]any{"burst": "many"}, errs: []string{`protection.burst`, "must be a whole number"}},
		{name: "bad duration", typ: "aws", raw: map[string]any{"breaker": map[string]any{"cool_off": "soon"}}, errs: []string{"protection.breaker.cool_off", `"soon" is not a duration`}},
		{name: "every range problem at once", typ: "aws", raw: map[string]any{"rate": 0, "burst": 0, "max_in_flight": 0,
			"retry": map[string]any{"max": 11, "base_delay": "2s", "max_delay": "1s"}, "breaker": map[string]any{"threshold": 2, "cool_off": "1ms"}},
			errs: []string{"protection.rate", "enabled: false", "protection.burst", "protection.max_in_flight", "protection.retry.max",
				"protection.retry.max_delay", "protection.breaker.cool_off"}},
		{name: "not a map", typ: "aws", raw: "fast", errs: []string{`store "s"`, "protection"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse("s", tc.typ, tc.raw)
			if len(tc.errs) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				tc.check(t, s)
				return
			}
			if !errors.Is(err, secret.ErrInvalidConfig) {
				t.Fatalf("err = %v; want a config error", err)
			}
			for _, want := range tc.errs {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error does not say %q:\n%v", want, err)
				}
			}
		})
	}
}

// TestFor: what a store type registers becomes its default settings; what
// it leaves zero is this package's generic default.
func TestFor(t *testing.T) {
	generic := For(secret.Protection{})
	tests := []struct {
		name  string
		pr    secret.Protection
		check func(t *testing.T, s Settings)
	}{
		{name: "nothing known", check: func(t *testing.T, s Settings) {
			if s.Disabled || s.Rate != 100 || s.Burst != 50 || s.ProbeRate != 100 || s.ProbeBurst != 50 || s.Retry.Max != 2 || s.MaxInFlight != 64 ||
				s.Retry.BaseDelay != 200*time.Millisecond || s.Retry.MaxDelay != 5*time.Second || s.Breaker != (Breaker{Threshold: 5, CoolOff: 30 * time.Second}) {
				t.Errorf("got %+v", s)
			}
		}},
		{name: "rate and burst, probes follow", pr: secret.Protection{Rate: 1000, Burst: 200}, check: func(t *testing.T, s Settings) {
			if s.Rate != 1000 || s.Burst != 200 || s.ProbeRate != 1000 || s.ProbeBurst != 200 {
				t.Errorf("got %+v", s)
			}
		}},
		{name: "probes of their own", pr: secret.Protection{Rate: 500, Burst: 200, ProbeRate: 5, ProbeBurst: 10}, check: func(t *testing.T, s Settings) {
			if s.Rate != 500 || s.ProbeRate != 5 || s.ProbeBurst != 10 {
				t.Errorf("got %+v", s)
			}
		}},
		{name: "client retries", pr: secret.Protection{ClientRetries: true}, check: func(t *testing.T, s Settings) {
			if s.Retry.Max != 0 || s.Rate != generic.Rate {
				t.Errorf("got %+v; want no retries here", s)
			}
		}},
		{name: "no backend", pr: secret.Protection{Off: true}, check: func(t *testing.T, s Settings) {
			if !s.Disabled || s.Retry.Max != 0 {
				t.Errorf("got %+v; want disabled, and no retries if enabled", s)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := For(tc.pr)
			if err := s.Validate("s"); err != nil {
				t.Errorf("invalid: %v", err)
			}
			tc.check(t, s)
		})
	}
	if Defaults("protect-test-unregistered") != generic {
		t.Error("an unregistered type does not get the generic defaults")
	}
}
