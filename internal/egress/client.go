package egress

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"sort"
	"strings"
	"syscall"
	"time"
)

// Options is the network policy and limits of one store's guest
// (hostfuncs.HTTPOptions, as the host module's users name it). The zero
// value of every field is a documented default; the zero Options allows no
// host at all.
type Options struct {
	// AllowedHosts lists where the guest may send requests: "host" (the
	// scheme's default port), "host:port", or "*.example.com" for any
	// subdomain (optionally with ":port"). Host names and IP literals are
	// compared without regard to letter case.
	AllowedHosts []string
	// AllowHTTP lists the hosts ("host" or "host:port" entries, as above)
	// that may be reached over plain http. Every other request must use
	// https.
	AllowHTTP []string
	// AllowPrivateNetworks lets requests reach loopback, private (RFC 1918,
	// ULA), link-local and CGNAT addresses. Cloud-metadata addresses stay
	// refused: only AllowMetadata opens them.
	AllowPrivateNetworks bool
	// AllowNetworks lists address ranges that may be dialled although the
	// default policy refuses them, e.g. 127.0.0.0/8 for a store on loopback.
	// It never opens a cloud-metadata address, however wide it is.
	AllowNetworks []netip.Prefix
	// AllowMetadata lists the cloud-metadata addresses (see
	// [MetadataAddresses]) the guest may reach, e.g. 169.254.169.254/32 for
	// a module that reads instance credentials on purpose. A metadata
	// address outside it is refused whatever else allows it; the metadata
	// host names (metadata.google.internal…) are refused unless it is set.
	AllowMetadata []netip.Prefix
	// MaxRedirects is how many redirects the host follows, re-checking each
	// hop against the policy (default 3). Negative hands every 3xx response
	// to the guest.
	MaxRedirects int
	// MaxRequestBody caps a request's body (default 1 MiB).
	MaxRequestBody int64
	// MaxResponseBody caps a response's body (default 1 MiB).
	MaxResponseBody int64
	// MaxHeaders caps the header lines of a request and of a response
	// (default 64 each).
	MaxHeaders int
	// MaxHeaderBytes caps the header block of a request and of a response
	// (default 16 KiB each).
	MaxHeaderBytes int
	// MaxRequests caps the requests of one call, redirects included
	// (default 16).
	MaxRequests int
	// RequestTimeout caps one request, redirects included (default 10 s).
	// The call's own deadline applies as well.
	RequestTimeout time.Duration
	// TLSConfig configures TLS; nil uses the system's roots. It is cloned.
	TLSConfig *tls.Config
	// Hook, if set, sees every request after the policy allowed its URL
	// and before it is sent, once per hop. See [RequestHook].
	Hook RequestHook
	// Redact, if set, rewrites the header block and the body of every
	// response before the guest can read them, e.g. to remove credential
	// values a server echoed (see hostfuncs.Credentials.Redact). It is called
	// concurrently for different calls.
	Redact func([]byte) []byte
	// Rejected, if set, is told of a 401 or 403 answer to a hop, with
	// the hop's context (as Hook saw it); when it returns true the host
	// sends the hop once more, running Hook again, so that a brokered
	// credential a server revoked is renewed (see hostfuncs.Source). The retry
	// counts against MaxRequests. It is called concurrently.
	Rejected func(ctx context.Context, status int) bool
	// ClientCertificate, if set, returns the TLS client certificate to
	// present on a new connection to host:port, nil for none, and the
	// credential's name for errors (see hostfuncs.CertificateFunc). It is called
	// concurrently.
	ClientCertificate func(ctx context.Context, host, port string) (*tls.Certificate, string, error)
}

// RequestHook may rewrite a request just before the host sends it, or refuse
// it. It runs after the allow-list check, once for every hop (redirects
// included), with the hop's final URL in req.URL, so that a credential
// placeholder can be replaced by its value only for the hosts the
// credential is bound to; the guest never sees the value. A returned error
// refuses the request: the guest gets the status of a [*Refusal] found in
// it (errors.As), else [StatusNotAllowed].
//
// A RequestHook is called concurrently for different calls.
type RequestHook func(ctx context.Context, req *http.Request) error

// Defaults of [Options].
const (
	DefaultMaxRedirects    = 3
	DefaultMaxRequestBody  = 1 << 20
	DefaultMaxResponseBody = 1 << 20
	DefaultMaxHeaders      = 64
	DefaultMaxHeaderBytes  = 16 << 10
	DefaultMaxRequests     = 16
	DefaultRequestTimeout  = 10 * time.Second
)

