package resolver

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"hash"

	"github.com/latchkey/latchkey/cache"
)

// Snapshot is what a watch keeps of one workflow's resolution between
// checks ([Resolver.Watch]), holding no value: the version of each secret
// whose store could say, and a keyed digest (HMAC-SHA-256 under a key
// drawn for the watch's first snapshot and never shown) of each field.
// A Snapshot is immutable, so it may be shared between goroutines.
type Snapshot struct {
	key      []byte
	versions Versions
	fields   map[string][sha256.Size]byte
	sum      [sha256.Size]byte // over every field, in order
}

// Versions returns the versions the snapshot was taken at.
func (s *Snapshot) Versions() Versions { return s.versions }

// Watch reports whether the resolution of wf differs from the one prev
// was taken of, at the least cost to the stores: each secret's version is
// probed once ([secret.Versioner]); only the secrets whose version moved
// or is unknown (no probe, or a probe that failed) are fetched, past the
// cache; and the whole workflow is resolved only when one of those
// fetches changed a field. It returns the new result (nil when nothing
// changed) and the snapshot to pass next time. prev nil resolves wf past
// the cache and returns a first snapshot.
//
// The versions are probed before the values are fetched: they are at worst
// older than the values, which costs one more fetch at the next check and
// never hides a change. The error is Resolve's: a plan error (including a
// reference a rule refuses, [secret.ErrNotAllowed]) or an [*Error].
func (r *Resolver) Watch(ctx context.Context, wf Workflow, prev *Snapshot) (*Result, *Snapshot, error) {
	plan, err := r.Plan(wf)
	if err != nil {
		// Resolve reports the refusal to the observers (the audit log).
		_, err = r.Resolve(ctx, wf)
		return nil, nil, err
	}
	vers := r.probe(ctx, plan)
	if prev == nil {
		res, err := r.Resolve(cache.WithRefresh(ctx), wf)
		if err != nil {
			return nil, nil, err
		}
		key := make([]byte, 32)
		_, _ = rand.Read(key)
		return res, newSnapshot(key, vers, res), nil
	}
	stale, refs := staleFields(plan, wf, vers, prev)
	next := &Snapshot{key: prev.key, versions: vers, fields: prev.fields, sum: prev.sum}
	if len(stale.Fields) == 0 {
		return nil, next, nil
	}
	if len(stale.Fields) == refs {
		// Every secret is to be fetched: that is the whole resolution.
		return r.watchAll(cache.WithRefresh(ctx), wf, prev, vers)
	}
	part, err := r.Resolve(cache.WithRefresh(ctx), stale)
	if err != nil {
		return nil, nil, err
	}
	if !changedFields(prev, stale, part) {
		return nil, next, nil
	}
	// Something changed: the whole resolution, from the cache where the
	// version did not move (the fetches above refreshed the others; a
	// store without a cache is asked again).
	return r.watchAll(ctx, wf, prev, vers)
}

// staleFields returns the workflow of wf's fields whose secret's version
// moved since prev or is unknown, and how many of wf's fields name a
// secret. A secret spelled two ways is probed, and so keyed, by its first
// spelling.
func staleFields(plan *Plan, wf Workflow, vers Versions, prev *Snapshot) (Workflow, int) {
	first := map[fetchKey]string{}
	for _, s := range plan.Steps {
		if _, ok := first[s.key()]; s.Ref != nil && !ok {
			first[s.key()] = probeKey(s)
		}
	}
	stale := Workflow{Name: wf.Name}
	refs := 0
	for i, s := range plan.Steps {
		if s.Ref == nil {
			continue
		}
		refs++
		k := first[s.key()]
		if v := vers.ByFetch[k]; v == "" || v != prev.versions.ByFetch[k] {
			stale.Fields = append(stale.Fields, wf.Fields[i])
		}
	}
	return stale, refs
}

// changedFields reports whether part, the resolution of stale, holds a
// field that differs from prev's digest of it, or that appeared or went.
func changedFields(prev *Snapshot, stale Workflow, part *Result) bool {
	got := make(map[string]Resolved, len(part.Fields))
	for _, f := range part.Fields {
		got[f.Name] = f
	}
	for _, sf := range stale.Fields {
		d, was := prev.fields[sf.Name]
		f, is := got[sf.Name] // absent: an optional secret, omitted
		if was != is || is && d != fieldDigest(prev.key, f) {
			return true
		}
	}
	return false
}

// watchAll resolves wf and compares it with prev as a whole.
func (r *Resolver) watchAll(ctx context.Context, wf Workflow, prev *Snapshot, vers Versions) (*Result, *Snapshot, error) {
	res, err := r.Resolve(ctx, wf)
	if err != nil {
		return nil, nil, err
	}
	next := newSnapshot(prev.key, vers, res)
	if next.sum == prev.sum {
		return nil, next, nil
	}
	return res, next, nil
}

func newSnapshot(key []byte, vers Versions, res *Result) *Snapshot {
	s := &Snapshot{key: key, versions: vers, fields: make(map[string][sha256.Size]byte, len(res.Fields))}
	all := hmac.New(sha256.New, key)
	for _, f := range res.Fields {
		d := fieldDigest(key, f)
		s.fields[f.Name] = d
		all.Write(d[:])
	}
	copy(s.sum[:], all.Sum(nil))
	return s
}

// fieldDigest is a keyed digest of a field's name, variable, value and
// whether its default stood in: it tells whether they changed and, without
// the key, nothing about them.
func fieldDigest(key []byte, f Resolved) [sha256.Size]byte {
	h := hmac.New(sha256.New, key)
	writePart(h, []byte(f.Name))
	writePart(h, []byte(f.Env))
	writePart(h, f.Value.Reveal())
	if f.Defaulted {
		h.Write([]byte{1})
	} else {
		h.Write([]byte{0})
	}
	var d [sha256.Size]byte
	copy(d[:], h.Sum(nil))
	return d
}

// writePart writes b with its length first, so that parts cannot run into
// each other.
func writePart(h hash.Hash, b []byte) {
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(b)))
	h.Write(n[:])
	h.Write(b)
}
