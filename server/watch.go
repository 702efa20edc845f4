package server

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/latchkey/latchkey/resolver"
	"github.com/latchkey/latchkey/secret"
	"github.com/latchkey/latchkey/server/api"

	"github.com/latchkey/latchkey/internal/units"
)

// maxWatchStates bounds the versions remembered for watch tokens, and
// maxWatchStatesPerCaller those of one caller.
const (
	maxWatchStates          = 4096
	maxWatchStatesPerCaller = 64
)

// watchStates remembers, per token, the snapshot of the resolution it
// stands for, so that a client's next long poll starts from version probes,
// not a fetch. A token is an HMAC, under a key of this process, of the
// caller it was issued to, the workflow and the resolution's values: it
// tells whether values changed and nothing about them, and it is bound to
// its caller (another caller presenting it is answered as for an unknown
// token, so a token is no equality oracle for another caller's secret).
type watchStates struct {
	once sync.Once
	key  [32]byte
	mu   sync.Mutex
	m    map[string]watchState
}

// watchState is what a token stands for: whose it is, for which
// workflow, and the snapshot.
type watchState struct {
	owner, wf string
	snap      *resolver.Snapshot
}

// watchOwner names the caller as the agent's rules see it: the unix peer's
// uid and gid, or the token's name, and the callers entry it matched.
// Not the pid: another process of the same user may read the same secrets.
func watchOwner(ctx context.Context, entry string) string {
	c, _ := secret.CallerFrom(ctx)
	return fmt.Sprintf("%s\x00%d\x00%d\x00%s\x00%s", c.Kind, c.UID, c.GID, c.Token, entry)
}

func (ws *watchStates) token(owner, wf string, res *resolver.Result) string {
	ws.once.Do(func() { _, _ = rand.Read(ws.key[:]) })
	h := hmac.New(sha256.New, ws.key[:])
	writePart(h, []byte(owner))
	writePart(h, []byte(wf))
	for _, f := range res.Fields {
		writePart(h, []byte(f.Name))
		writePart(h, []byte(f.Env))
		writePart(h, f.Value.Reveal())
	}
	return hex.EncodeToString(h.Sum(nil))
}

// workflowDigest identifies wf's fields and what each reads (a digest, so
// that a literal is not kept in memory as written).
func workflowDigest(wf resolver.Workflow) string {
	h := sha256.New()
	for _, f := range wf.Fields {
		src := "literal:" + f.Source.Literal
		if f.Source.Ref != nil {
			src = f.Source.Ref.String()
		}
		writePart(h, []byte(f.Name))
		writePart(h, []byte(f.Env))
		writePart(h, []byte(src))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// writePart writes b with its length first, so that parts cannot run into
// each other.
func writePart(h hash.Hash, b []byte) {
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(b)))
	h.Write(n[:])
	h.Write(b)
}

// get returns the snapshot tok stands for when tok was issued to owner
// for workflow wf ([workflowDigest]).
func (ws *watchStates) get(owner, wf, tok string) (*resolver.Snapshot, bool) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	st, ok := ws.m[tok]
	if !ok || st.owner != owner || st.wf != wf {
		return nil, false
	}
	return st.snap, true
}

func (ws *watchStates) put(owner, wf, tok string, snap *resolver.Snapshot) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if ws.m == nil {
		ws.m = map[string]watchState{}
	}
	if _, ok := ws.m[tok]; !ok {
		// Forget one (its client pays one fetch): the caller's own when it
		// holds its share, so that no caller can push the others out.
		mine, victim := 0, ""
		for k, st := range ws.m {
			if st.owner == owner {
				mine++
				victim = k
			}
		}
		if mine < maxWatchStatesPerCaller {
			victim = ""
			if len(ws.m) >= maxWatchStates {
				for k := range ws.m {
					victim = k
					break
				}
			}
		}
		if victim != "" {
			delete(ws.m, victim)
		}
	}
	ws.m[tok] = watchState{owner: owner, wf: wf, snap: snap}
}

// watchTimes reads a watch's interval (default 5s, at least
// MinWatchInterval) and wait (at most MaxWatchWait, the default) from q.
func watchTimes(q url.Values) (interval, wait time.Duration, err error) {
	interval, wait = 5*time.Second, api.MaxWatchWait
	for _, p := range []struct {
		key string
		dst *time.Duration
	}{{"interval", &interval}, {"wait", &wait}} {
		if v := q.Get(p.key); v != "" {
			d, err := units.ParseDuration(v)
			if err != nil || d <= 0 {
				return 0, 0, errors.New(p.key + ": want a positive duration such as 5s")
			}
			*p.dst = d
		}
	}
	return max(interval, api.MinWatchInterval), min(wait, api.MaxWatchWait), nil
}

