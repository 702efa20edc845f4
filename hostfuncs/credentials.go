package hostfuncs

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/latchkey/latchkey/internal/egress"
	"github.com/latchkey/latchkey/internal/redact"
	"github.com/latchkey/latchkey/secret"
)

// PlaceholderPrefix starts a credential placeholder. A guest writes
//
//	{{latchkey.credential:NAME}}        the value as is
//	{{latchkey.credential:NAME|json}}   escaped for the inside of a JSON string
//	{{latchkey.credential:NAME|url}}    query-escaped (form bodies, query values)
//	{{latchkey.credential:NAME|base64}} standard base64
//
// in a request header value, or in a request body where the credential
// allows it (see [Credential].BodyPaths), and the host writes the value in
// its place on the way out. See guest-sdk/ABI.md.
const PlaceholderPrefix = egress.PlaceholderPrefix

// MinCredentialLen is the shortest credential value accepted: shorter
// values could not be redacted from responses without mangling them.
const MinCredentialLen = 8

// Credential is a value the host sends on a guest's behalf without ever
// handing it to the guest.
type Credential struct {
	// Name is how a guest refers to it in placeholders: 1 to 64 ASCII
	// letters, digits, '_' and '-'.
	Name string
	// Value is the credential, at least [MinCredentialLen] bytes.
	Value secret.Value
	// Hosts binds the credential: the hops it may be sent to. An entry is
	// "host", "host:port" or "*.domain" (https only, on the given or
	// default port, the patterns of [HTTPOptions].AllowedHosts), or a URL
	// origin "https://host[:port]" or "http://host[:port]"; only an
	// explicit http:// entry lets the credential travel without TLS.
	// Binding does not allow a host: it must be in the allow list too.
	Hosts []string
	// BodyPaths lists the URL paths ("/v3/auth/authenticate"), on bound
	// hosts, of the requests whose body may carry the credential's
	// placeholder. Empty (the default) refuses every body placeholder: a
	// guest able to put the value in a body could store it on the server
	// and read it back. List only endpoints that consume the value, such
	// as a login.
	BodyPaths []string
	// Source, Signer and Certificate make a brokered credential, whose
	// value the host obtains or uses at run time (see broker.go); Value
	// stays empty then, and exactly one of the three is set. A Source is
	// named in placeholders like a value; a Signer signs, and a
	// Certificate is presented on, every connection to the bound hosts,
	// with no placeholder.
	Source      Source
	Signer      Signer
	Certificate CertificateFunc
	// Encoding, for a Source, is how its value is written where it is
	// used: "" (as it is) or "base64" (Conjur's Token token="<base64>").
	// The redactor learns the value itself, whose base64 forms it knows.
	Encoding string
}

// Credentials substitutes credential placeholders in guest requests (its
// [Credentials.Hook]) and redacts credential values from the responses
// handed back to guests (its [Credentials.Redact]). Build it with
// [NewCredentials] and attach it with [Credentials.Install]. It is
// immutable and safe for concurrent use.
type Credentials struct {
	byName map[string]*credential
	red    atomic.Pointer[redact.Redactor] // replaced when a brokered value is new
	brokerFields
}

type credential struct {
	name      string
	value     []byte
	hosts     []boundHost
	bodyPaths map[string]bool
	source    Source
	signer    Signer
	cert      CertificateFunc
	encoding  string
}

type boundHost struct {
	scheme string // "https" unless the entry named http://
	rule   egress.HostRule
}

