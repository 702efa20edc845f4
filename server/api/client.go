package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// Client calls a running `latchkey serve`. It is safe for concurrent use.
type Client struct {
	addr  string // as given, for errors
	base  string
	token string
	hc    *http.Client
}

// maxResponse caps what a Client reads from the server.
const maxResponse = 64 << 20

// NewClient returns a client for addr: unix:///path/to.sock (unix:// alone
// is [DefaultSocketPath]) or tcp://127.0.0.1:PORT, which needs token.
func NewClient(addr, token string) (*Client, error) {
	c := &Client{addr: addr, token: token}
	tr := &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second, DisableCompression: true}
	switch {
	case strings.HasPrefix(addr, "unix://"):
		path := strings.TrimPrefix(addr, "unix://")
		if path == "" {
			path = DefaultSocketPath(os.Getenv)
			c.addr = "unix://" + path
		}
		tr.DialContext = UnixDialer(path)
		c.base = "http://latchkey"
	case strings.HasPrefix(addr, "tcp://"):
		hostport := strings.TrimPrefix(addr, "tcp://")
		if _, _, err := net.SplitHostPort(hostport); err != nil {
			return nil, fmt.Errorf("server %q: want tcp://HOST:PORT: %w", addr, err)
		}
		if token == "" {
			return nil, fmt.Errorf("server %q: TCP needs a token (--token-file, or LATCHKEY_TOKEN)", addr)
		}
		c.base = "http://" + hostport
	default:
		return nil, fmt.Errorf("server %q: want unix:///PATH or tcp://HOST:PORT", addr)
	}
	c.hc = &http.Client{Transport: tr}
	return c, nil
}

// UnixDialer returns a dial function for [http.Transport.DialContext] that
// connects every request to the unix socket at path (on Windows, to the
// named pipe when path is \\.\pipe\NAME), whatever host the request's URL
// names: how a Go program other than [Client] calls the agent with
// net/http.
func UnixDialer(path string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, _, _ string) (net.Conn, error) {
		return dialLocal(ctx, path)
	}
}

// Addr returns the server's address as the client names it.
func (c *Client) Addr() string { return c.addr }

// ResponseError is an error answer of the server.
type ResponseError struct {
	Status int
	ErrorDetail
}

// Error returns the server's message: the text `latchkey` prints for the
// same failure.
func (e *ResponseError) Error() string { return e.Message }

// ErrUnreachable is wrapped by a Client's errors when no server answered.
var ErrUnreachable = errors.New("cannot reach latchkey serve")

func (c *Client) do(ctx context.Context, method, path string, q url.Values, body []byte, out any) error {
	u := c.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return err
	}
	if c.token != "" {
		req.Header.Set(TokenHeader, c.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%s: %w", c.addr, ctx.Err())
		}
		return fmt.Errorf("%w at %s (is it running?): %v", ErrUnreachable, c.addr, unwrapURL(err))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return fmt.Errorf("%s: reading the answer: %w", c.addr, err)
	}
	if resp.StatusCode != http.StatusOK {
		var eb ErrorBody
		if json.Unmarshal(data, &eb) != nil || eb.Error.Code == "" {
			return &ResponseError{Status: resp.StatusCode, ErrorDetail: ErrorDetail{Code: CodeInternal,
				Message: fmt.Sprintf("%s answered %s", c.addr, resp.Status)}}
		}
		return &ResponseError{Status: resp.StatusCode, ErrorDetail: eb.Error}
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s: the answer is not what latchkey serve sends: %w", c.addr, err)
	}
	return nil
}

func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// Resolve resolves the workflow document doc; name names it in errors and
// picks its format by extension (as `latchkey resolve -w NAME` would).
func (c *Client) Resolve(ctx context.Context, name string, doc []byte) (*ResolveResponse, error) {
	var out ResolveResponse
	if err := c.do(ctx, http.MethodPost, "/v1/resolve", url.Values{"name": {name}}, doc, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Check checks the workflow document doc; offline fetches nothing.
func (c *Client) Check(ctx context.Context, name string, doc []byte, offline bool) (*CheckReport, error) {
	q := url.Values{"name": {name}}
	if offline {
		q.Set("offline", "true")
	}
	var out CheckReport
	if err := c.do(ctx, http.MethodPost, "/v1/check", q, doc, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Watch long-polls the server until the resolution of doc differs from the
// one token stands for ("" for the first call), checking every interval,
// for at most wait (capped by the server at MaxWatchWait).
func (c *Client) Watch(ctx context.Context, name string, doc []byte, token string, interval, wait time.Duration) (*WatchResponse, error) {
	q := url.Values{"name": {name}, "since": {token}, "interval": {interval.String()}, "wait": {wait.String()}}
	var out WatchResponse
	if err := c.do(ctx, http.MethodPost, "/v1/watch", q, doc, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Close releases the client's idle connections.
func (c *Client) Close() { c.hc.CloseIdleConnections() }
