package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/latchkey/latchkey/audit"
	"github.com/latchkey/latchkey/resolver"
	"github.com/latchkey/latchkey/secret"
	"github.com/latchkey/latchkey/workflow"
)

// proxyHeaders are the headers a forwarding proxy adds (canonical form).
var proxyHeaders = []string{"X-Forwarded-For", "Forwarded", "X-Real-Ip"}

// route is one endpoint.
type route struct {
	name   string // the endpoint's name in metrics and for the Authorizer
	method string
	// open routes need no token on TCP (/ping, as the SM Agent's).
	open bool
	// stores routes need the stores built.
	stores bool
	serve  func(s *Server, w http.ResponseWriter, r *http.Request, g *generation)
}

var routes = map[string]route{
	"/v1/resolve":         {name: "resolve", method: http.MethodPost, stores: true, serve: (*Server).serveResolve},
	"/v1/check":           {name: "check", method: http.MethodPost, stores: true, serve: (*Server).serveCheck},
	"/v1/watch":           {name: "watch", method: http.MethodPost, stores: true, serve: (*Server).serveWatch},
	"/v1/secret":          {name: "secret", method: http.MethodGet, stores: true, serve: (*Server).serveSecret},
	"/v1/invalidate":      {name: "invalidate", method: http.MethodPost, stores: true, serve: (*Server).serveInvalidate},
	"/secretsmanager/get": {name: "secretsmanager", method: http.MethodGet, stores: true, serve: (*Server).serveSecretsManager},
	"/healthz":            {name: "healthz", method: http.MethodGet, serve: (*Server).serveHealth},
	"/readyz":             {name: "readyz", method: http.MethodGet, serve: (*Server).serveReady},
	"/metrics":            {name: "metrics", method: http.MethodGet, serve: (*Server).serveMetrics},
	"/ping":               {name: "ping", method: http.MethodGet, open: true, serve: (*Server).servePing},
}

// statusWriter records the status for metrics.
type statusWriter struct {
	http.ResponseWriter
	status int
}

