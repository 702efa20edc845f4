// Package server is the resident agent behind `latchkey serve`: an HTTP API
// on a unix socket (callers known by SO_PEERCRED) and, when asked, on
// loopback TCP (callers known by a named token), in front of one
// [resolver.Resolver] built from the agent config.
//
// # Endpoints
//
//   - POST /v1/resolve: resolve the workflow document in the body (YAML,
//     JSON or TOML, as `latchkey resolve` reads it); every field, or one
//     error listing every failed field.
//   - POST /v1/check: each field's outcome, without values.
//   - GET /v1/secret?ref=secret://…: one reference.
//   - POST /v1/invalidate: drop cached entries (one secret, one store, all).
//   - GET /healthz, /readyz: alive; ready once every store is built.
//   - GET /metrics: Prometheus metrics (no secret names or values).
//   - GET /secretsmanager/get?secretId=…: the AWS Secrets Manager Agent's
//     endpoint and response shape; GET /ping answers without a token.
//
// Every error is JSON: {"error": {"code", "message", "fields"}} ([api.ErrorBody]).
// Package [github.com/latchkey/latchkey/server/api] holds the JSON of every
// endpoint and the [api.Client] that `latchkey --server` calls the agent with.
//
// # Lifecycle
//
// [New] loads the configuration, a [Spec], with [Config.Load], and reads
// the tokens; [Server.Listen] opens
// the listeners (refusing a live socket, removing a stale one);
// [Server.Serve] builds the stores, serves until its context ends, then
// drains in-flight requests for the grace period. [Server.Reload] loads the
// config again and swaps it in only when it is good, rebuilding the stores
// that changed. The package never handles signals: cmd/latchkey maps SIGHUP
// to Reload and SIGTERM to the end of Serve's context.
//
// # Configuration
//
// A [Spec] is Go values: the stores ([resolver.Config]), the timeout, the
// serve section ([serveconf.Settings], package server/serveconf) and the
// callers section ([policy.CallerSpec]). `latchkey serve` builds it from
// the agent config file with package config; an embedder may build it
// itself, and this package does not import the config loader (Example).
package server
