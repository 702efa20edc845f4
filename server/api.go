package server

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/latchkey/latchkey/internal/check"
	"github.com/latchkey/latchkey/resolver"
	"github.com/latchkey/latchkey/secret"
	"github.com/latchkey/latchkey/server/api"
	"github.com/latchkey/latchkey/workflow"
)

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
	writeJSON(w, status, api.ErrorBody{Error: api.ErrorDetail{Code: code, Message: msg, Errors: errs}})
}

// wireValue is v as the API carries it.
func wireValue(v secret.Value) api.Value {
	b := v.Reveal()
	if utf8.Valid(b) {
		s := string(b)
		return api.Value{String: &s}
	}
	return api.Value{Base64: base64.StdEncoding.EncodeToString(b)}
}

// readBody reads a request body of at most the configured cap; over it, it
// answers 413 and returns false.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	if r.ContentLength > s.opts.MaxBodyBytes {
		writeError(w, http.StatusRequestEntityTooLarge, api.CodeTooLarge, fmt.Sprintf("the body is %d bytes; the cap is %d (serve.max_body_bytes)", r.ContentLength, s.opts.MaxBodyBytes))
		return nil, false
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		writeError(w, http.StatusRequestEntityTooLarge, api.CodeTooLarge, fmt.Sprintf("the body exceeds the cap of %d bytes (serve.max_body_bytes)", s.opts.MaxBodyBytes))
		return nil, false
	case err != nil:
		writeError(w, http.StatusBadRequest, api.CodeBadRequest, "reading the body: "+err.Error())
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
		writeError(w, http.StatusBadRequest, api.CodeBadRequest, fmt.Sprintf("format %q: use yaml, json or toml", ff))
		return resolver.Workflow{}, false
	}
	wf, err := s.workflows.decode(name, f, data)
	if err != nil {
		writeError(w, http.StatusBadRequest, api.CodeWorkflowInvalid, err.Error(), resolver.ErrorsJSON(err)...)
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

// withTimeout bounds a resolution by the Spec's timeout.
func withTimeout(ctx context.Context, g *generation) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, g.spec.timeout())
}

// resolutionError answers a failed Resolve: every failed field (422), or a
// plan error (400), with the message the CLI prints.
func resolutionError(w http.ResponseWriter, err error) {
	var rerr *resolver.Error
	if errors.As(err, &rerr) {
		writeError(w, http.StatusUnprocessableEntity, api.CodeResolutionFailed, err.Error(), resolver.ErrorsJSON(err)...)
		return
	}
	if errors.Is(err, secret.ErrNotAllowed) {
		// A secrets rule or the caller's entry refused a reference.
		writeError(w, http.StatusForbidden, api.CodeForbidden, err.Error(), resolver.ErrorsJSON(err)...)
		return
	}
	writeError(w, http.StatusBadRequest, api.CodeWorkflowInvalid, err.Error(), resolver.ErrorsJSON(err)...)
}

func (s *Server) serveResolve(w http.ResponseWriter, r *http.Request, g *generation, gr grant) {
	wf, ok := s.readWorkflow(w, r)
	if !ok {
		return
	}
	ctx, cancel := withTimeout(refreshCtx(r), g)
	defer cancel()
	res, err := gr.resolver.Resolve(ctx, wf)
	if err != nil {
		resolutionError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, resolveResponse(wf.Name, res, g.res.UsedEnv()))
}

// resolveResponse is the answer of a resolution of the workflow named wf.
func resolveResponse(wf string, res *resolver.Result, usedEnv []string) api.ResolveResponse {
	out := api.ResolveResponse{Workflow: wf, Fields: make([]api.ResolvedField, 0, len(res.Fields)), UsedEnv: usedEnv}
	for _, f := range res.Fields {
		out.Fields = append(out.Fields, api.ResolvedField{Name: f.Name, Env: f.Env, Value: wireValue(f.Value), Secret: f.Secret, Defaulted: f.Defaulted})
	}
	return out
}

