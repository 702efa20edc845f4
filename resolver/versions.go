package resolver

import (
	"context"
	"errors"
	"sort"
	"strings"
	"sync"

	"github.com/latchkey/latchkey/secret"
)

// Versions is what [Resolver.Versions] learned: the current version of
// each secret a workflow reads whose store could say, without any value.
type Versions struct {
	// ByFetch maps each probed secret ("store/secret-id") to its version.
	ByFetch map[string]string
	// Unprobed counts the workflow's secrets whose version is not known:
	// their store offers no version probe ([secret.Versioner]), or the
	// probe failed (such as a role allowed GetSecretValue but not
	// DescribeSecret). Only a fetch tells whether they changed.
	Unprobed int
}

// Same reports whether v and w hold the same versions and both are complete.
func (v Versions) Same(w Versions) bool {
	if v.Unprobed > 0 || w.Unprobed > 0 || len(v.ByFetch) != len(w.ByFetch) {
		return false
	}
	for k, x := range v.ByFetch {
		if y, ok := w.ByFetch[k]; !ok || x != y {
			return false
		}
	}
	return true
}

// String lists the probed secrets and counts the others, for logs; it
// holds version IDs, never values.
func (v Versions) String() string {
	keys := make([]string, 0, len(v.ByFetch))
	for k := range v.ByFetch {
		keys = append(keys, k+"@"+v.ByFetch[k])
	}
	sort.Strings(keys)
	return strings.Join(keys, " ")
}

// Versions asks, for each distinct secret wf reads, the store stack for its
// current version ([secret.Versioner]: a metadata call, no value), at most
// the Resolver's concurrency at once. A store without version probes, or
// a probe that fails, leaves its secrets unprobed; the error is a plan
// error only. [Resolver.Watch] builds change detection on it: it fetches
// only the secrets unprobed or changed, so an unchanged secret costs one
// metadata call.
func (r *Resolver) Versions(ctx context.Context, wf Workflow) (Versions, error) {
	plan, err := r.Plan(wf)
	if err != nil {
		return Versions{}, err
	}
	return r.probe(ctx, plan), nil
}

// probeKey names a step's secret in [Versions.ByFetch]: the request as
// written, not the store's canonical key, which may change as the store
// learns (an ARN from an answer): the same workflow must give the same keys.
func probeKey(s Step) string {
	return s.Store + "/" + s.Request.Name + "?version=" + s.Request.Version
}

// probe asks each distinct secret of plan for its version, once.
func (r *Resolver) probe(ctx context.Context, plan *Plan) Versions {
	type probe struct {
		k   fetchKey
		key string
		req secret.Request
		ver secret.Versioner
	}
	var probes []probe
	seen := map[fetchKey]bool{}
	out := Versions{ByFetch: map[string]string{}}
	for _, s := range plan.Steps {
		if s.Ref == nil || seen[s.key()] {
			continue
		}
		seen[s.key()] = true
		v, ok := secret.VersionerOf(r.stores[s.Store].store)
		if !ok {
			out.Unprobed++
			continue
		}
		probes = append(probes, probe{k: s.key(), key: probeKey(s), req: s.Request, ver: v})
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, r.concurrency)
	for _, p := range probes {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			info, err := p.ver.CurrentVersion(ctx, p.req)
			v := info.Version()
			mu.Lock()
			defer mu.Unlock()
			// A probe's answer is store output like a fetch's version:
			// checked (FetchInfo.SetVersion) before anything keeps or
			// compares it.
			if bad := info.VersionRefused; err == nil && v == "" && bad != nil {
				out.Unprobed++
				r.log.WarnContext(ctx, "version probe answered a version that breaks the rules; the secret will be fetched", "store", p.k.store, "secret", p.req.Name, "error", bad)
				return
			}
			if err != nil || v == "" {
				out.Unprobed++
				if !errors.Is(err, errors.ErrUnsupported) {
					r.log.DebugContext(ctx, "version probe failed; the secret will be fetched", "store", p.k.store, "secret", p.req.Name, "error", err)
				}
				return
			}
			out.ByFetch[p.key] = v
		})
	}
	wg.Wait()
	return out
}
