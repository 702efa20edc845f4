package server

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/latchkey/latchkey/policy"
	"github.com/latchkey/latchkey/resolver"
	"github.com/latchkey/latchkey/secret"
)

// The callers section (docs/policy.md) gives each caller entry its stores
// and, per store, a rule over its secrets. Each entry gets a Resolver of its
// own, built with only its stores: two entries never share a store, so
// never a Wasm module's instances, a cache, or a client's state. A caller
// no entry names is refused before anything is read.

// grant is what [Server.authorized] hands an endpoint that uses the
// stores: the callers entry that names the request's caller ("" without a
// callers section) and the Resolver that caller may use, its entry's or,
// without a callers section, the agent's own. Handlers resolve through
// Resolver alone, so no request reaches a store its entry does not name.
type grant struct {
	entry    string
	resolver *resolver.Resolver
}

// grantFor returns the grant of the caller entry named entry ("": no
// callers section) in g.
func (g *generation) grantFor(entry string) grant {
	if g.callers == nil {
		return grant{resolver: g.res}
	}
	return grant{entry: entry, resolver: g.byEntry[entry]}
}

// compileCallers compiles the callers section for matching (the stores'
// own reading of the patterns is checked when each entry's Resolver is
// built). It returns nil when the section is absent.
func compileCallers(spec *Spec) (*policy.Callers, error) {
	if len(spec.Callers) == 0 {
		return nil, nil
	}
	names := map[string]*secret.Naming{}
	for n := range spec.Resolver.Stores {
		names[n] = nil
	}
	specs, err := lookupAccounts(spec.Callers)
	if err != nil {
		return nil, err
	}
	return policy.CompileCallers(specs, names)
}

// entryConfig is base limited to the stores entry may use, each with the
// entry's rule on top of its own; the others are withheld with a reason
// that names the entry.
func entryConfig(base resolver.Config, entry policy.CallerSpec) resolver.Config {
	rc := base
	rc.Stores = map[string]resolver.StoreConfig{}
	rc.Withheld = map[string]string{}
	for name, sc := range base.Stores {
		spec, ok := entry.Stores[name]
		if !ok {
			rc.Withheld[name] = "callers." + entry.Name + ".stores"
			continue
		}
		if spec != nil {
			c := *spec
			if c.Origin == "" {
				c.Origin = "callers." + entry.Name + ".stores." + name
			}
			sc.Caller = &c
		}
		rc.Stores[name] = sc
	}
	return rc
}

// buildEntries builds (or, on reload, rebuilds from old) one Resolver per
// caller entry. On error it gives up what it built: a rebuilt Resolver
// hands the stores it took over back to the one still serving.
func (s *Server) buildEntries(ctx context.Context, spec *Spec, old map[string]*resolver.Resolver) (map[string]*resolver.Resolver, error) {
	out := map[string]*resolver.Resolver{}
	base := s.resolverConfig(spec)
	var errs []error
	entries := append([]policy.CallerSpec(nil), spec.Callers...)
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name < entries[j].Name })
	for _, e := range entries {
		cfg := entryConfig(base, e)
		var r *resolver.Resolver
		var err error
		if prev := old[e.Name]; prev != nil {
			r, _, err = prev.Rebuild(ctx, cfg)
		} else {
			r, err = resolver.New(ctx, cfg)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("callers.%s: %w", e.Name, err))
			continue
		}
		out[e.Name] = r
	}
	if err := errors.Join(errs...); err != nil {
		for _, r := range out {
			_ = r.Discard()
		}
		return nil, err
	}
	return out, nil
}
