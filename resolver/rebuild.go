package resolver

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"sync"

	"github.com/latchkey/latchkey/secret"
)

// Changes says what [Resolver.Rebuild] did with each store.
type Changes struct {
	// Kept names the stores whose configuration is unchanged: the new
	// Resolver uses the same store (and whatever it holds, a cache too).
	Kept []string
	// Built names the stores that are new or whose configuration changed.
	Built []string
	// Removed names the stores cfg no longer declares.
	Removed []string
}

// Rebuild returns a Resolver for cfg that takes over every store of r whose
// configuration (type, secret document and settings) is unchanged, and
// builds only the others: a reloaded agent config rebuilds the stores that
// changed and keeps the rest warm. Stores given as [StoreConfig.Store] are
// never taken over (their owner decides).
//
// r stays usable until it is closed, so that resolutions in flight finish
// on it; closing r then closes only the stores the new Resolver did not
// take over. A new Resolver that will not be used after all (a later step
// of a reload failed) is given up with [Resolver.Discard], not Close. When cfg is bad, Rebuild reports every problem as [New] does
// and r is unchanged. Rebuild must not be called concurrently with r's
// Close.
func (r *Resolver) Rebuild(ctx context.Context, cfg Config) (*Resolver, Changes, error) {
	var ch Changes
	reuse := func(name string, sc StoreConfig) *boundStore {
		old, ok := r.stores[name]
		if !ok || !old.owned || sc.Store != nil || !reflect.DeepEqual(old.cfg, sc) {
			return nil
		}
		return old
	}
	nr, err := buildResolver(ctx, cfg, reuse)
	if err != nil {
		return nil, Changes{}, err
	}
	nr.from = r
	for _, name := range nr.took {
		r.handover.add(name)
	}
	for _, name := range nr.StoreNames() {
		if r.handover.has(name) && nr.stores[name] == r.stores[name] {
			ch.Kept = append(ch.Kept, name)
		} else {
			ch.Built = append(ch.Built, name)
		}
	}
	for name := range r.stores {
		if _, ok := nr.stores[name]; !ok {
			ch.Removed = append(ch.Removed, name)
		}
	}
	sort.Strings(ch.Removed)
	return nr, ch, nil
}

// Discard gives up a Resolver that [Resolver.Rebuild] returned and that
// will not be used: it closes the stores it built and gives those it took
// over back to the Resolver it was rebuilt from, which closes them in its
// turn. On any other Resolver it is Close.
func (r *Resolver) Discard() error {
	err := r.closeBuilt()
	if r.from != nil {
		for _, name := range r.took {
			r.from.handover.remove(name)
		}
	}
	return err
}

// closeBuilt closes the stores r owns but did not take over from another
// Resolver.
func (r *Resolver) closeBuilt() error {
	var errs []error
	for _, b := range r.stores {
		if b.owned && !slices.Contains(r.took, b.name) && !r.handover.has(b.name) {
			if err := b.store.Close(); err != nil {
				errs = append(errs, fmt.Errorf("closing store %q: %w", b.name, err))
			}
		}
	}
	return errors.Join(errs...)
}

// handover records the stores a Rebuild took over, which Close then leaves
// open.
type handover struct {
	mu    sync.Mutex
	names map[string]bool
}

func (h *handover) add(name string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.names == nil {
		h.names = map[string]bool{}
	}
	h.names[name] = true
}

func (h *handover) remove(name string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.names, name)
}

func (h *handover) has(name string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.names[name]
}

// Store returns the named store itself, beneath its cache and protection
// ([secret.Base]), for a caller that stacks its own decorators on it (the
// CSI provider's node-identity stores). Fetches must otherwise go through
// the Resolver.
func (r *Resolver) Store(name string) (secret.Store, bool) {
	b, ok := r.stores[name]
	if !ok {
		return nil, false
	}
	return secret.Base(b.store), true
}
