package server

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/latchkey/latchkey/server/api"
)

// endpoint is one route of the API.
type endpoint struct {
	method, path string
	name         string // the endpoint's name in metrics and for the Authorizer
	// open endpoints need no token on TCP (/ping, as the SM Agent's) and
	// skip the Authorizer.
	open bool
	// stores endpoints need the stores built and, with a callers section,
	// an entry naming the caller.
	stores bool
	serve  func(s *Server, w http.ResponseWriter, r *http.Request, g *generation, gr grant)
}

var endpoints = []endpoint{
	{http.MethodPost, "/v1/resolve", "resolve", false, true, (*Server).serveResolve},
	{http.MethodPost, "/v1/check", "check", false, true, (*Server).serveCheck},
	{http.MethodPost, "/v1/watch", "watch", false, true, (*Server).serveWatch},
	{http.MethodGet, "/v1/secret", "secret", false, true, (*Server).serveSecret},
	{http.MethodPost, "/v1/invalidate", "invalidate", false, true, (*Server).serveInvalidate},
	{http.MethodGet, "/secretsmanager/get", "secretsmanager", false, true, (*Server).serveSecretsManager},
	{http.MethodGet, "/healthz", "healthz", false, false, (*Server).serveHealth},
	{http.MethodGet, "/readyz", "readyz", false, false, (*Server).serveReady},
	{http.MethodGet, "/metrics", "metrics", false, false, (*Server).serveMetrics},
	{http.MethodGet, "/ping", "ping", true, false, (*Server).servePing},
}

// handler routes requests to the endpoints with an [http.ServeMux]: each
// endpoint's method and path, then its path alone for a wrong method
// (405). A GET endpoint answers HEAD too. Every route, and the answer to
// an unknown path (404), goes through the same middlewares ([Server.admit]),
// so that a TCP client without a token learns nothing about the paths.
//
// A path is an endpoint's when it is exactly the endpoint's path once
// decoded: what the mux would redirect (an unclean path such as
// /v1//resolve) or answer itself is an unknown endpoint, with the API's
// JSON error.
func (s *Server) handler() http.Handler {
	mux := http.NewServeMux()
	for _, e := range endpoints {
		serve := func(w http.ResponseWriter, r *http.Request, g *generation, gr grant) { e.serve(s, w, r, g, gr) }
		mux.Handle(e.method+" "+e.path, s.admit(e.name, e.open, s.authorized(e, serve)))
		mux.Handle(e.path, s.admit(e.name, e.open, wrongMethod(e)))
	}
	unknown := s.admit("unknown", false, noEndpoint)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m := r
		if r.URL.RawPath != "" {
			// Match the decoded path (a %2F is a slash), as the handlers
			// read it.
			u := *r.URL
			u.RawPath = ""
			m = r.WithContext(r.Context())
			m.URL = &u
		}
		h, pattern := mux.Handler(m)
		if i := strings.IndexByte(pattern, ' '); pattern == "" || pattern[i+1:] != r.URL.Path {
			h = unknown
		}
		h.ServeHTTP(w, r)
	})
}

// wrongMethod answers a request for e's path with another method.
func wrongMethod(e endpoint) held {
	return func(w http.ResponseWriter, r *http.Request, _ *generation) {
		w.Header().Set("Allow", e.method)
		writeError(w, http.StatusMethodNotAllowed, api.CodeMethod, fmt.Sprintf("%s wants %s, not %s", r.URL.Path, e.method, r.Method))
	}
}

// noEndpoint answers a path that is no endpoint's.
func noEndpoint(w http.ResponseWriter, r *http.Request, _ *generation) {
	writeError(w, http.StatusNotFound, api.CodeNoEndpoint, fmt.Sprintf("no endpoint %s (see docs/serve.md: /v1/resolve, /v1/check, /v1/watch, /v1/secret, /v1/invalidate, /secretsmanager/get, /healthz, /readyz, /metrics)", r.URL.Path))
}
