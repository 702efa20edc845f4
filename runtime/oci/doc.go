// Package oci fetches Latchkey store modules from OCI registries and keeps
// them in a content-addressed cache, so that a module once pulled loads
// without the network.
//
// A module is an OCI artifact following the Wasm OCI artifact convention:
// an image manifest whose config has media type [ConfigMediaType] and whose
// one layer, of media type [LayerMediaType], is the module. Latchkey copies
// the module's capability section into the config (key
// "latchkey.capabilities") so that `latchkey module inspect` can show what
// a module declares before its layer is pulled.
//
// References are written oci://host[:port]/repository followed by
// :tag, @sha256:… or both ([ParseRef]). A reference with a digest, or a
// tag whose module is pinned by the store's sha256, is served from the
// cache without contacting the registry once cached; a bare tag is
// resolved at the registry on every load, since a tag can move.
//
// # Cache
//
// [Cache] keeps manifests, configs, modules and signature bundles under
// their SHA-256 digest; every read re-computes the digest and refuses a
// file that no longer matches ([ErrTampered]). Small records map a pulled
// manifest to the signature bundles found for it and a tag to the
// manifest it named; they are not trusted: every digest they lead to is
// checked, and signatures are verified after the cache answers.
//
// # Registry access
//
// Credentials come from the Docker config file (DOCKER_CONFIG or
// ~/.docker/config.json) and the credential helpers it names, as docker,
// oras and cosign use them. Registries are reached over HTTPS, except a
// loopback registry (localhost, 127.0.0.0/8, ::1) and one for which
// [Client.PlainHTTP] says so.
//
// # Errors
//
// Errors are [*Error]s naming the reference, the digest when known, and
// what failed; they wrap [ErrDigestMismatch], [ErrTampered],
// [ErrMediaType], [ErrUnreachable] or [ErrNotFound] for callers that branch.
package oci