// MaxRequestBody returns the cap on a request's body.
func (c *Client) MaxRequestBody() int64 {
	return orDefault(c.opts.MaxRequestBody, DefaultMaxRequestBody)
}

// MaxRequests returns the cap on the requests of one call, redirects
// included.
func (c *Client) MaxRequests() int {
	return orDefault(c.opts.MaxRequests, DefaultMaxRequests)
}

// Redact returns the options' response redactor, nil if there is none.
func (c *Client) Redact() func([]byte) []byte { return c.opts.Redact }

func orDefault[T int | int64 | time.Duration](v, d T) T {
	if v > 0 {
		return v
	}
	return d
}

// Refusal is why the host refused a guest's request. Reason names the
// rule, never a header or body. Status is what the guest receives.
type Refusal struct {
	Status int32
	Reason string
}

// Error returns the reason.
func (r *Refusal) Error() string { return r.Reason }

// Client makes a store's guest requests under its [Options]. Build one
// per store with [NewClient] and share it among the store's calls: it keeps
// connections alive. It is safe for concurrent use.
type Client struct {
	opts  Options
	allow []HostRule
	plain []HostRule
	// transport sends each hop: the host follows redirects itself,
	// re-checking every hop, so http.Client's redirect and header-copying
	// machinery would be pure cost.
	transport *http.Transport
}

// NewClient checks opts and builds the client. Every bad entry is reported,
// joined.
func NewClient(opts Options) (*Client, error) {
	c := &Client{opts: opts}
	var errs []error
	for _, h := range opts.AllowedHosts {
		r, err := ParseHostRule(h)
		if err != nil {
			errs = append(errs, fmt.Errorf("allowed host %q: %w", h, err))
			continue
		}
		c.allow = append(c.allow, r)
	}
	for _, h := range opts.AllowHTTP {
		r, err := ParseHostRule(h)
		if err != nil {
			errs = append(errs, fmt.Errorf("allow_http host %q: %w", h, err))
			continue
		}
		c.plain = append(c.plain, r)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	dialer := &net.Dialer{
		Timeout:   orDefault(opts.RequestTimeout, DefaultRequestTimeout),
		KeepAlive: 30 * time.Second,
		Control:   c.checkDial,
	}
	var tlsConfig *tls.Config
	if opts.TLSConfig != nil {
		tlsConfig = opts.TLSConfig.Clone()
	}
	c.transport = &http.Transport{
		Proxy:                  nil, // never from the environment
		DialContext:            dialer.DialContext,
		TLSClientConfig:        tlsConfig,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           16,
		MaxIdleConnsPerHost:    8,
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    10 * time.Second,
		MaxResponseHeaderBytes: int64(orDefault(opts.MaxHeaderBytes, DefaultMaxHeaderBytes)),
	}
	if opts.ClientCertificate != nil {
		c.transport.DialTLSContext = c.dialTLS(dialer.DialContext)
	}
	return c, nil
}

// Close closes idle connections.
func (c *Client) Close() { c.transport.CloseIdleConnections() }

// checkURL applies the allow list to one hop.
func (c *Client) checkURL(u *url.URL) *Refusal {
	refuse := func(format string, args ...any) *Refusal {
		return &Refusal{Status: StatusNotAllowed, Reason: fmt.Sprintf(format, args...)}
	}
	if u.User != nil {
		return &Refusal{Status: StatusArgument, Reason: "user info in URLs is not supported; send credentials in a header"}
	}
	var defPort string
	switch u.Scheme {
	case "https":
		defPort = "443"
	case "http":
		defPort = "80"
	default:
		return refuse("scheme %q is not allowed (only https, or http for hosts in allow_http)", u.Scheme)
	}
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if port == "" {
		port = defPort
	}
	if host == "" {
		return refuse("URL has no host")
	}
	matches := func(rules []HostRule) bool {
		for _, r := range rules {
			if r.Match(host, port, defPort) {
				return true
			}
		}
		return false
	}
	if !matches(c.allow) {
		return refuse("host %s is not in the store's allow list (add it to allowed_hosts)", net.JoinHostPort(host, port))
	}
	if IsMetadataName(host) && len(c.opts.AllowMetadata) == 0 {
		return refuse("host %s is a cloud-metadata service (allow it with allow_metadata)", host)
	}
	if u.Scheme == "http" && !matches(c.plain) {
		return refuse("plain http to %s is not allowed (use https, or add the host to allow_http)", net.JoinHostPort(host, port))
	}
	return nil
}

// checkDial runs on the resolved address of every connection, so that a
// name which resolves (or re-resolves) to a refused address is caught.
func (c *Client) checkDial(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &Refusal{Status: StatusNotAllowed, Reason: "dial " + address + ": not an IP address"}
	}
	addr := ap.Addr().Unmap()
	refuse := func(why, setting string) error {
		return &Refusal{Status: StatusNotAllowed, Reason: fmt.Sprintf("dial %s refused: %s address (allow it with %s)", address, why, setting)}
	}
	if IsMetadata(addr) {
		for _, p := range c.opts.AllowMetadata {
			if p.Contains(addr) {
				return nil
			}
		}
		return refuse("cloud-metadata", "allow_metadata; allow_networks and allow_private_networks never open it")
	}
	for _, p := range c.opts.AllowNetworks {
		if p.Contains(addr) {
			return nil
		}
	}
	switch why := Refused(addr, c.opts.AllowPrivateNetworks); why {
	case "":
		return nil
	case "loopback", "private", "link-local", "CGNAT":
		return refuse(why, "allow_private_networks or allow_networks")
	default:
		return refuse(why, "allow_networks")
	}
}

