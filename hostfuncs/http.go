package hostfuncs

import (
	"context"
	"fmt"
	"net/url"

	"github.com/latchkey/latchkey/internal/egress"
	"github.com/latchkey/latchkey/secret"
)

// The client that makes a guest's requests, with its network policy (SSRF
// checks on every hop and dial, redirects, caps, header rules), is
// internal/egress's; this file holds the call's side of it: the policy
// types a store's operator sets, and the accounting of one call's
// requests (its budget, its refusals, the record of what went out).

// HTTPOptions is the network policy and limits of one store's guest. The
// zero value of every field is a documented default; the zero HTTPOptions
// allows no host at all. Its fields:
//
//   - AllowedHosts lists where the guest may send requests: "host" (the
//     scheme's default port), "host:port", or "*.example.com" for any
//     subdomain (optionally with ":port"), compared without regard to
//     letter case; AllowHTTP, the hosts that may be reached over plain
//     http (every other request must use https).
//   - AllowPrivateNetworks lets requests reach loopback, private (RFC
//     1918, ULA), link-local and CGNAT addresses; AllowNetworks lists
//     ranges that may be dialled although the default policy refuses them.
//     Neither ever opens a cloud-metadata address: only AllowMetadata
//     does (see [MetadataAddresses]).
//   - MaxRedirects (default 3; negative hands every 3xx to the guest),
//     MaxRequestBody and MaxResponseBody (1 MiB each), MaxHeaders (64) and
//     MaxHeaderBytes (16 KiB) each way, MaxRequests per call, redirects
//     included (16), RequestTimeout per request (10 s; the call's own
//     deadline applies as well).
//   - TLSConfig (nil: the system's roots; it is cloned); Hook, a
//     [RequestHook] run on every hop after the policy allowed its URL;
//     Redact, which rewrites every response's header block and body
//     before the guest reads them (see [Credentials.Redact]); Rejected,
//     told of a 401 or 403 to a hop so that a brokered credential is
//     renewed (see [Source]); ClientCertificate, the TLS client
//     certificate to present to a host (see [CertificateFunc]). The
//     functions are called concurrently for different calls.
//
// [Credentials.Install] sets Hook and Redact, and for brokered credentials
// Rejected and ClientCertificate.
type HTTPOptions = egress.Options

// RequestHook may rewrite a request just before the host sends it, or refuse
// it. It runs after the allow-list check, once for every hop (redirects
// included), with the hop's final URL in req.URL, so that a credential
// placeholder can be replaced by its value only for the hosts the
// credential is bound to; the guest never sees the value. A returned error
// refuses the request: the guest gets the status of a [*Refusal] found in
// it (errors.As), else [StatusNotAllowed].
//
// A RequestHook is called concurrently for different calls.
type RequestHook = egress.RequestHook

// Refusal is why the host refused a guest's request. Reason names the
// rule, never a header or body. Status is what the guest receives.
type Refusal = egress.Refusal

// refused records and logs a refusal. The reason is redacted first: it may
// quote a URL or a header a server sent. Past [MaxRefusalLogs] refusals a
// call's refusals are counted, not logged ([Call.Finish] logs the count).
func (c *Call) refused(format string, args ...any) {
	c.refusals++
	c.refusal = c.scrub(fmt.Sprintf(format, args...))
	if c.refusals-c.suppressed > MaxRefusalLogs {
		c.suppressed++
		return
	}
	c.logger().Warn("request refused by the host's network policy", "store", c.Module, "reason", c.refusal)
}

// noteOutbound records one request into the call's outbound list
// ([Call.Outbound]); host and path are redacted (a redirect may have put a
// credential there).
func (c *Call) noteOutbound(_ context.Context, method string, u *url.URL, status int, creds []string, refused string) {
	o := secret.Outbound{Method: truncate(method, 16), Status: status, Credentials: creds, Refused: refused}
	if u != nil {
		o.Host, o.Path = c.scrub(u.Host), c.scrub(u.Path)
	}
	c.addOutbound(o)
}

// budget returns the requests one call may make, redirects included.
func (c *Call) budget() int {
	if c.HTTP == nil {
		return egress.DefaultMaxRequests
	}
	return c.HTTP.MaxRequests()
}

// spend counts one request (or redirect hop) against the call's budget,
// refusing it when the budget is spent. Every attempt counts, refused ones
// too, so that a guest cannot make the host do unbounded work.
func (c *Call) spend(ctx context.Context, method string, u *url.URL) bool {
	if c.requests >= c.budget() {
		if c.requests == c.budget() {
			c.refused("more than %d requests in one call", c.budget())
			c.noteOutbound(ctx, method, u, 0, nil, c.refusal)
		} else {
			c.refusals++
			c.suppressed++
		}
		c.requests = c.budget() + 1
		return false
	}
	c.requests++
	return true
}

// recorder is the call as the egress client sees it: the accounting of
// the call's requests, kept by the Call.
type recorder struct{ c *Call }

func (r recorder) Refused(format string, args ...any) { r.c.refused(format, args...) }
func (r recorder) LastRefusal() string                { return r.c.refusal }
func (r recorder) Refusals() int                      { return r.c.refusals }
func (r recorder) Spend(ctx context.Context, method string, u *url.URL) bool {
	return r.c.spend(ctx, method, u)
}
func (r recorder) Outbound(ctx context.Context, method string, u *url.URL, status int, creds []string, refused string) {
	r.c.noteOutbound(ctx, method, u, status, creds, refused)
}
func (r recorder) Warn(msg string, args ...any) {
	r.c.logger().Warn(msg, append([]any{"store", r.c.Module}, args...)...)
}

// Retry counts the retry of a hop a brokered credential's server refused,
// if the call's budget allows one more request.
func (r recorder) Retry() bool {
	if r.c.requests >= r.c.budget() {
		return false
	}
	r.c.requests++
	return true
}

// do makes one guest request through the call's client (c.HTTP, not nil).
func (c *Call) do(ctx context.Context, method, rawURL, rawHeader string, body []byte) (*egress.Response, int32) {
	return c.HTTP.Do(ctx, recorder{c}, method, rawURL, rawHeader, body)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
