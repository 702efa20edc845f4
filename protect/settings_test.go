package protect

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/secret"
)

func TestDefaultsAreValid(t *testing.T) {
	for _, typ := range []string{"aws", "azure", "gcp", "wasm", "env", "custom"} {
		if err := Defaults(typ).Validate("s"); err != nil {
			t.Errorf("defaults of %s: %v", typ, err)
		}
	}
	// The published limits the defaults must stay under (docs/upstream.md),
	// over each quota's own window: a full bucket plus the window's refill.
	limits := []struct {
		typ    string
		probe  bool
		window float64 // seconds
		limit  float64
	}{
		{"aws", false, 1, 10000}, {"aws", true, 1, 10000},
		{"azure", false, 10, 4000}, {"azure", true, 10, 4000},
		{"gcp", false, 60, 90000}, {"gcp", true, 60, 600},
	}
	for _, l := range limits {
		d := Defaults(l.typ)
		rate, burst := d.Rate, d.Burst
		if l.probe {
			rate, burst = d.ProbeRate, d.ProbeBurst
		}
		if most := float64(burst) + rate*l.window; most > l.limit {
			t.Errorf("%s (probes %v): up to %g calls in %gs exceed the service's %g", l.typ, l.probe, most, l.window, l.limit)
		}
	}
	for _, typ := range []string{"aws", "azure", "gcp"} {
		if Defaults(typ).Retry.Max != 0 {
			t.Errorf("%s retries in its SDK; protection's retries would multiply them", typ)
		}
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
		{name: "gcp probe rate stays its own", typ: "gcp", raw: map[string]any{"rate": 50}, check: func(t *testing.T, s Settings) {
			if s.Rate != 50 || s.ProbeRate != 5 {
				t.Errorf("rate %g probe %g", s.Rate, s.ProbeRate)
			}
		}},
		{name: "unknown key", typ: "aws", raw: map[string]any{"rate_limit": 5}, errs: []string{`setting "protection.rate_limit"`, "unknown setting"}},
		{name: "wrong type", typ: "aws", raw: map[string]any{"burst": "many"}, errs: []string{`protection.burst`, "must be a int"}},
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
