// Package gcp is the store of type "gcp": it reads secrets from Google Cloud
// Secret Manager through the official client (cloud.google.com/go/
// secretmanager/apiv1), verifying the CRC32C checksum of every payload.
//
// Importing the package registers the type; [New] builds a [Store] directly
// for embedders. The user documentation, with every setting and an agent
// config per authentication method, is in docs/stores.md (section "gcp").
//
// # Secret names
//
// A request names a secret in any of the forms users write:
//
//	projects/P/secrets/S/versions/V
//	projects/P/secrets/S                         (version from the request, else latest)
//	projects/P/locations/L/secrets/S[/versions/V] (a regional secret)
//	S                                            (project and location from the store)
//
// The request's Version (a number, "latest" or an alias) selects the version
// when the name has none; a name and a request that both give a version must
// agree. A short name takes the store's "project" setting, else the project
// of the store's credentials (a key file's project_id, or the metadata
// server's project on Google Cloud).
//
// # Checksums
//
// A payload whose data_crc32c does not match its data fails with a
// [*secret.StoreError] of Kind [secret.ErrUnavailable], never returned as a value. The field is optional in the
// API: a payload without it is accepted (the service stores one for every
// version added since it began computing them, older versions and some
// proxies may send none, and TLS protects the payload in transit) unless the
// store's require_checksum setting is true, in which case it fails the
// same way, saying that the checksum is missing.
//
// # Errors
//
// Get's failures of the service are a [*secret.StoreError] of Type "gcp"
// wrapping the service's status error, whose Kind callers branch on with
// errors.Is: [secret.ErrNotFound] (no such secret or version, and a disabled
// or destroyed version, as it cannot be read), [secret.ErrPermissionDenied]
// (PERMISSION_DENIED, UNAUTHENTICATED or a refused impersonation; Principal
// names the identity), [secret.ErrUnavailable] (after the retries, and a
// checksum mismatch). A malformed name, or a setting
// that makes a name unusable, wraps [secret.ErrInvalidConfig]. A canceled or
// expired context gives an error wrapping the context's error.
//
// # Network
//
// Building a store does no network I/O: with Application Default
// Credentials, the credentials are found on the first Get, since finding them
// can mean probing the metadata server. The client library's own logger is
// always silenced, because at debug level it would log response payloads.
package gcp
