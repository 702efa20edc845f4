package server

import (
	"context"

	"github.com/latchkey/latchkey/cache"
	"github.com/latchkey/latchkey/resolver"
	"github.com/latchkey/latchkey/secret"
	"github.com/latchkey/latchkey/server/api"
)

// withRefresh makes the request's fetches bypass the cache (refreshNow=true,
// ?refresh=true): the store is asked, and its answer replaces the entry.
func withRefresh(ctx context.Context) context.Context { return cache.WithRefresh(ctx) }

// invalidate drops the cache entries req names and returns how many.
func invalidate(res *resolver.Resolver, req api.InvalidateRequest) (int, error) {
	if req.All {
		return res.Invalidate("", nil)
	}
	if req.Secret == "" {
		return res.Invalidate(req.Store, nil)
	}
	return res.Invalidate(req.Store, &secret.Request{Name: req.Secret, Version: req.Version})
}
