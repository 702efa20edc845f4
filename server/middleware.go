package server

import (
	"net/http"
	"time"

	"github.com/latchkey/latchkey/audit"
	"github.com/latchkey/latchkey/secret"
	"github.com/latchkey/latchkey/server/api"
)

// The middlewares every route goes through, outermost first: [Server.metered],
// [Server.recovered], [direct], [Server.identified], then, for an endpoint
// (not a wrong method or an unknown path), [Server.authorized]. Each
// answers and stops the request, or calls the next.

// admit is the chain every route starts with: metrics and panic recovery
// under the endpoint's name, then the checks that identify the caller
// (open: without a token on TCP).
func (s *Server) admit(name string, open bool, next held) http.Handler {
	return s.metered(name, s.recovered(name, direct(s.identified(open, next))))
}

// statusWriter records the status for metrics, and ends the connection
// after a 401 or 403 and after any answer on a connection whose peer has
// not shown it is an authorized caller: such a peer gets no keep-alive.
type statusWriter struct {
	http.ResponseWriter
	status int
	conn   *conn
}

// WriteHeader records the first status.
func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
		if code == http.StatusUnauthorized || code == http.StatusForbidden || w.conn == nil || !w.conn.trusted.Load() {
			w.Header().Set("Connection", "close")
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write records 200 when no status was written.
func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// metered counts the request in flight and, once answered, by endpoint
// name and status, with its duration. The handlers after it write to a
// [*statusWriter].
func (s *Server) metered(name string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		start := time.Now()
		w := &statusWriter{ResponseWriter: rw, conn: connFrom(r.Context())}
		s.metrics.inflight.Inc()
		defer func() {
			s.metrics.inflight.Dec()
			s.metrics.observeRequest(name, w.status, time.Since(start))
		}()
		next.ServeHTTP(w, r)
	})
}

// recovered turns a panic (a bug) into a 500, when nothing was written
// yet, and a log record naming the endpoint. The panic value is not
// logged: it could hold a secret.
func (s *Server) recovered(name string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				s.log.Error("handler panicked (a bug; report it)", "endpoint", name)
				if sw, ok := w.(*statusWriter); !ok || sw.status == 0 {
					writeError(w, http.StatusInternalServerError, api.CodeInternal, "internal error (see the agent's log)")
				}
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// proxyHeaders are the headers a forwarding proxy adds (canonical form).
var proxyHeaders = []string{"X-Forwarded-For", "Forwarded", "X-Real-Ip"}

// direct serves only requests that came straight from their client:
// through one of the server's listeners (403), without a forwarding
// proxy's headers (400). A proxy in front would make every client look
// local: it is refused, as the AWS Secrets Manager Agent refuses
// X-Forwarded-For. Every answer from here on is marked no-store.
func direct(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if connFrom(r.Context()) == nil {
			writeError(w, http.StatusForbidden, api.CodeForbidden, "request did not come through one of the server's listeners")
			return
		}
		for _, h := range proxyHeaders {
			if _, proxied := r.Header[h]; proxied {
				writeError(w, http.StatusBadRequest, api.CodeForbidden, "requests with "+h+" are refused: the agent must not sit behind a proxy")
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// held is a handler that runs while its request holds a generation: the
// routes after [Server.identified].
type held func(w http.ResponseWriter, r *http.Request, g *generation)

// granted is an endpoint's handler: it runs after [Server.authorized], with
// the caller's grant (the zero grant for an endpoint that uses no store).
type granted func(w http.ResponseWriter, r *http.Request, g *generation, gr grant)

// identified holds the current generation for the request (503 when the
// server is stopping) and identifies the caller by it: the unix peer, or
// the token's name on TCP (401 without a valid token unless open). A
// valid token that the callers section names (any, without one) makes a
// TCP connection an authorized caller's. The request goes on with the
// caller ([secret.CallerFrom]) and an audit request ID in its context.
func (s *Server) identified(open bool, next held) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g := s.acquire()
		if g == nil {
			writeError(w, http.StatusServiceUnavailable, api.CodeNotReady, "the agent is shutting down")
			return
		}
		defer g.release()
		c := connFrom(r.Context())
		caller, ok := s.identify(w, r, c, g, open)
		if !ok {
			return
		}
		// A Windows pipe's client is known only once the request is read
		// (its connection was accepted as a stranger's): it becomes an
		// authorized caller's as a TCP connection with a valid token does.
		if ((c.transport == overTCP && caller.Token != "") || caller.Kind == secret.CallerPipe) && !c.trusted.Load() {
			// A valid token; with a callers section, one that an entry names.
			if g.callers == nil {
				c.trust()
			} else if _, err := g.callers.Match(caller); err == nil {
				c.trust()
			}
		}
		ctx := audit.WithRequest(secret.WithCaller(r.Context(), caller), audit.NewRequestID())
		next(w, r.WithContext(ctx), g)
	})
}

// identify returns the caller: the unix peer, or the token's name on TCP.
func (s *Server) identify(w http.ResponseWriter, r *http.Request, c *conn, g *generation, open bool) (secret.Caller, bool) {
	if c.transport == overUnix {
		return c.peer(), true
	}
	if open {
		return secret.Caller{Kind: secret.CallerToken, UID: -1, GID: -1, PID: -1}, true
	}
	tok, present := presentedToken(r)
	if !present {
		writeError(w, http.StatusUnauthorized, api.CodeUnauthorized, "a token is required on TCP: send it in the "+api.TokenHeader+" (or "+api.AWSTokenHeader+") header")
		return secret.Caller{}, false
	}
	name, ok := g.tokens.match(tok)
	if !ok {
		s.log.Info("refused a wrong token", "remote", r.RemoteAddr)
		writeError(w, http.StatusUnauthorized, api.CodeUnauthorized, "the token is not one of the agent's tokens")
		return secret.Caller{}, false
	}
	return secret.Caller{Kind: secret.CallerToken, Token: name, UID: -1, GID: -1, PID: -1}, true
}

// authorized lets a caller use endpoint e when the callers section names
// it (for endpoints that use stores) and the Authorizer allows it (for all
// but open endpoints), 403 otherwise; then it answers 503 to an endpoint
// that needs the stores while they are being built. An endpoint that uses
// the stores is handed the grant of the caller's entry: the Resolver of
// that entry's stores.
func (s *Server) authorized(e endpoint, next granted) held {
	return func(w http.ResponseWriter, r *http.Request, g *generation) {
		caller, _ := secret.CallerFrom(r.Context())
		var entry string
		if g.callers != nil && e.stores {
			rule, err := g.callers.Match(caller)
			if err != nil {
				s.log.Warn("refused a caller no callers entry names", "caller", caller.String(), "endpoint", e.name)
				writeError(w, http.StatusForbidden, api.CodeForbidden, err.Error())
				return
			}
			entry = rule.Name()
		}
		if g.authorize != nil && !e.open {
			if err := g.authorize(r.Context(), caller, e.name); err != nil {
				s.log.Info("refused by policy", "caller", caller.String(), "endpoint", e.name)
				writeError(w, http.StatusForbidden, api.CodeForbidden, err.Error())
				return
			}
		}
		if !e.stores {
			next(w, r, g, grant{})
			return
		}
		if g.res == nil {
			writeError(w, http.StatusServiceUnavailable, api.CodeNotReady, "the stores are still being built; retry once /readyz answers 200")
			return
		}
		next(w, r, g, g.grantFor(entry))
	}
}
