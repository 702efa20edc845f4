package secret

import "context"

// Versioner is an optional [Store] capability: it reports the current
// version of a secret without fetching its payload, where the backend
// allows it (AWS DescribeSecret, GCP GetSecretVersion on "latest", Azure's
// cheapest metadata call, a Wasm module's optional export). Caches and
// `--watch` use it so that an unchanged secret costs a metadata call.
//
// CurrentVersion returns an opaque string that changes whenever the value
// req names changes; a missing secret is an error wrapping [ErrNotFound].
// It may be called concurrently and must honour ctx.
type Versioner interface {
	CurrentVersion(ctx context.Context, req Request) (string, error)
}

// Keyer is an optional [Store] capability: it maps a request to one
// canonical identity per secret, so that a secret named several ways (by
// name, by full or partial ARN, with the default version stage spelled out)
// is fetched and cached once. Requests with equal keys must name the same
// value. Stores without it are keyed by the request as written.
// SecretKey does no I/O and may be called concurrently.
type Keyer interface {
	SecretKey(req Request) string
}

// Principaler is an optional [Store] capability: it reports the principal
// the store actually acts as — an ARN, an application and object ID, a
// service account's email — which a configuration that names a default
// credential chain does not say. It may call the backend (AWS
// GetCallerIdentity) or report what the store's last authentication
// learned; it never returns a credential. `latchkey check` (online) prints
// it. It may be called concurrently.
type Principaler interface {
	Principal(ctx context.Context) (string, error)
}