// Response is what the guest may read of an answer: the header block
// ("Name: value" lines, sorted) and the body, both capped and redacted.
type Response struct {
	Header []byte
	Body   []byte
}

// hopByHop lists headers a guest may not set: they belong to one
// connection, or are the host's to write.
var hopByHop = map[string]bool{
	"Connection": true, "Proxy-Connection": true, "Keep-Alive": true,
	"Proxy-Authenticate": true, "Proxy-Authorization": true, "Te": true,
	"Trailer": true, "Transfer-Encoding": true, "Upgrade": true,
	"Host": true, "Content-Length": true,
}

var allowedMethods = map[string]bool{
	"GET": true, "HEAD": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true, "OPTIONS": true,
}

// negotiated lists request headers the host owns on a client that redacts
// responses: with them a guest could have a server encode (gzip, another
// charset), cut (ranges) or digest what it echoes, so that the bytes
// redaction sees are not the bytes the guest reads. The transport
// negotiates gzip itself and decodes it.
var negotiated = map[string]bool{
	"Accept-Encoding": true, "Accept-Charset": true, "Range": true, "If-Range": true,
	"Want-Digest": true, "Want-Repr-Digest": true, "Want-Content-Digest": true,
}

// Do makes one guest request, following redirects, and reports it to the
// call's rec. It returns the status code or a negative status. The caller
// counted the first hop against the call's budget; Do counts every
// redirect.
func (cl *Client) Do(ctx context.Context, c Recorder, method, rawURL, rawHeader string, body []byte) (*Response, int32) {
	o := &cl.opts
	u, header, status := cl.parseRequest(ctx, c, method, rawURL, rawHeader)
	if status < 0 {
		return nil, status
	}
	// The call's own deadline is usually the sooner one; a context of the
	// request's own is needed only when it is not.
	timeout := orDefault(o.RequestTimeout, DefaultRequestTimeout)
	if dl, ok := ctx.Deadline(); !ok || time.Until(dl) > timeout {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}

	maxRedirects := o.MaxRedirects
	if maxRedirects == 0 {
		maxRedirects = DefaultMaxRedirects
	}
	for hop := 0; ; hop++ {
		if status := cl.checkHop(ctx, c, method, u, hop); status < 0 {
			return nil, status
		}
		before := c.Refusals()
		resp, creds, status := cl.send(ctx, c, method, u, header, body)
		if status < 0 {
			why := "" // a failure, not a refusal
			if c.Refusals() > before {
				why = c.LastRefusal()
			}
			c.Outbound(ctx, method, u, 0, creds, why)
			return nil, status
		}
		loc := resp.Header.Get("Location")
		if !isRedirect(resp.StatusCode) || loc == "" || maxRedirects < 0 {
			return cl.answer(ctx, c, method, u, resp, creds)
		}
		c.Outbound(ctx, method, u, resp.StatusCode, creds, "")
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if hop >= maxRedirects {
			c.Refused("more than %d redirects", maxRedirects)
			return nil, StatusLimit
		}
		next, err := u.Parse(loc)
		if err != nil {
			c.Refused("redirect with a malformed Location")
			return nil, StatusNetwork
		}
		if resp.StatusCode == 301 || resp.StatusCode == 302 || resp.StatusCode == 303 {
			if method != "HEAD" {
				method = "GET"
			}
			body = nil
		}
		u = next
	}
}