func (s *Server) serveCheck(w http.ResponseWriter, r *http.Request, g *generation, gr grant) {
	offline := r.URL.Query().Get("offline") == "true"
	wf, ok := s.readWorkflow(w, r)
	if !ok {
		return
	}
	ctx, cancel := withTimeout(r.Context(), g)
	defer cancel()
	out, err := check.Workflow(ctx, gr.resolver, wf, offline)
	if err != nil {
		writeError(w, http.StatusBadRequest, api.CodeWorkflowInvalid, err.Error(), resolver.ErrorsJSON(err)...)
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

func (s *Server) serveSecret(w http.ResponseWriter, r *http.Request, g *generation, gr grant) {
	raw := r.URL.Query().Get("ref")
	if raw == "" {
		writeError(w, http.StatusBadRequest, api.CodeBadRequest, "give the reference as ?ref=secret://STORE/NAME#KEY (URL-encoded)")
		return
	}
	ref, err := secret.ParseRef(raw)
	if err != nil {
		writeError(w, http.StatusBadRequest, api.CodeBadRequest, "ref: "+err.Error())
		return
	}
	wf := resolver.Workflow{Name: "secret", Fields: []resolver.Field{{Name: "value", Source: secret.Source{Ref: &ref}}}}
	plan, err := gr.resolver.Plan(wf)
	if err != nil {
		// Resolve fails the same way, without fetching, and tells the
		// observers (the audit log records the refusal).
		_, _ = gr.resolver.Resolve(r.Context(), wf)
		status, code := http.StatusBadRequest, api.CodeBadRequest
		if errors.Is(err, secret.ErrNotAllowed) {
			status, code = http.StatusForbidden, api.CodeForbidden // a secrets rule refused it
		}
		writeError(w, status, code, err.Error(), resolver.ErrorsJSON(err)...)
		return
	}
	ctx, cancel := withTimeout(refreshCtx(r), g)
	defer cancel()
	res, err := gr.resolver.Resolve(ctx, wf)
	if err != nil {
		var rerr *resolver.Error
		if errors.As(err, &rerr) && len(rerr.Fields) == 1 {
			fe := resolver.FieldErrorJSON(rerr.Fields[0])
			writeError(w, kindStatus(fe.Kind), api.CodeResolutionFailed, err.Error(), fe)
			return
		}
		resolutionError(w, err)
		return
	}
	out := api.SecretResponse{Ref: ref.String(), Store: plan.Steps[0].Store}
	if v, ok := res.Get("value"); ok {
		out.Value = wireValue(v)
	} else {
		out.Omitted = true
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) serveInvalidate(w http.ResponseWriter, r *http.Request, _ *generation, gr grant) {
	data, ok := s.readBody(w, r)
	if !ok {
		return
	}
	var req api.InvalidateRequest
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, api.CodeBadRequest, `body: want JSON such as {"store": "aws", "secret": "prod/db"}, {"store": "aws"} or {"all": true}: `+err.Error())
		return
	}
	switch {
	case req.All && (req.Store != "" || req.Secret != ""):
		writeError(w, http.StatusBadRequest, api.CodeBadRequest, `"all" cannot be combined with "store" or "secret"`)
		return
	case !req.All && req.Store == "":
		writeError(w, http.StatusBadRequest, api.CodeBadRequest, `say what to invalidate: {"store": S, "secret": N} (one secret), {"store": S} (one store) or {"all": true}`)
		return
	case req.Secret == "" && req.Version != "":
		writeError(w, http.StatusBadRequest, api.CodeBadRequest, `"version" needs "secret"`)
		return
	}
	res := gr.resolver
	if req.Store != "" && !hasStore(res, req.Store) {
		writeError(w, http.StatusBadRequest, api.CodeBadRequest, fmt.Sprintf("store %q is not declared (declared: %s)", req.Store, strings.Join(res.StoreNames(), ", ")))
		return
	}
	n, err := invalidate(res, req)
	if err != nil {
		writeError(w, http.StatusBadRequest, api.CodeBadRequest, err.Error())
		return
	}
	caller, _ := secret.CallerFrom(r.Context())
	s.log.Info("invalidated cache entries", "caller", caller.String(), "store", req.Store, "all", req.All, "dropped", n)
	writeJSON(w, http.StatusOK, api.InvalidateResponse{Dropped: n})
}

func hasStore(res *resolver.Resolver, name string) bool {
	for _, n := range res.StoreNames() {
		if n == name {
			return true
		}
	}
	return false
}

func (s *Server) serveHealth(w http.ResponseWriter, _ *http.Request, _ *generation, _ grant) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) serveReady(w http.ResponseWriter, _ *http.Request, g *generation, _ grant) {
	if g.res == nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "building stores"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ready", "stores": g.res.StoreNames()})
}

func (s *Server) servePing(w http.ResponseWriter, _ *http.Request, _ *generation, _ grant) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, "healthy")
}

func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request, _ *generation, _ grant) {
	s.metrics.handler.ServeHTTP(w, r)
}
