package config

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/cache"
)

func TestCacheSections(t *testing.T) {
	a, err := Load(Options{Path: "testdata/cache.yaml", Environ: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	off := time.Duration(-1)
	tests := []struct {
		store   string
		enabled *bool
		want    cache.Options
	}{
		{"app", nil, cache.Options{TTL: time.Minute, MaxStale: 30 * time.Minute, MaxBytes: 16 << 20, NegativeTTL: off, RefreshAhead: 10 * time.Second, ErrorBackoff: 2 * time.Second}},
		{"other", nil, cache.Options{TTL: 10 * time.Minute, MaxStale: 30 * time.Minute, MaxBytes: 16 << 20}},
		{"nocache", ptr(false), cache.Options{TTL: 10 * time.Minute, MaxStale: 30 * time.Minute, MaxBytes: 16 << 20}},
		{"forced", ptr(true), cache.Options{TTL: 10 * time.Minute, MaxStale: 30 * time.Minute, MaxBytes: 16 << 20, MaxEntries: 50}},
	}
	for _, tc := range tests {
		t.Run(tc.store, func(t *testing.T) {
			cc := a.Cache[tc.store]
			if (cc.Enabled == nil) != (tc.enabled == nil) || cc.Enabled != nil && *cc.Enabled != *tc.enabled {
				t.Fatalf("enabled = %v, want %v", cc.Enabled, tc.enabled)
			}
			if !reflect.DeepEqual(cc.Options, tc.want) {
				t.Fatalf("options %+v, want %+v", cc.Options, tc.want)
			}
			if _, has := a.Stores[tc.store].Settings["cache"]; has {
				t.Fatal("the cache section was passed to the store as a setting")
			}
		})
	}
	// The CLI caches only where asked; the resident agent everywhere but
	// where refused.
	cli, resident := a.ResolverConfig(nil), a.CachedResolverConfig(nil)
	for store, want := range map[string][2]bool{"app": {false, true}, "other": {false, true}, "nocache": {false, false}, "forced": {true, true}} {
		if got := [2]bool{cli.Stores[store].Cache != nil, resident.Stores[store].Cache != nil}; got != want {
			t.Errorf("store %s: cached (cli, resident) = %v, want %v", store, got, want)
		}
	}
	if got := resident.Stores["app"].Cache.TTL; got != time.Minute {
		t.Errorf("resident app ttl %v", got)
	}
	if a.Stores["app"].Cache != nil {
		t.Error("building a resolver config changed the agent config")
	}
}

func ptr[T any](v T) *T { return &v }

func TestCacheOverrides(t *testing.T) {
	a, err := Load(Options{Path: "testdata/cache.yaml", Environ: []string{
		"LATCHKEY_CACHE__ENABLED=false",
		"LATCHKEY_STORES__OTHER__CACHE__TTL=2m",
	}, Set: []string{"stores.app.cache.max_entries=7"}})
	if err != nil {
		t.Fatal(err)
	}
	if a.Cache["other"].Options.TTL != 2*time.Minute || a.Cache["app"].Options.MaxEntries != 7 {
		t.Fatalf("overrides not applied: %+v", a.Cache)
	}
	if r := a.CachedResolverConfig(nil); r.Stores["other"].Cache != nil || r.Stores["forced"].Cache == nil {
		t.Fatal("top-level enabled: false must turn off every store's cache but those that say enabled: true")
	}
}

func TestCacheErrors(t *testing.T) {
	_, err := Load(Options{Path: "testdata/badcache.yaml", Environ: []string{}})
	if err == nil {
		t.Fatal("bad cache settings accepted")
	}
	for _, want := range []string{
		`key "cache.ttl": must be a duration from 1s to 1h0m0s`,
		`key "cache.max_stal": unknown cache setting (known: enabled, error_backoff, max_bytes,`,
		`key "stores.app.cache.enabled": must be true or false`,
		`key "stores.app.cache.ttl": must be a duration from 1s`,
		`key "stores.app.cache.max_entries": must be a whole number from 1`,
		`key "stores.app.cache.max_bytes": must be a positive size`,
		`key "stores.app.cache.negative_ttl": must be a duration such as 30s or 1h`,
		`key "stores.app.cache.error_backoff": must be a positive duration`,
		`key "stores.ahead.cache.refresh_ahead": must be at most half the TTL (30s)`,
		`key "stores.notmap.cache": must be a map of cache settings`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}
