// Package resolver resolves the fields of a workflow: each literal is used as
// written and each reference is fetched from its store, with every distinct
// secret fetched once, distinct secrets fetched concurrently, and any failure
// failing the whole resolution with one error that lists every failed field.
//
// Build a [Resolver] with [New] from a [Config] (or from an agent config file
// through package config), call [Resolver.Resolve] as often as needed, and
// [Resolver.Close] it at the end. A Resolver is safe for concurrent use.
//
// "Distinct" is by the store's identity of a secret
// ([secret.Description.Key]): an AWS secret named by name and by ARN in one
// workflow is one fetch once the store knows they are one. [StoreConfig.Cache] puts a cache (package
// cache) in front of a store, so that resolutions within its TTL share
// answers; [Resolver.Invalidate] and [Resolver.CacheStats] manage it.
//
// # Errors
//
// [New] returns every bad store at once, joined. [Resolver.Resolve] returns
// an [*Error] whose Fields name each failed field with its store, secret and
// key; the causes wrap the sentinels of package secret ([secret.ErrNotFound],
// [secret.ErrPermissionDenied], …) so callers can branch with errors.Is.
// No error ever holds a secret value.
package resolver