// NewCredentials checks creds and builds the substitution; every problem is
// reported, joined, naming the credential but never its value.
func NewCredentials(creds []Credential) (*Credentials, error) {
	c := &Credentials{byName: map[string]*credential{}}
	var errs []error
	for _, cr := range creds {
		bad := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf("credential %q: %s", cr.Name, fmt.Sprintf(format, args...)))
		}
		if !egress.ValidCredentialName(cr.Name) {
			bad("the name must be 1 to 64 letters, digits, '_' or '-'")
			continue
		}
		if c.byName[cr.Name] != nil {
			bad("declared twice")
			continue
		}
		v := cr.Value.Reveal()
		kinds, err := checkBrokered(cr)
		if err != nil {
			bad("%v", err)
		} else if kinds == 1 && len(v) == 0 {
			// brokered: no value to check
		} else if len(v) < MinCredentialLen {
			bad("the value has %d bytes; at least %d are needed so that it can be redacted from responses", len(v), MinCredentialLen)
		}
		if len(cr.Hosts) == 0 {
			bad("is bound to no host: list where it may be sent in hosts")
		}
		b := &credential{name: cr.Name, value: append([]byte(nil), v...), bodyPaths: map[string]bool{},
			source: cr.Source, signer: cr.Signer, cert: cr.Certificate, encoding: cr.Encoding}
		if cr.Encoding != "" && (cr.Encoding != "base64" || cr.Source == nil) {
			bad("encoding %q: only base64, and only for a credential with a source", cr.Encoding)
		}
		if b.source != nil || b.signer != nil || b.cert != nil {
			c.brokered = append(c.brokered, b)
		}
		for _, h := range cr.Hosts {
			bh, err := parseBoundHost(h)
			if err != nil {
				bad("host %q: %v", h, err)
				continue
			}
			b.hosts = append(b.hosts, bh)
		}
		for _, p := range cr.BodyPaths {
			if !strings.HasPrefix(p, "/") || strings.ContainsAny(p, "?#") {
				bad("body path %q: want a URL path such as /v1/login", p)
				continue
			}
			b.bodyPaths[p] = true
		}
		c.byName[cr.Name] = b
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	slices.SortFunc(c.brokered, func(a, b *credential) int { return strings.Compare(a.name, b.name) })
	// Shortest value first: where a value and a longer one match the same
	// text, the one matched whole names it (rebuild sorts).
	c.rebuild()
	return c, nil
}

func parseBoundHost(s string) (boundHost, error) {
	scheme := "https"
	if rest, ok := strings.CutPrefix(s, "https://"); ok {
		s = rest
	} else if rest, ok := strings.CutPrefix(s, "http://"); ok {
		scheme, s = "http", rest
	} else if strings.Contains(s, "://") {
		return boundHost{}, errors.New("only https:// and http:// origins are supported")
	}
	s = strings.TrimSuffix(s, "/")
	r, err := egress.ParseHostRule(s)
	if err != nil {
		return boundHost{}, err
	}
	return boundHost{scheme: scheme, rule: r}, nil
}

// Install makes o substitute and redact c's credentials: it sets o.Hook
// (running a Hook already set first) and o.Redact (likewise).
func (c *Credentials) Install(o *HTTPOptions) {
	if prev := o.Hook; prev != nil {
		o.Hook = func(ctx context.Context, req *http.Request) error {
			if err := prev(ctx, req); err != nil {
				return err
			}
			return c.hop(ctx, req)
		}
	} else {
		o.Hook = c.hop
	}
	if prev := o.Redact; prev != nil {
		o.Redact = func(b []byte) []byte { return c.Redact(prev(b)) }
	} else {
		o.Redact = c.Redact
	}
	if len(c.brokered) > 0 {
		c.installBrokered(o)
	}
}

// Names returns the names of the credentials, sorted.
func (c *Credentials) Names() []string {
	out := make([]string, 0, len(c.byName))
	for n := range c.byName {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Hook is a [RequestHook]: it replaces the placeholders in req's header
// values, and in its body where allowed, by the credentials' values. It
// refuses the request with a [*Refusal] of status [StatusCredential] —
// naming the credential and the hop's host, never the value — when a
// placeholder names an unknown credential or one not bound to the hop's
// scheme, host and port, sits in the URL, or sits in a body the credential
// may not enter. It runs once per hop, on the guest's own header and body,
// so a redirect to an unbound host is refused, not sent the value.
func (c *Credentials) Hook(ctx context.Context, req *http.Request) error {
	u := req.URL
	hs := egress.HopFrom(ctx)
	if egress.ContainsPlaceholder(u.Path) || egress.ContainsPlaceholder(u.RawQuery) || egress.ContainsPlaceholder(egress.Unescape(u.RawQuery)) || egress.ContainsPlaceholder(egress.Unescape(u.EscapedPath())) {
		return c.refuse(u, "credential placeholders are substituted in header values and allowed bodies only, never in the URL")
	}
	for name, vs := range req.Header {
		for i, v := range vs {
			if !egress.ContainsPlaceholder(v) {
				continue
			}
			out, err := c.substitute(ctx, hs, v, u, func(cr *credential, value string) error {
				if !egress.ValidHeaderValue(value) {
					return c.refuse(u, "credential %q cannot be sent in header %s: its encoded value holds control characters", cr.name, name)
				}
				return nil
			})
			if err != nil {
				return err
			}
			vs[i] = out
		}
	}
	if req.GetBody == nil || req.ContentLength == 0 {
		return nil
	}
	rc, err := req.GetBody()
	if err != nil {
		return c.refuse(u, "request body cannot be read: %v", err)
	}
	body, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		return c.refuse(u, "request body cannot be read: %v", err)
	}
	if !bytes.Contains(body, []byte(PlaceholderPrefix)) {
		return nil
	}
	out, err := c.substitute(ctx, hs, string(body), u, func(cr *credential, _ string) error {
		if !cr.bodyPaths[u.Path] {
			return c.refuse(u, "credential %q may not be sent in the body of a request to path %s (list the path in its body_paths)", cr.name, u.EscapedPath())
		}
		return nil
	})
	if err != nil {
		return err
	}
	nb := []byte(out)
	req.Body = io.NopCloser(bytes.NewReader(nb))
	req.ContentLength = int64(len(nb))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(nb)), nil }
	return nil
}