// WriteHeader records the first status.
func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write records 200 when no status was written.
func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (s *Server) serveHTTP(rw http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rt, known := routes[r.URL.Path]
	endpoint := rt.name
	if !known {
		endpoint = "unknown"
	}
	w := &statusWriter{ResponseWriter: rw}
	s.metrics.inflight.Inc()
	defer func() {
		if p := recover(); p != nil {
			// The panic value is not logged: it could hold a secret.
			s.log.Error("handler panicked (a bug; report it)", "endpoint", endpoint)
			if w.status == 0 {
				writeError(w, http.StatusInternalServerError, CodeInternal, "internal error (see the agent's log)")
			}
		}
		s.metrics.inflight.Dec()
		s.metrics.observeRequest(endpoint, w.status, time.Since(start))
	}()
	w.Header().Set("Cache-Control", "no-store")
	c := connFrom(r.Context())
	if c == nil {
		writeError(w, http.StatusForbidden, CodeForbidden, "request did not come through one of the server's listeners")
		return
	}
	// A proxy in front would make every client look local: refuse, as the
	// AWS Secrets Manager Agent refuses X-Forwarded-For.
	for _, h := range proxyHeaders {
		if _, proxied := r.Header[h]; proxied {
			writeError(w, http.StatusBadRequest, CodeForbidden, "requests with "+h+" are refused: the agent must not sit behind a proxy")
			return
		}
	}
	g := s.acquire()
	if g == nil {
		writeError(w, http.StatusServiceUnavailable, CodeNotReady, "the agent is shutting down")
		return
	}
	defer g.release()
	caller, ok := s.identify(w, r, c, g, rt.open)
	if !ok {
		return
	}
	if !known {
		writeError(w, http.StatusNotFound, CodeNoEndpoint, fmt.Sprintf("no endpoint %s (see docs/serve.md: /v1/resolve, /v1/check, /v1/watch, /v1/secret, /v1/invalidate, /secretsmanager/get, /healthz, /readyz, /metrics)", r.URL.Path))
		return
	}
	if r.Method != rt.method && !(rt.method == http.MethodGet && r.Method == http.MethodHead) {
		w.Header().Set("Allow", rt.method)
		writeError(w, http.StatusMethodNotAllowed, CodeMethod, fmt.Sprintf("%s wants %s, not %s", r.URL.Path, rt.method, r.Method))
		return
	}
	ctx := audit.WithRequest(secret.WithCaller(r.Context(), caller), audit.NewRequestID())
	if g.callers != nil && rt.stores {
		entry, err := g.callers.Match(caller)
		if err != nil {
			s.log.Warn("refused a caller no callers entry names", "caller", caller.String(), "endpoint", rt.name)
			writeError(w, http.StatusForbidden, CodeForbidden, err.Error())
			return
		}
		ctx = withEntry(ctx, entry.Name())
	}
	if g.authorize != nil && !rt.open {
		if err := g.authorize(ctx, caller, rt.name); err != nil {
			s.log.Info("refused by policy", "caller", caller.String(), "endpoint", rt.name)
			writeError(w, http.StatusForbidden, CodeForbidden, err.Error())
			return
		}
	}
	if rt.stores && g.res == nil {
		writeError(w, http.StatusServiceUnavailable, CodeNotReady, "the stores are still being built; retry once /readyz answers 200")
		return
	}
	rt.serve(s, w, r.WithContext(ctx), g)
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
		writeError(w, http.StatusUnauthorized, CodeUnauthorized, "a token is required on TCP: send it in the "+TokenHeader+" (or "+AWSTokenHeader+") header")
		return secret.Caller{}, false
	}
	name, ok := g.tokens.match(tok)
	if !ok {
		s.log.Info("refused a wrong token", "remote", r.RemoteAddr)
		writeError(w, http.StatusUnauthorized, CodeUnauthorized, "the token is not one of the agent's tokens")
		return secret.Caller{}, false
	}
	return secret.Caller{Kind: secret.CallerToken, Token: name, UID: -1, GID: -1, PID: -1}, true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		status = http.StatusInternalServerError
		b.Reset()
		b.WriteString(`{"error":{"code":"internal","message":"encoding the response failed"}}` + "\n")
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

func writeError(w http.ResponseWriter, status int, code, msg string, errs ...resolver.ErrorJSON) {
	writeJSON(w, status, ErrorBody{Error: APIError{Code: code, Message: msg, Errors: errs}})
}

// readBody reads a request body of at most the configured cap; over it, it
// answers 413 and returns false.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	if r.ContentLength > s.opts.maxBody {
		writeError(w, http.StatusRequestEntityTooLarge, CodeTooLarge, fmt.Sprintf("the body is %d bytes; the cap is %d (serve.max_body_bytes)", r.ContentLength, s.opts.maxBody))
		return nil, false
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.opts.maxBody))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		writeError(w, http.StatusRequestEntityTooLarge, CodeTooLarge, fmt.Sprintf("the body exceeds the cap of %d bytes (serve.max_body_bytes)", s.opts.maxBody))
		return nil, false
	case err != nil:
		writeError(w, http.StatusBadRequest, CodeBadRequest, "reading the body: "+err.Error())
		return nil, false
	}
	return data, true
}

// readWorkflow decodes the workflow in the body. The query's name names it
// in errors (the CLI sends the file's path, so that errors read as they do
// without a server) and picks its format by extension; format overrides.
func (s *Server) readWorkflow(w http.ResponseWriter, r *http.Request) (resolver.Workflow, bool) {
	data, ok := s.readBody(w, r)
	if !ok {
		return resolver.Workflow{}, false
	}
	q := r.URL.Query()
	name := q.Get("name")
	if name == "" {
		name = "request"
	}
	f := workflow.FormatOf(name, data)
	switch ff := q.Get("format"); ff {
	case "":
		switch ct, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";"); strings.TrimSpace(ct) {
		case "application/json":
			f = workflow.JSON
		case "application/yaml", "application/x-yaml", "text/yaml":
			f = workflow.YAML
		case "application/toml":
			f = workflow.TOML
		}
	case "yaml", "json", "toml":
		f = workflow.Format(ff)
	default:
		writeError(w, http.StatusBadRequest, CodeBadRequest, fmt.Sprintf("format %q: use yaml, json or toml", ff))
		return resolver.Workflow{}, false
	}
	wf, err := s.workflows.decode(name, f, data)
	if err != nil {
		writeError(w, http.StatusBadRequest, CodeWorkflowInvalid, err.Error(), resolver.ErrorsJSON(err)...)
		return resolver.Workflow{}, false
	}
	return wf, true
}

