// Package api is the resident agent's HTTP API as a Go program sees it:
// the JSON of every request and answer, the error codes a client branches
// on, and [Client], which calls a running `latchkey serve` over its unix
// socket or loopback TCP. The agent (package server) and the CLI share it,
// so that a program talking to the agent needs neither the agent nor its
// stores. docs/serve.md describes the endpoints.
package api
