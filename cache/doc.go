// Package cache is a [secret.Store] decorator that keeps recently fetched
// secrets in memory, so that an agent that resolves the same workflows all
// day asks its backends once per TTL instead of once per resolution.
//
// Wrap a store with [New]; the [*Store] it returns is itself a
// [secret.Store] (and a [secret.Versioner]), so it
// composes with the other layers of the request path:
//
//	cached := cache.New(store, cache.Options{Name: "aws", TTL: 5 * time.Minute})
//	defer cached.Close() // also closes store
//
// A cache gives, per store: a TTL, bounds on entries and bytes with
// least-recently-used eviction, one upstream call for concurrent misses of
// one secret (singleflight), background refresh of entries in use shortly
// before they expire, stale answers for a bounded time while the backend
// fails (stale-if-error), a short negative cache of "not found", a
// per-request bypass ([WithRefresh]), and, for stores that implement
// [secret.Versioner], a metadata call instead of a fetch when an expired
// entry is unchanged. Entries are keyed by the store's key
// ([secret.Description.Key]), so a secret spelled several ways is one
// entry.
//
// # Memory
//
// Values live only in process memory and are never written to disk. The
// cache keeps its own copy of each value and overwrites that copy with
// zeros when the entry is evicted, expires past its stale bound,
// is replaced, invalidated, or the cache is closed. A [secret.Value] that
// Get returns is the caller's own: it stays valid after the entry goes, and
// the cache never zeroes it. What the cache cannot overwrite: the buffers
// the store's SDK used while decoding the answer, Values it handed out,
// copies the Go runtime made of them (a string conversion), and pages the
// kernel swapped out (the cache does not mlock). See docs/cache.md.
//
// # Errors
//
// Only errors that say the backend could not answer (anything but
// [secret.ErrNotFound], [secret.ErrPermissionDenied],
// [secret.ErrInvalidConfig], [secret.ErrNotAllowed] and cancellation) are
// answered from a stale entry. A permission error or a not-found drops the
// entry: revoking access or deleting a secret takes effect at the next
// fetch. Past [Options.MaxStale] the cache fails closed with a
// [*StaleError] that names the store and how stale the entry was.
package cache