// serveWatch answers POST /v1/watch?since=TOKEN&interval=D&wait=D with the
// workflow document as the body. A workflow the caller may not read is
// refused (403) whatever the token. Otherwise it returns as soon as the
// resolution's values differ from those TOKEN stands for (at once when
// since is empty, unknown or another caller's and they differ), checking
// every interval (at least 1s) with [resolver.Resolver.Watch]: one version
// probe per secret, a fetch only of the secrets whose version moved or is
// unknown; after wait (at most api.MaxWatchWait) it answers Changed false.
func (s *Server) serveWatch(w http.ResponseWriter, r *http.Request, g *generation, gr grant) {
	wf, ok := s.readWorkflow(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	interval, wait, err := watchTimes(q)
	if err != nil {
		writeError(w, http.StatusBadRequest, api.CodeBadRequest, err.Error())
		return
	}
	p := &watchPoll{
		s: s, w: w, r: r, g: g, rr: gr.resolver, wf: wf, since: q.Get("since"),
		// A token stands for one caller's view of one workflow.
		owner: watchOwner(r.Context(), gr.entry), wfd: workflowDigest(wf),
	}
	snap, done := p.start()
	if done {
		return
	}
	p.poll(snap, interval, wait)
}

// watchPoll is one long poll of POST /v1/watch: the request, the caller's
// resolver, the workflow and the token the client holds (since). It
// belongs to the request's goroutine.
type watchPoll struct {
	s  *Server
	w  http.ResponseWriter
	r  *http.Request
	g  *generation
	rr *resolver.Resolver
	wf resolver.Workflow

	since      string
	owner, wfd string // watchOwner and workflowDigest: whose view of what
}

// start finds the snapshot to poll from: the one since stands for, once
// the caller is checked to still be allowed the workflow; otherwise a
// fresh resolution, answered at once (done) unless its values are those
// since stands for.
func (p *watchPoll) start() (snap *resolver.Snapshot, done bool) {
	snap, known := p.s.watch.get(p.owner, p.wfd, p.since)
	if known {
		// The token says nothing about what this caller may read now.
		if _, err := p.rr.Plan(p.wf); err != nil {
			_, err = p.rr.Resolve(p.r.Context(), p.wf) // tells the audit log
			resolutionError(p.w, err)
			return nil, true
		}
		return snap, false
	}
	res, next, err := p.check(nil)
	if err != nil {
		resolutionError(p.w, err)
		return nil, true
	}
	if p.changed(res, next) {
		return nil, true
	}
	return next, false
}

// poll re-checks the workflow from snap every interval until its values
// differ from those since stands for (answered Changed true), a check
// fails for good (answered as a resolution error), the client goes away,
// or the next check would pass wait (answered Changed false).
func (p *watchPoll) poll(snap *resolver.Snapshot, interval, wait time.Duration) {
	deadline := time.Now().Add(wait)
	t := time.NewTimer(interval)
	defer t.Stop()
	for {
		if time.Now().Add(interval).After(deadline) {
			writeJSON(p.w, http.StatusOK, api.WatchResponse{Token: p.since, ResolveResponse: api.ResolveResponse{Workflow: p.wf.Name, Fields: []api.ResolvedField{}}})
			return
		}
		select {
		case <-p.r.Context().Done():
			return
		case <-t.C:
		}
		t.Reset(interval)
		res, next, err := p.check(snap)
		var rerr *resolver.Error
		switch {
		case err != nil && !errors.As(err, &rerr):
			// Refused or unplannable: it would be every time.
			resolutionError(p.w, err)
			return
		case err != nil:
			// A store failing now is not a change: the client keeps what it
			// has and asks again.
			p.s.log.Warn("watch: re-checking a workflow failed", "workflow", p.wf.Name, "error", err)
			continue
		case res == nil:
			snap = next
			p.s.watch.put(p.owner, p.wfd, p.since, next) // the next poll starts from these versions
			continue
		}
		if p.changed(res, next) {
			return
		}
		snap = next
	}
}

// check runs one [resolver.Resolver.Watch] from prev under the agent's
// request timeout.
func (p *watchPoll) check(prev *resolver.Snapshot) (*resolver.Result, *resolver.Snapshot, error) {
	ctx, cancel := withTimeout(p.r.Context(), p.g)
	defer cancel()
	return p.rr.Watch(ctx, p.wf, prev)
}

// changed remembers next under the token of res's values and, when that
// token is not since, answers with res and the token (Changed true).
func (p *watchPoll) changed(res *resolver.Result, next *resolver.Snapshot) bool {
	tok := p.s.watch.token(p.owner, p.wfd, res)
	p.s.watch.put(p.owner, p.wfd, tok, next)
	if tok == p.since {
		return false
	}
	writeJSON(p.w, http.StatusOK, api.WatchResponse{Changed: true, Token: tok, ResolveResponse: resolveResponse(p.wf.Name, res, p.g.res.UsedEnv())})
	return true
}