// substitute replaces every placeholder in s for a hop to u; check vets
// each (credential, encoded value) before it is used.
func (c *Credentials) substitute(ctx context.Context, hs *egress.Hop, s string, u *url.URL, check func(*credential, string) error) (string, error) {
	var b strings.Builder
	for {
		i := strings.Index(s, PlaceholderPrefix)
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		b.WriteString(s[:i])
		rest := s[i+len(PlaceholderPrefix):]
		end := strings.Index(rest, egress.PlaceholderSuffix)
		if end < 0 || end > 72 {
			return "", c.refuse(u, "malformed credential placeholder: want %sNAME%s", PlaceholderPrefix, egress.PlaceholderSuffix)
		}
		name, filter, _ := strings.Cut(rest[:end], "|")
		cr := c.byName[name]
		switch {
		case cr == nil && egress.ValidCredentialName(name):
			return "", c.refuse(u, "unknown credential %q (the store declares: %s)", name, strings.Join(c.Names(), ", "))
		case cr == nil:
			return "", c.refuse(u, "malformed credential placeholder: want %sNAME%s", PlaceholderPrefix, egress.PlaceholderSuffix)
		case !cr.boundTo(u):
			return "", c.refuse(u, "credential %q is not bound to %s", name, origin(u))
		case cr.signer != nil || cr.cert != nil:
			return "", c.refuse(u, "credential %q is not sent through a placeholder: the host signs requests to, or presents its certificate on connections to, the hosts it is bound to", name)
		}
		raw := cr.value
		if cr.source != nil {
			v, err := c.sourceValue(ctx, hs, cr, u)
			if err != nil {
				return "", err
			}
			raw = v
		}
		value, ok := encode(raw, filter)
		if !ok {
			return "", c.refuse(u, "credential %q: unknown encoding %q (want json, url or base64)", name, filter)
		}
		if err := check(cr, value); err != nil {
			return "", err
		}
		if hs != nil && !slices.Contains(hs.Creds, cr.name) {
			hs.Creds = append(hs.Creds, cr.name)
		}
		b.WriteString(value)
		s = rest[end+len(egress.PlaceholderSuffix):]
	}
}

func encode(v []byte, filter string) (string, bool) {
	switch filter {
	case "":
		return string(v), true
	case "json":
		j, _ := json.Marshal(string(v))
		return string(j[1 : len(j)-1]), true
	case "url":
		return url.QueryEscape(string(v)), true
	case "base64":
		return base64.StdEncoding.EncodeToString(v), true
	}
	return "", false
}

func (cr *credential) boundTo(u *url.URL) bool {
	defPort := map[string]string{"https": "443", "http": "80"}[u.Scheme]
	if defPort == "" {
		return false
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if port == "" {
		port = defPort
	}
	for _, h := range cr.hosts {
		if h.scheme == u.Scheme && h.rule.Match(host, port, defPort) {
			return true
		}
	}
	return false
}

func origin(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = map[string]string{"https": "443", "http": "80"}[u.Scheme]
	}
	return u.Scheme + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

func (c *Credentials) refuse(u *url.URL, format string, args ...any) *Refusal {
	return &Refusal{Status: StatusCredential, Reason: fmt.Sprintf("request to %s: ", egress.RedactURL(u)) + fmt.Sprintf(format, args...)}
}

// Redact returns b with every credential value replaced by
// "[REDACTED:NAME]", in each form a server plausibly echoes it: as is (in
// any letter case), in hex, base64 (standard or URL alphabet, padded or
// not, line-wrapped, at each of the three alignments a prefix can give
// it, of the value or of its hex, JSON- or URL-escaped forms or of its
// base64; the whole base64 run holding it goes), beneath up
// to three layers of JSON, \x, percent and HTML escapes, and cut to any
// run of at least half of such a form. It returns b itself when nothing
// matched. See internal/redact for the method; it cannot catch a value a server
// transformed otherwise, and ABI.md's threat model says what that means.
func (c *Credentials) Redact(b []byte) []byte { return c.red.Load().Redact(b) }
