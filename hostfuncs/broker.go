package hostfuncs

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"

	"github.com/latchkey/latchkey/internal/egress"
	"github.com/latchkey/latchkey/internal/redact"
	"github.com/latchkey/latchkey/secret"
)

// Brokered credentials are those whose value the host obtains or uses at
// run time rather than reading once from the operator: a login exchange's
// token, an OAuth2 access token, a projected token file, a request
// signature, a TLS client certificate. The guest never holds them either;
// the host consults them per hop to a host they are bound to. Package
// hostfuncs only defines the contracts and wires them into the outbound
// path; their implementations (which need cloud SDKs and HTTP exchanges)
// live above it, in providers/wasm, so that no arrow points up.

// Source yields the current value of a credential the host derives at
// run time. A guest names it in placeholders exactly as a static
// credential, and the host substitutes whatever Value returns for that
// hop.
//
// Its methods are called concurrently, by every call of the store, once
// per hop that carries the credential: Value should answer from memory
// while its value is fresh, renew it before it expires, and let one
// caller renew it while the others wait (single flight).
type Source interface {
	// Value returns the value to send on a hop. An error refuses the hop
	// with [StatusCredential]; its text names the store, the credential
	// and the step that failed, and never holds a value.
	Value(ctx context.Context) (secret.Value, error)
	// Rejected tells the source that a bound server answered 401 or 403
	// to a hop that carried value. It returns whether a new value is
	// worth one more attempt: the source drops value (unless it renewed
	// since), so that the next Value obtains another.
	Rejected(value secret.Value) bool
}

// Signer authorizes every request to the hosts it is bound to, with no
// placeholder in the guest's request: it writes the request's
// authorization itself (an AWS SigV4 signature, a bearer token from a
// cloud identity). The host calls Sign last, after placeholders were
// substituted, with the body as it will be sent.
//
// Sign returns the secret values it put on the wire (a session token, a
// bearer token), which the host then redacts from every response as it
// does a credential's value; a signature, a one-way function of a key,
// need not be among them. Sign is called concurrently.
type Signer interface {
	Sign(ctx context.Context, req *http.Request, body []byte) (sent []secret.Value, err error)
}

// CertificateFunc returns the TLS client certificate, with its private
// key, that the host presents on connections to the hosts the credential
// is bound to (mutual TLS). It is called for every new connection, so it
// may re-read files that rotate, and concurrently.
type CertificateFunc func(ctx context.Context) (*tls.Certificate, error)

// keepValues is how many values of one brokered credential stay in the
// redactor after it renewed: a server may echo a token it was sent
// before the renewal, and an answer in flight may carry the old one.
const keepValues = 4

// learn makes sure the redactor knows v as a value of credential name,
// before v is sent anywhere, so that every response is redacted of it.
// It is called concurrently; known values cost one read under a lock.
func (c *Credentials) learn(name string, v []byte) {
	if len(v) < MinCredentialLen {
		return // too short to redact; the source refuses such values
	}
	c.mu.RLock()
	known := slices.ContainsFunc(c.recent[name], func(k []byte) bool { return bytes.Equal(k, v) })
	c.mu.RUnlock()
	if known {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if slices.ContainsFunc(c.recent[name], func(k []byte) bool { return bytes.Equal(k, v) }) {
		return
	}
	if c.recent == nil {
		c.recent = map[string][][]byte{}
	}
	vs := append(c.recent[name], bytes.Clone(v))
	if len(vs) > keepValues {
		vs = vs[len(vs)-keepValues:]
	}
	c.recent[name] = vs
	c.rebuild()
}

// rebuild makes the redactor of the static values and the recent brokered
// ones; c.mu is held.
func (c *Credentials) rebuild() {
	var names []string
	var values [][]byte
	for _, n := range c.Names() {
		if cr := c.byName[n]; len(cr.value) > 0 {
			names, values = append(names, n), append(values, cr.value)
		}
		for _, v := range c.recent[n] {
			names, values = append(names, n), append(values, v)
		}
	}
	idx := make([]int, len(names))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return len(values[a]) - len(values[b]) })
	sn, sv := make([]string, len(idx)), make([][]byte, len(idx))
	for i, j := range idx {
		sn[i], sv[i] = names[j], values[j]
	}
	c.red.Store(redact.New(sn, sv))
}

// sourceValue asks cr's source for the value of one hop, learns it for
// redaction and records it in hs for [Credentials.rejected].
func (c *Credentials) sourceValue(ctx context.Context, hs *egress.Hop, cr *credential, u *url.URL) ([]byte, error) {
	v, err := cr.source.Value(ctx)
	if err != nil {
		return nil, c.refuse(u, "credential %q: %s", cr.name, c.scrubError(err))
	}
	b := v.Reveal()
	if len(b) < MinCredentialLen {
		return nil, c.refuse(u, "credential %q: the value obtained has %d bytes; at least %d are needed so that it can be redacted", cr.name, len(b), MinCredentialLen)
	}
	c.learn(cr.name, b)
	if hs != nil {
		hs.Used = append(hs.Used, usedValue{cr: cr, value: v})
	}
	if cr.encoding == "base64" {
		b = []byte(base64.StdEncoding.EncodeToString(b))
	}
	return b, nil
}

// scrubError renders an error of a source or a signer through the
// redactor: a login's error may quote a server's answer.
func (c *Credentials) scrubError(err error) string {
	return string(c.Redact([]byte(err.Error())))
}

// usedValue is a brokered value one hop carried.
type usedValue struct {
	cr    *credential
	value secret.Value
}

// Rejected tells the value's source that a bound server refused it.
func (uv usedValue) Rejected() bool { return uv.cr.source.Rejected(uv.value) }

