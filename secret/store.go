package secret

import (
	"context"
	"io"
)

// Request names one secret for a [Store] to fetch.
type Request struct {
	// Name identifies the secret in the store's own terms: an AWS ARN or name,
	// an Azure Key Vault URL or secret name, a GCP resource name, an
	// environment variable, whatever a custom store accepts.
	Name string
	// Version selects a version when the store keeps several (an AWS version
	// ID or stage, an Azure version, a GCP version or alias). Empty means the
	// store's current version.
	Version string
}

// Store fetches secrets from one configured backend.
//
// Get returns the secret's raw bytes in [Result.Value]: JSON key look-ups
// are done by the caller, never by the store. A missing secret is an error
// wrapping [ErrNotFound], never an empty value. Get must honour ctx's
// deadline and cancellation, and its errors must never contain the secret's
// value. What the fetch learned besides the value (the version, calls to
// the backing service) travels in the Result's [FetchInfo], also beside an
// error (see [Result]); a store that learns nothing returns
// Result{Value: v}.
//
// Get may be called concurrently from many goroutines. Close releases the
// store's clients; no Get may start after Close. Close may be called while
// a Get that ignored its context is still running (the resolver stops
// waiting at the caller's deadline): that Get must then fail, not crash.
type Store interface {
	Get(ctx context.Context, req Request) (Result, error)
	io.Closer
}
