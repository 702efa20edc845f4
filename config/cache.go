package config

import (
	"log/slog"

	"github.com/latchkey/latchkey/cache"
	"github.com/latchkey/latchkey/resolver"
)

// CacheConfig is one store's cache settings: the top-level cache section
// with the store's own cache section over it, key by key
// ([cache.Settings.Over]).
type CacheConfig struct {
	// Enabled is the enabled setting; nil when neither section sets it, so
	// that the one-shot CLI ([Agent.ResolverConfig]) and the resident
	// agent ([Agent.CachedResolverConfig]) apply their own defaults.
	Enabled *bool
	// Options are the cache's settings (zero values: the cache package's
	// documented defaults).
	Options cache.Options
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
