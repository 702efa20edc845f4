package server

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/latchkey/latchkey/config"
	"github.com/latchkey/latchkey/policy"
	"github.com/latchkey/latchkey/resolver"
	"github.com/latchkey/latchkey/secret"
)

// The callers section (docs/policy.md) gives each caller entry its stores
// and, per store, a rule over its secrets. Each entry gets a Resolver of its
// own, built with only its stores: two entries never share a store, so
// never a Wasm module's instances, a cache, or a client's state. A caller
// no entry names is refused before anything is read.

type entryKey struct{}

// withEntry marks ctx as a request of the caller entry name.
func withEntry(ctx context.Context, name string) context.Context {
	return context.WithValue(ctx, entryKey{}, name)
}

// resolverFor returns the Resolver the request's caller may use: its
// entry's, or the agent's own when the config has no callers section.
func (g *generation) resolverFor(ctx context.Context) *resolver.Resolver {
	if name, ok := ctx.Value(entryKey{}).(string); ok {
		return g.byEntry[name]
	}
	return g.res
}

// compileCallers compiles the callers section for matching (the stores'
// own reading of the patterns is checked when each entry's Resolver is
// built). It returns nil when the section is absent.
func compileCallers(agent *config.Agent) (*policy.Callers, error) {
	if len(agent.Callers) == 0 {
		return nil, nil
	}
	names := map[string]*secret.Naming{}
	for n := range agent.Stores {
		names[n] = nil
	}
	specs, err := lookupAccounts(agent.Callers)
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
func (s *Server) buildEntries(ctx context.Context, agent *config.Agent, old map[string]*resolver.Resolver) (map[string]*resolver.Resolver, error) {
	out := map[string]*resolver.Resolver{}
	base := s.resolverConfig(agent)
	var errs []error
	entries := append([]policy.CallerSpec(nil), agent.Callers...)
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
