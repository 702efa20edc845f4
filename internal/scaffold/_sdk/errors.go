package latchkey

// Code is the kind of failure a handler reports to the host. The host maps
// each code to the matching Latchkey error, so callers of the store can tell
// a missing secret from an outage whatever language the store is written in.
type Code int32

// Codes a handler may report; the values are part of the ABI (see ABI.md).
const (
	CodeNotFound         Code = 1 // the secret, or the version asked, does not exist
	CodePermissionDenied Code = 2 // the backend refused the store's identity
	CodeUnavailable      Code = 3 // the backend could not be reached or failed
	CodeInvalidConfig    Code = 4 // the module's config or the request is malformed
	CodeNotAllowed       Code = 5 // policy forbids the request
)

// String returns the code's name, e.g. "not found".
func (c Code) String() string {
	switch c {
	case CodeNotFound:
		return "not found"
	case CodePermissionDenied:
		return "permission denied"
	case CodeUnavailable:
		return "unavailable"
	case CodeInvalidConfig:
		return "invalid config"
	case CodeNotAllowed:
		return "not allowed"
	}
	return "code " + itoa(int(c))
}

// Error is a failure with a [Code], returned by a handler. Msg is shown to
// operators and logged: it must never contain a secret value.
type Error struct {
	Code Code
	Msg  string
}

// Error returns "CODE: MSG".
func (e *Error) Error() string { return e.Code.String() + ": " + e.Msg }

// NotFound returns an [*Error] with [CodeNotFound].
func NotFound(msg string) error { return &Error{Code: CodeNotFound, Msg: msg} }

// PermissionDenied returns an [*Error] with [CodePermissionDenied].
func PermissionDenied(msg string) error { return &Error{Code: CodePermissionDenied, Msg: msg} }

// Unavailable returns an [*Error] with [CodeUnavailable].
func Unavailable(msg string) error { return &Error{Code: CodeUnavailable, Msg: msg} }

// InvalidConfig returns an [*Error] with [CodeInvalidConfig].
func InvalidConfig(msg string) error { return &Error{Code: CodeInvalidConfig, Msg: msg} }

// NotAllowed returns an [*Error] with [CodeNotAllowed].
func NotAllowed(msg string) error { return &Error{Code: CodeNotAllowed, Msg: msg} }

// HostCode is a negative status returned by a host function (see ABI.md).
type HostCode int32

// Host status codes; the values are part of the ABI.
const (
	HostErrMemory     HostCode = -1 // a pointer/length pair lies outside linear memory
	HostErrArgument   HostCode = -2 // a malformed argument: unknown kind, bad header, bad URL
	HostErrTooLarge   HostCode = -3 // a request, response or result exceeds the host's cap
	HostErrNotAllowed HostCode = -4 // the host's network policy refused the request
	HostErrLimit      HostCode = -5 // the call's budget (requests per call) is spent
	HostErrNetwork    HostCode = -6 // the request failed: connection, TLS, time-out
	HostErrState      HostCode = -7 // the function was called out of order
	HostErrCredential HostCode = -8 // a credential placeholder was refused (see Credential)
)

// HostError is a refusal or failure reported by a host function. It is a
// normal error the handler can act upon: the host has already logged why.
type HostError struct {
	Op   string // the SDK function that failed, e.g. "http GET https://example.com/x"
	Code HostCode
}

// Error returns "OP: what the code means".
func (e *HostError) Error() string { return e.Op + ": " + e.Code.String() }

// Is makes errors.Is(err, ErrNotAllowed) and friends match by code.
func (e *HostError) Is(target error) bool {
	t, ok := target.(*HostError)
	return ok && t.Op == "" && t.Code == e.Code
}

// Sentinels for errors.Is against a [*HostError].
var (
	ErrNotAllowed = &HostError{Code: HostErrNotAllowed}
	ErrTooLarge   = &HostError{Code: HostErrTooLarge}
	ErrLimit      = &HostError{Code: HostErrLimit}
	ErrNetwork    = &HostError{Code: HostErrNetwork}
)

// String says what the status means.
func (c HostCode) String() string {
	switch c {
	case HostErrMemory:
		return "memory out of range"
	case HostErrArgument:
		return "invalid argument"
	case HostErrTooLarge:
		return "too large for the host's limits"
	case HostErrNotAllowed:
		return "refused by the host's network policy"
	case HostErrLimit:
		return "the host's per-call budget is spent"
	case HostErrNetwork:
		return "network failure"
	case HostErrState:
		return "called out of order"
	case HostErrCredential:
		return "credential refused"
	}
	return "host status " + itoa(int(c))
}

// toError turns whatever a handler returned into a code and a message.
func toError(err error) (Code, string) {
	switch e := err.(type) {
	case *Error:
		return e.Code, e.Msg
	case *HostError:
		if e.Code == HostErrNotAllowed || e.Code == HostErrCredential {
			return CodeNotAllowed, e.Error()
		}
		return CodeUnavailable, e.Error()
	}
	// Unwrap chains without importing errors' reflection-heavy As.
	if u, ok := err.(interface{ Unwrap() error }); ok && u.Unwrap() != nil {
		c, _ := toError(u.Unwrap())
		return c, err.Error()
	}
	return CodeUnavailable, err.Error()
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	neg := n < 0
	if neg {
		n = -n
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
