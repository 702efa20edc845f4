package egress

import (
	"context"
	"net/url"
)

// Statuses the client returns to the host module, which hands them to the
// guest. They are part of the ABI: hostfuncs exports them under the same
// names, and guest-sdk/ABI.md lists them.
const (
	StatusArgument   int32 = -2 // malformed method, URL or header
	StatusTooLarge   int32 = -3 // a request, response or header block exceeds its cap
	StatusNotAllowed int32 = -4 // the network policy refused the request
	StatusLimit      int32 = -5 // the call's budget (requests per call) is spent
	StatusNetwork    int32 = -6 // the request failed: connection, TLS, time-out
	StatusCredential int32 = -8 // a credential placeholder was refused (unknown, unbound host, not allowed there)
)

// Recorder is the accounting of the guest call a request belongs to: the
// host module's call state (hostfuncs.Call). The client reports every
// refusal, every request sent or refused and every failure to it, and asks
// it for the call's request budget. A call's requests are made one at a
// time, so its Recorder is used by one goroutine at a time.
type Recorder interface {
	// Refused records a refusal of the network policy and logs it,
	// redacted; the reason names the rule, never a header or body.
	Refused(format string, args ...any)
	// LastRefusal returns the reason Refused recorded last, redacted.
	LastRefusal() string
	// Refusals returns how many refusals the call recorded so far.
	Refusals() int
	// Outbound records one request: its method, URL, the status it got
	// (0 for none), the credentials it carried and why it was refused
	// ("" when it was not).
	Outbound(ctx context.Context, method string, u *url.URL, status int, creds []string, refused string)
	// Spend counts a redirect hop against the call's budget; false
	// refuses it.
	Spend(ctx context.Context, method string, u *url.URL) bool
	// Retry counts the one retry of a hop whose brokered credential a
	// server refused; false (the budget is spent) hands the refusal to the
	// guest as it came.
	Retry() bool
	// Warn logs a failure that is not a refusal (a connection that
	// failed), naming the call's store.
	Warn(msg string, args ...any)
}