// parseRequest checks the guest's method and parses its URL and header,
// reporting a refused request to c (with its URL once that parsed).
func (cl *Client) parseRequest(ctx context.Context, c Recorder, method, rawURL, rawHeader string) (*url.URL, http.Header, int32) {
	if !allowedMethods[method] {
		return nil, nil, refuse(ctx, c, method, nil, StatusArgument, "method %q is not allowed", truncate(method, 16))
	}
	u, err := url.Parse(rawURL)
	if err != nil || !u.IsAbs() {
		return nil, nil, refuse(ctx, c, method, nil, StatusArgument, "URL is not an absolute http(s) URL")
	}
	header, status := cl.parseHeader(c, rawHeader)
	if status < 0 {
		c.Outbound(ctx, method, u, 0, nil, c.LastRefusal())
		return nil, nil, status
	}
	return u, header, 0
}

// checkHop checks hop number hop of a request, to u, before it is sent: a
// redirect must fit the call's budget and must not carry a credential's
// value in its URL, and every hop must be allowed by the network policy.
// It returns a negative status when the hop is refused, else 0.
func (cl *Client) checkHop(ctx context.Context, c Recorder, method string, u *url.URL, hop int) int32 {
	if hop > 0 && !c.Spend(ctx, method, u) {
		return StatusLimit
	}
	if r := cl.checkURL(u); r != nil {
		if hop > 0 {
			r.Reason = "redirect to " + RedactURL(u) + ": " + r.Reason
		}
		return refuse(ctx, c, method, u, r.Status, "%s", r.Reason)
	}
	if hop > 0 && cl.opts.Redact != nil {
		// A bound server that reflects a credential into a Location
		// would have the host carry it to the next host in the URL.
		if s := u.String(); string(cl.opts.Redact([]byte(s))) != s {
			return refuse(ctx, c, method, u, StatusCredential, "redirect to %s: its URL holds a credential's value; not followed", RedactURL(u))
		}
	}
	return 0
}

// answer reads resp, the request's final answer, for the guest and
// reports the request to c.
func (cl *Client) answer(ctx context.Context, c Recorder, method string, u *url.URL, resp *http.Response, creds []string) (*Response, int32) {
	before := c.Refusals()
	r, st := cl.readResponse(c, resp)
	why := ""
	if st < 0 && c.Refusals() > before {
		why = c.LastRefusal() // the answer came, and the host refused it
	}
	c.Outbound(ctx, method, u, resp.StatusCode, creds, why)
	return r, st
}

// refuse records a refusal on c, reports the refused request to u (nil
// when its URL did not parse), and returns status.
func refuse(ctx context.Context, c Recorder, method string, u *url.URL, status int32, format string, args ...any) int32 {
	c.Refused(format, args...)
	c.Outbound(ctx, method, u, 0, nil, c.LastRefusal())
	return status
}

// isRedirect reports whether code is a redirect status that Do follows.
func isRedirect(code int) bool {
	return code == 301 || code == 302 || code == 303 || code == 307 || code == 308
}

// Hop collects what the request hook did to one hop. The hook finds it
// with [HopFrom]; it is used by one goroutine at a time.
type Hop struct {
	// Creds names the credentials the hop carried, for the call's record.
	Creds []string
	// Used lists the brokered values the hop carried: when a bound server
	// answers 401 or 403, [Options].Rejected asks them whether one more
	// attempt is worth it.
	Used []Rejecter
}

// Rejecter is a brokered value a hop carried. Rejected tells its source
// that a bound server refused it and reports whether a new value is worth
// one more attempt.
type Rejecter interface {
	Rejected() bool
}

type hopKey struct{}

// WithHop returns a context carrying h, as the client passes it to the
// request hook of each hop.
func WithHop(ctx context.Context, h *Hop) context.Context {
	return context.WithValue(ctx, hopKey{}, h)
}

// HopFrom returns the hop a request hook runs for, or nil outside one.
func HopFrom(ctx context.Context) *Hop {
	h, _ := ctx.Value(hopKey{}).(*Hop)
	return h
}

