package server

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/latchkey/latchkey/cache"
	"github.com/latchkey/latchkey/resolver"
	"github.com/latchkey/latchkey/secret"
)

// storeCollector reports, at each scrape, the counters of the current
// config's caches and Wasm pools, labelled by store name only.
type storeCollector struct {
	s *Server

	cacheCounters []cacheCounter
	entries       *prometheus.Desc
	bytes         *prometheus.Desc
	poolCounters  []poolCounter
	poolIdle      *prometheus.Desc
	poolMemory    *prometheus.Desc
}

type cacheCounter struct {
	desc *prometheus.Desc
	get  func(cache.Stats) uint64
}

type poolCounter struct {
	desc *prometheus.Desc
	get  func(secret.PoolStats) int64
}

func newStoreCollector(s *Server) *storeCollector {
	c := &storeCollector{s: s}
	counter := func(name, help string, get func(cache.Stats) uint64) {
		c.cacheCounters = append(c.cacheCounters, cacheCounter{
			desc: prometheus.NewDesc("latchkey_cache_"+name+"_total", help, []string{"store"}, nil), get: get})
	}
	counter("hits", "Fetches answered from a fresh cache entry.", func(s cache.Stats) uint64 { return s.Hits })
	counter("misses", "Fetches that started a fetch from the store.", func(s cache.Stats) uint64 { return s.Misses })
	counter("shared", "Fetches that joined another caller's fetch in flight (singleflight).", func(s cache.Stats) uint64 { return s.Shared })
	counter("stale", "Fetches answered from an expired entry because the store failed.", func(s cache.Stats) uint64 { return s.Stale })
	counter("negative", "Fetches answered not-found from a remembered not-found.", func(s cache.Stats) uint64 { return s.Negative })
	counter("bypasses", "Fetches that asked to bypass the cache (refresh).", func(s cache.Stats) uint64 { return s.Bypasses })
	counter("refreshes", "Background refreshes that renewed an entry.", func(s cache.Stats) uint64 { return s.Refreshes })
	counter("evictions", "Entries evicted for max_entries or max_bytes.", func(s cache.Stats) uint64 { return s.Evictions })
	counter("expired", "Entries dropped as too old to answer even stale.", func(s cache.Stats) uint64 { return s.Expired })
	counter("invalidations", "Entries dropped by /v1/invalidate.", func(s cache.Stats) uint64 { return s.Invalidations })
	counter("upstream_calls", "Calls the cache made to its store (fetches and version checks).", func(s cache.Stats) uint64 { return s.UpstreamCalls })
	counter("upstream_errors", "Fetches from the store that failed.", func(s cache.Stats) uint64 { return s.UpstreamErrors })
	c.entries = prometheus.NewDesc("latchkey_cache_entries", "Entries a store's cache holds.", []string{"store"}, nil)
	c.bytes = prometheus.NewDesc("latchkey_cache_bytes", "Bytes of values and keys a store's cache holds.", []string{"store"}, nil)
	pool := func(name, help string, get func(secret.PoolStats) int64) {
		c.poolCounters = append(c.poolCounters, poolCounter{
			desc: prometheus.NewDesc("latchkey_wasm_instances_"+name+"_total", help, []string{"store"}, nil), get: get})
	}
	pool("created", "Wasm instances started.", func(s secret.PoolStats) int64 { return s.Created })
	pool("crashed", "Wasm calls that trapped, exited or timed out (instance discarded).", func(s secret.PoolStats) int64 { return s.Crashed })
	pool("recycled", "Wasm instances discarded because their memory grew.", func(s secret.PoolStats) int64 { return s.Recycled })
	pool("calls", "Successful Wasm calls.", func(s secret.PoolStats) int64 { return s.Calls })
	c.poolIdle = prometheus.NewDesc("latchkey_wasm_instances_idle", "Wasm instances waiting for a call.", []string{"store"}, nil)
	c.poolMemory = prometheus.NewDesc("latchkey_wasm_idle_memory_bytes", "Linear memory of the idle Wasm instances.", []string{"store"}, nil)
	return c
}

// Describe implements prometheus.Collector.
func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, cc := range c.cacheCounters {
		ch <- cc.desc
	}
	ch <- c.entries
	ch <- c.bytes
	for _, pc := range c.poolCounters {
		ch <- pc.desc
	}
	ch <- c.poolIdle
	ch <- c.poolMemory
}

// Collect implements prometheus.Collector. With a callers section, each
// caller entry has stores of its own: a store's series are then the sums
// over the entries' copies of it.
func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	g := c.s.acquire()
	if g == nil {
		return
	}
	defer g.release()
	if g.res == nil {
		return
	}
	resolvers := []*resolver.Resolver{g.res}
	if len(g.byEntry) > 0 {
		resolvers = resolvers[:0]
		for _, r := range g.byEntry {
			resolvers = append(resolvers, r)
		}
	}
	type series struct {
		desc  *prometheus.Desc
		store string
	}
	sums := map[series]float64{}
	var order []series
	add := func(d *prometheus.Desc, store string, v float64) {
		k := series{d, store}
		if _, ok := sums[k]; !ok {
			order = append(order, k)
		}
		sums[k] += v
	}
	for _, r := range resolvers {
		for store, st := range r.CacheStats() {
			for _, cc := range c.cacheCounters {
				add(cc.desc, store, float64(cc.get(st)))
			}
			add(c.entries, store, float64(st.Entries))
			add(c.bytes, store, float64(st.Bytes))
		}
		for _, store := range r.StoreNames() {
			d, _ := r.Description(store)
			if d.Pool == nil {
				continue
			}
			st := d.Pool()
			for _, pc := range c.poolCounters {
				add(pc.desc, store, float64(pc.get(st)))
			}
			add(c.poolIdle, store, float64(st.Idle))
			add(c.poolMemory, store, float64(st.IdleMemory))
		}
	}
	for _, k := range order {
		typ := prometheus.CounterValue
		switch k.desc {
		case c.entries, c.bytes, c.poolIdle, c.poolMemory:
			typ = prometheus.GaugeValue
		}
		ch <- prometheus.MustNewConstMetric(k.desc, typ, sums[k], k.store)
	}
}
