package cache

import "sync/atomic"

// Stats are a cache's counters since it was built, and its current size.
// Counters only grow, so they map onto Prometheus counters; Entries and
// Bytes are gauges. None carries a secret's name or value.
type Stats struct {
	Hits     uint64 // answered from a fresh entry
	Misses   uint64 // a caller started a fetch
	Shared   uint64 // a caller joined a fetch in flight
	Stale    uint64 // answered from an expired entry because the store failed
	Negative uint64 // answered "not found" from a remembered not-found
	Bypasses uint64 // callers that asked to bypass the cache (WithRefresh)
	// Refreshes counts background refresh-ahead fetches or version checks
	// that renewed an entry; RefreshSkipped, those skipped for want of a slot.
	Refreshes      uint64
	RefreshSkipped uint64
	// VersionChecks counts CurrentVersion calls on expired entries;
	// VersionUnchanged, those that renewed the entry without a fetch.
	VersionChecks    uint64
	VersionUnchanged uint64
	Evictions        uint64 // entries dropped for MaxEntries or MaxBytes
	Expired          uint64 // entries dropped as too old to answer even stale
	Invalidations    uint64 // entries dropped by Invalidate or InvalidateAll
	TooLarge         uint64 // values larger than MaxBytes, served but not kept
	UpstreamCalls    uint64 // calls to the store (fetches and version checks)
	UpstreamErrors   uint64 // fetches that failed
	Entries          int    // entries held now, negative ones included
	Bytes            int64  // bytes of values and keys held now
}

type counters struct {
	hits, misses, shared, stale, negative, bypasses atomic.Uint64
	refreshes, refreshSkipped                       atomic.Uint64
	versionChecks, versionUnchanged                 atomic.Uint64
	evictions, expired, invalidations, tooLarge     atomic.Uint64
	upstream, upstreamErrors                        atomic.Uint64
}

// Stats returns the cache's counters and size.
func (s *Store) Stats() Stats {
	s.mu.Lock()
	entries, bytes := len(s.entries), s.bytes
	s.mu.Unlock()
	c := &s.c
	return Stats{
		Hits: c.hits.Load(), Misses: c.misses.Load(), Shared: c.shared.Load(), Stale: c.stale.Load(),
		Negative: c.negative.Load(), Bypasses: c.bypasses.Load(),
		Refreshes: c.refreshes.Load(), RefreshSkipped: c.refreshSkipped.Load(),
		VersionChecks: c.versionChecks.Load(), VersionUnchanged: c.versionUnchanged.Load(),
		Evictions: c.evictions.Load(), Expired: c.expired.Load(), Invalidations: c.invalidations.Load(),
		TooLarge: c.tooLarge.Load(), UpstreamCalls: c.upstream.Load(), UpstreamErrors: c.upstreamErrors.Load(),
		Entries: entries, Bytes: bytes,
	}
}