// send makes one hop of a request: the request hook (which substitutes
// credentials) runs on it, then the transport. It returns the answer, or a
// negative status, with the credentials the hook put in.
func (cl *Client) send(ctx context.Context, c Recorder, method string, u *url.URL, header http.Header, body []byte) (*http.Response, []string, int32) {
	var hs *Hop
	if cl.opts.Hook != nil {
		hs = &Hop{}
		ctx = WithHop(ctx, hs)
	}
	creds := func() []string {
		if hs == nil {
			return nil
		}
		return hs.Creds
	}
	req, status := cl.newRequest(ctx, c, method, u, header, body)
	if status < 0 {
		return nil, creds(), status
	}
	resp, err := cl.transport.RoundTrip(req)
	if err == nil && cl.opts.Rejected != nil && (resp.StatusCode == 401 || resp.StatusCode == 403) && hs != nil {
		if retried(ctx) {
			cl.opts.Rejected(ctx, resp.StatusCode) // told, not retried again
		} else if retry := cl.renew(ctx, c, method, u, resp, creds()); retry {
			resp2, creds2, st := cl.send(context.WithValue(ctx, retryKey{}, true), c, method, u, header, body)
			return resp2, creds2, st
		}
	}
	if err != nil {
		return nil, creds(), roundTripFailed(c, method, u, err)
	}
	if cl.opts.Redact != nil {
		if why := undecodable(resp); why != "" {
			resp.Body.Close()
			c.Refused("response of %s: %s; a store with credentials reads only whole, unencoded responses, so that redaction sees what the module reads", RedactURL(u), why)
			return nil, creds(), StatusNotAllowed
		}
	}
	return resp, creds(), 0
}

// newRequest builds the request of one hop and runs the request hook on
// it. It refuses, with a negative status, a request the hook refuses or
// one that holds a placeholder no hook replaced.
func (cl *Client) newRequest(ctx context.Context, c Recorder, method string, u *url.URL, header http.Header, body []byte) (*http.Request, int32) {
	// u is parsed and checked already: the request takes it as is rather
	// than printing and parsing it again. An empty Host sends u's.
	req, err := http.NewRequestWithContext(ctx, method, "", bytes.NewReader(body))
	if err != nil {
		c.Refused("request cannot be built: %v", err)
		return nil, StatusArgument
	}
	req.URL = u
	if len(body) == 0 {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	req.Header = header
	if cl.opts.Hook != nil {
		// The hook may rewrite the URL and the header, differently for
		// every hop; a redirect is resolved against the URL as it was.
		uc := *u
		req.URL, req.Header = &uc, header.Clone()
		if err := cl.opts.Hook(ctx, req); err != nil {
			var r *Refusal
			if errors.As(err, &r) {
				c.Refused("%s", r.Reason)
				return nil, r.Status
			}
			c.Refused("request hook refused %s", RedactURL(u))
			return nil, StatusNotAllowed
		}
	}
	// An unknown placeholder is refused whether or not the store has
	// credentials: without them no hook ran to refuse it.
	if why := strayPlaceholder(req, body, cl.opts.Hook != nil); why != "" {
		c.Refused("request to %s: %s", RedactURL(u), why)
		return nil, StatusCredential
	}
	return req, 0
}

// roundTripFailed reports a request the transport did not complete: a
// refusal of the network policy (at dial time), or a network failure.
func roundTripFailed(c Recorder, method string, u *url.URL, err error) int32 {
	var r *Refusal
	if errors.As(err, &r) {
		c.Refused("%s %s: %s", method, RedactURL(u), r.Reason)
		return r.Status
	}
	c.Warn("guest HTTP request failed", "method", method, "url", RedactURL(u), "error", scrubErr(err, u))
	return StatusNetwork
}

// undecodable says why redaction could not be trusted to see the bytes a
// guest would read from resp: an encoding the transport did not undo, a
// part of a representation, or a charset other than an ASCII superset.
func undecodable(resp *http.Response) string {
	if ce := resp.Header.Values("Content-Encoding"); len(ce) > 0 {
		for _, v := range ce {
			for _, e := range strings.Split(v, ",") {
				if e = strings.TrimSpace(strings.ToLower(e)); e != "" && e != "identity" {
					return fmt.Sprintf("Content-Encoding %q", truncate(e, 32))
				}
			}
		}
	}
	if resp.StatusCode == http.StatusPartialContent || resp.Header.Get("Content-Range") != "" {
		return "partial content (206 or Content-Range)"
	}
	if _, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err == nil {
		cs := strings.ToLower(params["charset"])
		if strings.HasPrefix(cs, "utf-16") || strings.HasPrefix(cs, "utf-32") || strings.HasPrefix(cs, "ucs-") {
			return fmt.Sprintf("charset %q", truncate(cs, 32))
		}
	}
	return ""
}

func (cl *Client) readResponse(c Recorder, resp *http.Response) (*Response, int32) {
	defer resp.Body.Close()
	o := &cl.opts
	maxBody := orDefault(o.MaxResponseBody, DefaultMaxResponseBody)
	if resp.ContentLength > maxBody {
		c.Refused("response body of %d bytes exceeds the limit of %d bytes", resp.ContentLength, maxBody)
		return nil, StatusTooLarge
	}
	// The whole body is read and redacted before the guest reads any of
	// it: a value cannot straddle two of the guest's reads unseen.
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		msg := err.Error()
		if resp.Request != nil && resp.Request.URL != nil {
			msg = scrubErr(err, resp.Request.URL) // as a failed request's error is
		}
		c.Warn("guest HTTP response could not be read", "error", msg)
		return nil, StatusNetwork
	}
	if int64(len(body)) > maxBody {
		c.Refused("response body exceeds the limit of %d bytes", maxBody)
		return nil, StatusTooLarge
	}
	if o.Redact != nil {
		body = o.Redact(body)
	}
	names := make([]string, 0, len(resp.Header))
	lines := 0
	for k, vs := range resp.Header {
		names = append(names, k)
		lines += len(vs)
	}
	if lines > orDefault(o.MaxHeaders, DefaultMaxHeaders) {
		c.Refused("response has %d header lines, over the limit of %d", lines, orDefault(o.MaxHeaders, DefaultMaxHeaders))
		return nil, StatusTooLarge
	}
	sort.Strings(names)
	var hb []byte
	for _, k := range names {
		for _, v := range resp.Header[k] {
			hb = append(hb, k...)
			hb = append(hb, ": "...)
			hb = append(hb, v...)
			hb = append(hb, '\n')
		}
	}
	if o.Redact != nil {
		hb = o.Redact(hb)
	}
	if len(hb) > orDefault(o.MaxHeaderBytes, DefaultMaxHeaderBytes) {
		c.Refused("response headers exceed the limit of %d bytes", orDefault(o.MaxHeaderBytes, DefaultMaxHeaderBytes))
		return nil, StatusTooLarge
	}
	return &Response{Header: hb, Body: body}, int32(resp.StatusCode)
}