// refreshCtx is the request's context, bypassing the cache when the query
// says refresh=true.
func refreshCtx(r *http.Request) context.Context {
	if r.URL.Query().Get("refresh") == "true" {
		return withRefresh(r.Context())
	}
	return r.Context()
}

// withTimeout bounds a resolution by the agent config's timeout.
func withTimeout(ctx context.Context, g *generation) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, g.agent.Timeout)
}

// resolutionError answers a failed Resolve: every failed field (422), or a
// plan error (400), with the message the CLI prints.
func resolutionError(w http.ResponseWriter, err error) {
	var rerr *resolver.Error
	if errors.As(err, &rerr) {
		writeError(w, http.StatusUnprocessableEntity, CodeResolutionFailed, err.Error(), resolver.ErrorsJSON(err)...)
		return
	}
	if errors.Is(err, secret.ErrNotAllowed) {
		// A secrets rule or the caller's entry refused a reference.
		writeError(w, http.StatusForbidden, CodeForbidden, err.Error(), resolver.ErrorsJSON(err)...)
		return
	}
	writeError(w, http.StatusBadRequest, CodeWorkflowInvalid, err.Error(), resolver.ErrorsJSON(err)...)
}

func (s *Server) serveResolve(w http.ResponseWriter, r *http.Request, g *generation) {
	wf, ok := s.readWorkflow(w, r)
	if !ok {
		return
	}
	ctx, cancel := withTimeout(refreshCtx(r), g)
	defer cancel()
	res, err := g.resolverFor(ctx).Resolve(ctx, wf)
	if err != nil {
		resolutionError(w, err)
		return
	}
	out := ResolveResponse{Workflow: wf.Name, Fields: make([]ResolvedField, 0, len(res.Fields)), UsedEnv: g.res.UsedEnv()}
	for _, f := range res.Fields {
		out.Fields = append(out.Fields, ResolvedField{Name: f.Name, Env: f.Env, Value: wireValue(f.Value), Secret: f.Secret, Defaulted: f.Defaulted})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) serveCheck(w http.ResponseWriter, r *http.Request, g *generation) {
	offline := r.URL.Query().Get("offline") == "true"
	wf, ok := s.readWorkflow(w, r)
	if !ok {
		return
	}
	ctx, cancel := withTimeout(r.Context(), g)
	defer cancel()
	out, err := Check(ctx, g.resolverFor(ctx), wf, offline)
	if err != nil {
		writeError(w, http.StatusBadRequest, CodeWorkflowInvalid, err.Error(), resolver.ErrorsJSON(err)...)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// kindStatus maps a failure's kind to the status of a one-secret answer.
func kindStatus(kind string) int {
	switch kind {
	case "not_found":
		return http.StatusNotFound
	case "permission_denied", "not_allowed":
		return http.StatusForbidden
	case "invalid_config":
		return http.StatusBadRequest
	case "deadline":
		return http.StatusGatewayTimeout
	case "unavailable", "canceled":
		return http.StatusBadGateway
	}
	return http.StatusInternalServerError
}

func (s *Server) serveSecret(w http.ResponseWriter, r *http.Request, g *generation) {
	raw := r.URL.Query().Get("ref")
	if raw == "" {
		writeError(w, http.StatusBadRequest, CodeBadRequest, "give the reference as ?ref=secret://STORE/NAME#KEY (URL-encoded)")
		return
	}
	ref, err := secret.ParseRef(raw)
	if err != nil {
		writeError(w, http.StatusBadRequest, CodeBadRequest, "ref: "+err.Error())
		return
	}
	wf := resolver.Workflow{Name: "secret", Fields: []resolver.Field{{Name: "value", Source: secret.Source{Ref: &ref}}}}
	plan, err := g.resolverFor(r.Context()).Plan(wf)
	if err != nil {
		// Resolve fails the same way, without fetching, and tells the
		// observers (the audit log records the refusal).
		_, _ = g.resolverFor(r.Context()).Resolve(r.Context(), wf)
		status, code := http.StatusBadRequest, CodeBadRequest
		if errors.Is(err, secret.ErrNotAllowed) {
			status, code = http.StatusForbidden, CodeForbidden // a secrets rule refused it
		}
		writeError(w, status, code, err.Error(), resolver.ErrorsJSON(err)...)
		return
	}
	ctx, cancel := withTimeout(refreshCtx(r), g)
	defer cancel()
	res, err := g.resolverFor(ctx).Resolve(ctx, wf)
	if err != nil {
		var rerr *resolver.Error
		if errors.As(err, &rerr) && len(rerr.Fields) == 1 {
			fe := resolver.FieldErrorJSON(rerr.Fields[0])
			writeError(w, kindStatus(fe.Kind), CodeResolutionFailed, err.Error(), fe)
			return
		}
		resolutionError(w, err)
		return
	}
	out := SecretResponse{Ref: ref.String(), Store: plan.Steps[0].Store}
	if v, ok := res.Get("value"); ok {
		out.Value = wireValue(v)
	} else {
		out.Omitted = true
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) serveInvalidate(w http.ResponseWriter, r *http.Request, g *generation) {
	data, ok := s.readBody(w, r)
	if !ok {
		return
	}
	var req InvalidateRequest
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, CodeBadRequest, `body: want JSON such as {"store": "aws", "secret": "prod/db"}, {"store": "aws"} or {"all": true}: `+err.Error())
		return
	}
	switch {
	case req.All && (req.Store != "" || req.Secret != ""):
		writeError(w, http.StatusBadRequest, CodeBadRequest, `"all" cannot be combined with "store" or "secret"`)
		return
	case !req.All && req.Store == "":
		writeError(w, http.StatusBadRequest, CodeBadRequest, `say what to invalidate: {"store": S, "secret": N} (one secret), {"store": S} (one store) or {"all": true}`)
		return
	case req.Secret == "" && req.Version != "":
		writeError(w, http.StatusBadRequest, CodeBadRequest, `"version" needs "secret"`)
		return
	}
	res := g.resolverFor(r.Context())
	if req.Store != "" && !hasStore(res, req.Store) {
		writeError(w, http.StatusBadRequest, CodeBadRequest, fmt.Sprintf("store %q is not declared (declared: %s)", req.Store, strings.Join(res.StoreNames(), ", ")))
		return
	}
	n, err := invalidate(res, req)
	if err != nil {
		writeError(w, http.StatusBadRequest, CodeBadRequest, err.Error())
		return
	}
	caller, _ := secret.CallerFrom(r.Context())
	s.log.Info("invalidated cache entries", "caller", caller.String(), "store", req.Store, "all", req.All, "dropped", n)
	writeJSON(w, http.StatusOK, InvalidateResponse{Dropped: n})
}

func hasStore(res *resolver.Resolver, name string) bool {
	for _, n := range res.StoreNames() {
		if n == name {
			return true
		}
	}
	return false
}

func (s *Server) serveHealth(w http.ResponseWriter, _ *http.Request, _ *generation) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) serveReady(w http.ResponseWriter, _ *http.Request, g *generation) {
	if g.res == nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "building stores"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ready", "stores": g.res.StoreNames()})
}

func (s *Server) servePing(w http.ResponseWriter, _ *http.Request, _ *generation) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, "healthy")
}

func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request, _ *generation) {
	s.metrics.handler.ServeHTTP(w, r)
}
