// Package protect keeps a store from hurting its backend and its callers:
// [Wrap] puts a [secret.Store] behind a request rate limit (a token
// bucket), a bound on the fetches in flight, retries with jittered
// exponential back-off that honour Retry-After, and a circuit breaker that,
// after repeated unavailability, fails fast for a cool-off with an error
// that says so.
//
// It sits directly around a built store, under the cache and policy layers
// (policy → cache → protection → store), so that only calls that reach the
// backend are limited and retried.
//
// # Retries, and where they belong
//
// The cloud stores retry inside their SDKs (aws max_attempts, azure
// max_retries, gcp max_attempts), where the wire is visible: throttling
// codes, Retry-After headers, whether the request was sent at all. A
// second retry loop here would multiply the attempts (3 × 3 = 9 calls for
// one fetch). So a store type whose client retries says so when it
// registers ([secret.Protection].ClientRetries, as aws, azure and gcp do),
// and its defaults ([Defaults]) have no retries here (retry.max 0); stores
// that do not retry (wasm) get retries here. Set one or the other. A retry here waits for the
// rate limiter like any call and never sleeps past the caller's deadline.
//
// # Errors
//
// Refusals are [*OpenError] (the breaker is open), [*LimitError] (the
// rate limit or the in-flight bound would keep the fetch past its
// deadline); both wrap [secret.ErrUnavailable] and name the store.
package protect
