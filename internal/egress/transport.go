package egress

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// dialTLS is the transport's DialTLSContext when client certificates are
// configured: it presents the certificate bound to the address, if any,
// and checks the server as the default configuration would.
func (cl *Client) dialTLS(dial func(ctx context.Context, network, addr string) (net.Conn, error)) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		cert, name, err := cl.opts.ClientCertificate(ctx, strings.ToLower(strings.Trim(host, "[]")), port)
		if err != nil {
			return nil, &Refusal{Status: StatusCredential, Reason: fmt.Sprintf("connection to %s: %v", addr, err)}
		}
		cfg := &tls.Config{}
		if cl.opts.TLSConfig != nil {
			cfg = cl.opts.TLSConfig.Clone()
		}
		if cfg.ServerName == "" {
			cfg.ServerName = strings.Trim(host, "[]")
		}
		if len(cfg.NextProtos) == 0 {
			cfg.NextProtos = []string{"h2", "http/1.1"}
		}
		if cert != nil {
			cfg.Certificates = nil
			cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return cert, nil }
		}
		raw, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		conn := tls.Client(raw, cfg)
		if err := conn.HandshakeContext(ctx); err != nil {
			raw.Close()
			if name != "" {
				return nil, fmt.Errorf("TLS handshake with %s presenting credential %q: %w", addr, name, err)
			}
			return nil, err
		}
		return conn, nil
	}
}

type retryKey struct{}

func retried(ctx context.Context) bool { return ctx.Value(retryKey{}) != nil }

// renew asks the brokered credentials a 401 or 403 answer concerns
// whether one more attempt is worth it; when it is, and the call's budget
// allows it, the answer is recorded, drained and closed.
func (cl *Client) renew(ctx context.Context, c Recorder, method string, u *url.URL, resp *http.Response, creds []string) bool {
	if !cl.opts.Rejected(ctx, resp.StatusCode) {
		return false
	}
	if !c.Retry() {
		return false // the guest gets the refusal as it came
	}
	c.Outbound(ctx, method, u, resp.StatusCode, creds, "")
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return true
}

// Transport returns a RoundTripper for the requests the host makes itself
// on a store's behalf (a login exchange, an OAuth2 token request): each
// goes out under the client's network policy (allow list, https unless
// allowed, dial checks, client certificates), with no hook, no redaction
// and no redirect followed, since nothing of it reaches a guest. Its
// answers are capped at the client's MaxResponseBody. It is safe for
// concurrent use.
func (cl *Client) Transport() http.RoundTripper { return hostTransport{cl} }

type hostTransport struct{ cl *Client }

func (t hostTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if r := t.cl.checkURL(req.URL); r != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, r
	}
	resp, err := t.cl.transport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.LimitReader(resp.Body, orDefault(t.cl.opts.MaxResponseBody, DefaultMaxResponseBody)), resp.Body}
	return resp, nil
}
