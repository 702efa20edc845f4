// Package egress is the HTTP client of a guest's requests and its network
// policy: [Client] makes every request a guest asks the host module for
// (hostfuncs' http_request) and every exchange the host makes on a
// store's behalf ([Client.Transport]), under a store's [Options]. It
// checks each hop's scheme, host and port against the allow list
// ([HostRule]) and the metadata host names, each dialled address against
// the refused ranges ([Refused]: cloud-metadata, private, loopback,
// reserved, and the IPv4 addresses embedded in IPv6 ones) so that DNS
// rebinding cannot bypass it, follows redirects itself re-checking every
// hop, refuses a request still holding a credential placeholder the hook
// did not substitute, and caps bodies, headers, requests and time.
//
// The host module's public face — the policy types (hostfuncs.HTTPOptions
// is [Options]), the ABI's statuses, credentials — stays in package
// hostfuncs, which reports each call's requests through a [Recorder].
//
// It imports nothing of the project above it.
package egress
