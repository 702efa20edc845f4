package server

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/latchkey/latchkey/resolver"
)

// Watch limits. A long poll holds its connection for at most
// MaxWatchWait, so that the answer fits the listener's write timeout (the
// resolution timeout plus a margin) even when a change is found at its end.
const (
	MaxWatchWait     = 8 * time.Second
	MinWatchInterval = time.Second
	// maxWatchStates bounds the versions remembered for watch tokens.
	maxWatchStates = 4096
)

// WatchResponse is the answer of POST /v1/watch: Changed with the new
// resolution and its token, or not Changed (the wait ended) with the token
// the client sent.
type WatchResponse struct {
	Changed bool   `json:"changed"`
	Token   string `json:"token"`
	ResolveResponse
}

// watchStates remembers, per token, the versions the resolution had, so
// that a client's next long poll starts from metadata calls, not a fetch.
// A token is an HMAC of the resolution's values under a key of this
// process: it tells whether values changed and nothing about them.
type watchStates struct {
	once sync.Once
	key  [32]byte
	mu   sync.Mutex
	m    map[string]resolver.Versions
}

func (ws *watchStates) token(res *resolver.Result) string {
	ws.once.Do(func() { _, _ = rand.Read(ws.key[:]) })
	h := hmac.New(sha256.New, ws.key[:])
	for _, f := range res.Fields {
		for _, part := range [][]byte{[]byte(f.Name), []byte(f.Env), f.Value.Reveal()} {
			var n [8]byte
			for i := range n {
				n[i] = byte(len(part) >> (8 * i))
			}
			h.Write(n[:])
			h.Write(part)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

func (ws *watchStates) get(tok string) (resolver.Versions, bool) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	v, ok := ws.m[tok]
	return v, ok
}

func (ws *watchStates) put(tok string, v resolver.Versions) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if ws.m == nil {
		ws.m = map[string]resolver.Versions{}
	}
	if len(ws.m) >= maxWatchStates {
		for k := range ws.m { // forget one; its client pays one fetch
			delete(ws.m, k)
			break
		}
	}
	ws.m[tok] = v
}

// serveWatch answers POST /v1/watch?since=TOKEN&interval=D&wait=D with the
// workflow document as the body: it returns as soon as the resolution's
// values differ from those TOKEN stands for (at once when since is empty
// or unknown and they differ), checking every interval (at least 1s) with
// version probes where the stores have them, else by resolving; after
// wait (at most MaxWatchWait) it answers Changed false.
func (s *Server) serveWatch(w http.ResponseWriter, r *http.Request, g *generation) {
	wf, ok := s.readWorkflow(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	interval, wait := 5*time.Second, MaxWatchWait
	for _, p := range []struct {
		key string
		dst *time.Duration
	}{{"interval", &interval}, {"wait", &wait}} {
		if v := q.Get(p.key); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				writeError(w, http.StatusBadRequest, CodeBadRequest, p.key+": want a positive duration such as 5s")
				return
			}
			*p.dst = d
		}
	}
	interval, wait = max(interval, MinWatchInterval), min(wait, MaxWatchWait)
	since := q.Get("since")
	rr := g.resolverFor(r.Context())
	resolve := func() (*resolver.Result, string, resolver.Versions, error) {
		ctx, cancel := withTimeout(withRefresh(r.Context()), g)
		defer cancel()
		vers, _ := rr.Versions(ctx, wf)
		res, err := rr.Resolve(ctx, wf)
		if err != nil {
			return nil, "", vers, err
		}
		tok := s.watch.token(res)
		s.watch.put(tok, vers)
		return res, tok, vers, nil
	}
	answer := func(res *resolver.Result, tok string) {
		out := WatchResponse{Changed: true, Token: tok,
			ResolveResponse: ResolveResponse{Workflow: wf.Name, Fields: make([]ResolvedField, 0, len(res.Fields)), UsedEnv: g.res.UsedEnv()}}
		for _, f := range res.Fields {
			out.Fields = append(out.Fields, ResolvedField{Name: f.Name, Env: f.Env, Value: wireValue(f.Value), Secret: f.Secret, Defaulted: f.Defaulted})
		}
		writeJSON(w, http.StatusOK, out)
	}
	prev, known := s.watch.get(since)
	if !known {
		res, tok, _, err := resolve()
		if err != nil {
			resolutionError(w, err)
			return
		}
		if tok != since {
			answer(res, tok)
			return
		}
		prev, _ = s.watch.get(tok)
	}
	deadline := time.Now().Add(wait)
	t := time.NewTimer(interval)
	defer t.Stop()
	for {
		if time.Now().Add(interval).After(deadline) {
			writeJSON(w, http.StatusOK, WatchResponse{Token: since, ResolveResponse: ResolveResponse{Workflow: wf.Name, Fields: []ResolvedField{}}})
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-t.C:
		}
		t.Reset(interval)
		ctx, cancel := withTimeout(r.Context(), g)
		vers, err := rr.Versions(ctx, wf)
		cancel()
		if err == nil && vers.Same(prev) {
			continue
		}
		res, tok, vers, err := resolve()
		if err != nil {
			// A store failing now is not a change: the client keeps what it
			// has and asks again.
			s.log.Warn("watch: re-checking a workflow failed", "workflow", wf.Name, "error", err)
			continue
		}
		if tok != since {
			answer(res, tok)
			return
		}
		prev = vers
	}
}

// Watch long-polls the server until the resolution of doc differs from the
// one token stands for ("" for the first call), checking every interval,
// for at most wait (capped by the server at MaxWatchWait).
func (c *Client) Watch(ctx context.Context, name string, doc []byte, token string, interval, wait time.Duration) (*WatchResponse, error) {
	q := url.Values{"name": {name}, "since": {token}, "interval": {interval.String()}, "wait": {wait.String()}}
	var out WatchResponse
	if err := c.do(ctx, http.MethodPost, "/v1/watch", q, doc, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
