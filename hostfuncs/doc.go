// Package hostfuncs is the host module that Latchkey's Wasm guests import,
// named [ModuleName] ("latchkey_v1"): the only door out of the sandbox.
//
// A guest may read the call's input (the store's JSON config and the secret
// asked for), set the result or a typed error, log, and make HTTP requests.
// [Instantiate] adds the module to a wazero runtime once; the state of each
// guest call travels in its context as a [*Call] (see [WithCall]), so one
// runtime serves many stores, each with its own HTTP client and policy
// ([HTTPOptions]).
//
// # Hostile guests
//
// Every pointer and length a guest passes is treated as hostile: a range
// outside linear memory yields [StatusMemory], never a host panic, and every
// view of guest memory is copied before the guest runs again. The host never
// calls into the guest's allocator: reads follow the (buf, limit) → len
// convention described in guest-sdk/ABI.md.
//
// # Network policy
//
// The store's HTTP client (internal/egress, built by package runtime from
// the store's [HTTPOptions]) enforces, on every request and on every
// redirect it follows: the
// allow list of scheme, host and port; https unless plain http is allowed
// for the host; no private, loopback, link-local, CGNAT or cloud-metadata
// address, checked on the resolved IP when the socket is dialed (so DNS
// rebinding cannot bypass it) unless the operator allows it — metadata
// addresses only through [HTTPOptions].AllowMetadata; no proxy from the
// environment; hop-by-hop and Host headers dropped; caps on bodies,
// headers, requests per call (every attempt counts, refused ones too) and
// time per request. A refusal is a status the guest can handle
// ([StatusNotAllowed] and friends), logged under the module's name, at most
// [MaxRefusalLogs] times per call.
//
// # Credentials
//
// [Credentials] lets the operator give a guest credentials it never sees:
// the guest writes a placeholder, {{latchkey.credential:NAME}}, in a header
// value, and the host's [RequestHook] substitutes the value on each hop
// whose host the credential is bound to, refusing the request otherwise;
// [HTTPOptions].Redact removes the values from responses before the guest
// reads them, in every encoding internal/redact lists. A client that redacts owns
// content negotiation (it drops the guest's Accept-Encoding, Range and the
// like, and refuses encoded or partial responses), and every log line of a
// call passes the same redaction (internal/redact.LogHandler). guest-sdk/ABI.md has
// the syntax and the threat model.
//
// # Brokered credentials
//
// A [Credential] may instead be brokered: a [Source] (a value the host
// obtains at run time, such as a login's token, substituted like a static
// value and learnt by the redactor before it is sent), a [Signer] (which
// signs every hop to its hosts, no placeholder) or a [CertificateFunc] (a
// TLS client certificate presented to its hosts). Their implementations —
// login exchanges, OAuth2, cloud identities — live in providers/wasm, above
// this package. A 401 or 403 to a hop that carried a source's value is
// retried once after the source is told ([HTTPOptions].Rejected); the
// host's own exchanges go out through the client's Transport.
package hostfuncs
