// Package serveconf is the resident agent's serve section: how `latchkey
// serve` listens (unix socket, loopback TCP, tokens) and the limits it
// applies. Package server owns these settings; they sit in a package of
// their own so that the config loader can decode them without importing
// the agent (its HTTP server, metrics and stores), and so that an embedder
// fills in a [Settings] literal without the loader.
package serveconf