// hop is the [RequestHook] [Credentials.Install] sets: [Credentials.Hook]
// (placeholders, a [Source] asked for a brokered value, bindings), then
// every [Signer] bound to the hop signs it and a [CertificateFunc]'s
// credential is recorded as used. A failing source or signer refuses the
// hop with [StatusCredential], naming the credential, never a value.
func (c *Credentials) hop(ctx context.Context, req *http.Request) error {
	if err := c.Hook(ctx, req); err != nil {
		return err
	}
	hs := egress.HopFrom(ctx)
	for _, cr := range c.brokered {
		if !cr.boundTo(req.URL) {
			continue
		}
		switch {
		case cr.cert != nil:
			if hs != nil && !slices.Contains(hs.Creds, cr.name) {
				hs.Creds = append(hs.Creds, cr.name) // presented on the connection
			}
		case cr.signer != nil:
			if err := c.sign(ctx, hs, cr, req); err != nil {
				return err
			}
		}
	}
	return nil
}

// signedHeaders are the headers a signer owns: a guest's own are dropped
// before signing, so that it can neither replay a signature nor smuggle a
// session token of its choosing.
var signedHeaders = []string{"Authorization", "X-Amz-Date", "X-Amz-Security-Token", "X-Amz-Content-Sha256"}

func (c *Credentials) sign(ctx context.Context, hs *egress.Hop, cr *credential, req *http.Request) error {
	var body []byte
	if req.GetBody != nil && req.ContentLength != 0 {
		rc, err := req.GetBody()
		if err == nil {
			body, err = io.ReadAll(rc)
			rc.Close()
		}
		if err != nil {
			return c.refuse(req.URL, "credential %q: the body to sign cannot be read: %v", cr.name, err)
		}
	}
	for _, h := range signedHeaders {
		req.Header.Del(h)
	}
	sent, err := cr.signer.Sign(ctx, req, body)
	if err != nil {
		return c.refuse(req.URL, "credential %q: %s", cr.name, c.scrubError(err))
	}
	for _, v := range sent {
		c.learn(cr.name, v.Reveal())
	}
	if hs != nil && !slices.Contains(hs.Creds, cr.name) {
		hs.Creds = append(hs.Creds, cr.name)
	}
	return nil
}

// rejected is [HTTPOptions].Rejected: it tells the sources whose values
// the hop carried that a bound server refused them.
func (c *Credentials) rejected(ctx context.Context, status int) bool {
	hs := egress.HopFrom(ctx)
	if hs == nil {
		return false
	}
	retry := false
	for _, uv := range hs.Used {
		if uv.Rejected() {
			retry = true
		}
	}
	return retry
}

// clientCertificate is [HTTPOptions].ClientCertificate: the certificate
// of the first certificate credential bound to https://host:port.
func (c *Credentials) clientCertificate(ctx context.Context, host, port string) (*tls.Certificate, string, error) {
	u := &url.URL{Scheme: "https", Host: net.JoinHostPort(host, port)}
	for _, cr := range c.brokered {
		if cr.cert == nil || !cr.boundTo(u) {
			continue
		}
		cert, err := cr.cert(ctx)
		if err != nil {
			return nil, cr.name, fmt.Errorf("credential %q: %s", cr.name, c.scrubError(err))
		}
		return cert, cr.name, nil
	}
	return nil, "", nil
}

// Expand substitutes the placeholders of s for a request the host itself
// makes to u (a login exchange's body or header, built from other
// credentials): every credential it names must be bound to u, and none
// may be a signer or a certificate. Body paths do not apply: the host, not
// a guest, wrote s. It returns the names of the credentials used. The
// result holds values: the caller sends it and drops it.
func (c *Credentials) Expand(ctx context.Context, u *url.URL, s string) (string, []string, error) {
	hs := &egress.Hop{}
	out, err := c.substitute(ctx, hs, s, u, func(*credential, string) error { return nil })
	if err != nil {
		return "", nil, err
	}
	return out, hs.Creds, nil
}

// Brokered reports whether the credentials include any that the host
// obtains or uses at run time (a source, a signer or a certificate).
func (c *Credentials) Brokered() bool { return len(c.brokered) > 0 }

// brokerFields holds what [Credentials] needs for brokered credentials;
// it is embedded so that credentials.go keeps its shape.
type brokerFields struct {
	brokered []*credential // with a source, a signer or a certificate, by name
	mu       sync.RWMutex
	recent   map[string][][]byte // brokered values sent lately, by credential
}

// checkBrokered vets the brokered parts of cr for NewCredentials.
func checkBrokered(cr Credential) (kinds int, err error) {
	for _, set := range []bool{len(cr.Value.Reveal()) > 0, cr.Source != nil, cr.Signer != nil, cr.Certificate != nil} {
		if set {
			kinds++
		}
	}
	if kinds > 1 {
		return kinds, errors.New("give exactly one of a value, a source, a signer or a certificate")
	}
	return kinds, nil
}

// installBrokered sets o's hooks for brokered credentials.
func (c *Credentials) installBrokered(o *HTTPOptions) {
	prevRejected := o.Rejected
	o.Rejected = func(ctx context.Context, status int) bool {
		r := c.rejected(ctx, status)
		if prevRejected != nil && prevRejected(ctx, status) {
			r = true
		}
		return r
	}
	hasCert := slices.ContainsFunc(c.brokered, func(cr *credential) bool { return cr.cert != nil })
	if hasCert && o.ClientCertificate == nil {
		o.ClientCertificate = func(ctx context.Context, host, port string) (*tls.Certificate, string, error) {
			return c.clientCertificate(ctx, host, port)
		}
	}
}
