package resolver

import (
	"fmt"

	"github.com/latchkey/latchkey/cache"
	"github.com/latchkey/latchkey/secret"
)

// Invalidate drops cached entries: of the secret req names in store (every
// spelling of it, every version when req.Version is empty), of the whole
// store when req is nil, of every store when store is "" (req must then be
// nil). It returns the number of entries dropped; a store without a cache
// drops none. An undeclared store, or a secret without a store, is an error
// wrapping [secret.ErrInvalidConfig].
func (r *Resolver) Invalidate(store string, req *secret.Request) (int, error) {
	if store == "" {
		if req != nil {
			return 0, fmt.Errorf("invalidate secret %q: name its store: %w", req.Name, secret.ErrInvalidConfig)
		}
		n := 0
		for _, b := range r.stores {
			if b.cache != nil {
				n += b.cache.InvalidateAll()
			}
		}
		return n, nil
	}
	b, ok := r.stores[store]
	if !ok {
		return 0, fmt.Errorf("invalidate: store %q is not declared (declared: %s): %w", store, list(r.StoreNames()), secret.ErrInvalidConfig)
	}
	switch {
	case b.cache == nil:
		return 0, nil
	case req == nil:
		return b.cache.InvalidateAll(), nil
	}
	return b.cache.Invalidate(*req), nil
}

// CacheStats returns the counters of every store's cache, by store name;
// stores without a cache are absent. Counters carry no secret name.
func (r *Resolver) CacheStats() map[string]cache.Stats {
	out := map[string]cache.Stats{}
	for name, b := range r.stores {
		if b.cache != nil {
			out[name] = b.cache.Stats()
		}
	}
	return out
}

// Cached reports whether store has a cache in front of it.
func (r *Resolver) Cached(store string) bool {
	b, ok := r.stores[store]
	return ok && b.cache != nil
}