// parseHeader reads the guest's "Name: value\n" lines.
func (cl *Client) parseHeader(c Recorder, raw string) (http.Header, int32) {
	o := &cl.opts
	if len(raw) > orDefault(o.MaxHeaderBytes, DefaultMaxHeaderBytes) {
		c.Refused("request headers exceed the limit of %d bytes", orDefault(o.MaxHeaderBytes, DefaultMaxHeaderBytes))
		return nil, StatusTooLarge
	}
	h := http.Header{}
	lines := 0
	for s := raw; s != ""; {
		var line string
		line, s, _ = strings.Cut(s, "\n")
		line = strings.TrimSuffix(line, "\r")
		if line == "" {
			continue
		}
		lines++
		if lines > orDefault(o.MaxHeaders, DefaultMaxHeaders) {
			c.Refused("more than %d request header lines", orDefault(o.MaxHeaders, DefaultMaxHeaders))
			return nil, StatusTooLarge
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || !validName(name) || !ValidHeaderValue(value) {
			c.Refused("malformed request header line %d", lines)
			return nil, StatusArgument
		}
		name = http.CanonicalHeaderKey(name)
		if hopByHop[name] || o.Redact != nil && negotiated[name] {
			continue // the host writes these itself
		}
		h.Add(name, strings.TrimSpace(value))
	}
	if _, ok := h["User-Agent"]; !ok {
		h["User-Agent"] = []string{"latchkey-wasm/1"}
	}
	return h, 0
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// ValidHeaderValue reports whether s may be sent as a header value: no
// control character but tab.
func ValidHeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// RedactURL renders u for logs: scheme, host and path, without user info,
// query or fragment, which may carry credentials.
func RedactURL(u *url.URL) string {
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
}

// scrubErr renders a transport error without the URL's query.
func scrubErr(err error, u *url.URL) string {
	s := err.Error()
	if u.RawQuery != "" {
		s = strings.ReplaceAll(s, u.String(), RedactURL(u))
	}
	return s
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
