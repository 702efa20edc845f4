package hostfuncs

import "github.com/latchkey/latchkey/internal/egress"

// ModuleName is the import module name of ABI version 1. The version is part
// of the name so that a guest built for another ABI fails at link time.
const ModuleName = "latchkey_v1"

// ABIMarkerExport is the export whose presence declares that a guest speaks
// ABI v1. It takes and returns nothing and is never called.
const ABIMarkerExport = "latchkey_abi_v1"

// VersionExport is the optional guest export (ABI 1.1) that reports the
// current version of a secret without its payload. The host calls it only
// when a module exports it.
const VersionExport = "latchkey_version"

// MaxVersion caps a version string, whether a guest returns it from
// [VersionExport] or records it with version_set (ABI 1.1).
const MaxVersion = 256

// Status codes that host functions return to guests (negative i32). They are
// part of the ABI; see guest-sdk/ABI.md. Those the HTTP client returns are
// internal/egress's, under the same names.
const (
	StatusMemory     int32 = -1                      // a pointer/length pair lies outside linear memory
	StatusArgument   int32 = egress.StatusArgument   // -2: unknown kind/part/code, malformed method, URL or header
	StatusTooLarge   int32 = egress.StatusTooLarge   // -3: a request, response, result or header block exceeds its cap
	StatusNotAllowed int32 = egress.StatusNotAllowed // -4: the network policy refused the request
	StatusLimit      int32 = egress.StatusLimit      // -5: the call's budget (requests per call) is spent
	StatusNetwork    int32 = egress.StatusNetwork    // -6: the request failed: connection, TLS, time-out
	StatusState      int32 = -7                      // out of order: no call in progress, no response, result already set
	StatusCredential int32 = egress.StatusCredential // -8: a credential placeholder was refused (unknown, unbound host, not allowed there)
)

// Input kinds of input_read.
const (
	InputConfig  = 0
	InputName    = 1
	InputKey     = 2
	InputVersion = 3
)

// Response parts of http_response_read.
const (
	PartHeader = 0
	PartBody   = 1
)

// Error codes a guest passes to error_set.
const (
	CodeNotFound         = 1
	CodePermissionDenied = 2
	CodeUnavailable      = 3
	CodeInvalidConfig    = 4
	CodeNotAllowed       = 5
)

// StatusText returns a short description of a status code.
func StatusText(status int32) string {
	switch status {
	case StatusMemory:
		return "memory out of range"
	case StatusArgument:
		return "invalid argument"
	case StatusTooLarge:
		return "too large"
	case StatusNotAllowed:
		return "not allowed by the network policy"
	case StatusLimit:
		return "per-call budget spent"
	case StatusNetwork:
		return "network failure"
	case StatusState:
		return "out of order"
	case StatusCredential:
		return "credential refused"
	}
	return "unknown status"
}
