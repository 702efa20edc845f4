package cache

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseSettings(t *testing.T) {
	off, minute := time.Duration(-1), time.Minute
	tests := []struct {
		name string
		raw  any
		want Options
		errs []string // "key: message start", one per problem
	}{
		{"every key", map[string]any{"enabled": "true", "ttl": "1m", "max_entries": 10, "max_bytes": "1KiB",
			"max_stale": "off", "negative_ttl": 30, "refresh_ahead": "10s", "error_backoff": "2s"},
			Options{TTL: minute, MaxEntries: 10, MaxBytes: 1024, MaxStale: off, NegativeTTL: 30 * time.Second, RefreshAhead: 10 * time.Second, ErrorBackoff: 2 * time.Second}, nil},
		{"not a map", "5m", Options{}, []string{": must be a map of cache settings (enabled, error_backoff,"}},
		{"every problem", map[string]any{"ttl": "2h", "max_entries": 0, "max_bytes": "12 parsecs", "enabled": "maybe",
			"negative_ttl": "-5s", "error_backoff": "0s", "max_stal": "1h", "ttl_": 1},
			Options{}, []string{
				"enabled: must be true or false",
				"error_backoff: must be a positive duration",
				"max_bytes: must be a positive size",
				"max_entries: must be a whole number from 1",
				"max_stal: unknown cache setting (known: enabled,",
				"negative_ttl: must be a duration such as 30s",
				"ttl: must be a duration from 1s to 1h0m0s",
				"ttl_: unknown cache setting",
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := ParseSettings(tc.raw)
			var got []string
			for _, e := range unjoinAll(err) {
				var se *SettingError
				if !errors.As(e, &se) {
					t.Fatalf("not a *SettingError: %v", e)
				}
				got = append(got, se.Key+": "+se.Msg)
			}
			if len(got) != len(tc.errs) {
				t.Fatalf("problems:\n%s\nwant %d", strings.Join(got, "\n"), len(tc.errs))
			}
			for i, w := range tc.errs {
				if !strings.HasPrefix(got[i], w) {
					t.Errorf("problem %d = %q, want it to start with %q", i, got[i], w)
				}
			}
			if o := s.Options(); !reflect.DeepEqual(o, tc.want) {
				t.Errorf("options %+v, want %+v", o, tc.want)
			}
		})
	}
}

// TestSettingsOver: a store's section wins key by key; what it leaves
// unset comes from the top-level one.
func TestSettingsOver(t *testing.T) {
	top, err := ParseSettings(map[string]any{"enabled": false, "ttl": "10m", "max_stale": "30m", "max_bytes": "16MiB"})
	if err != nil {
		t.Fatal(err)
	}
	own, err := ParseSettings(map[string]any{"enabled": true, "ttl": "1m", "max_entries": 50})
	if err != nil {
		t.Fatal(err)
	}
	m := own.Over(top)
	if m.Enabled == nil || !*m.Enabled {
		t.Errorf("enabled = %v, want the store's true", m.Enabled)
	}
	want := Options{TTL: time.Minute, MaxStale: 30 * time.Minute, MaxBytes: 16 << 20, MaxEntries: 50}
	if o := m.Options(); !reflect.DeepEqual(o, want) {
		t.Errorf("merged %+v, want %+v", o, want)
	}
	if o := (Settings{}).Over(top).Options(); o.TTL != 10*time.Minute || o.MaxEntries != 0 {
		t.Errorf("an empty store section over the top: %+v", o)
	}
}

func unjoinAll(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
