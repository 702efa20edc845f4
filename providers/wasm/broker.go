package wasm

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/latchkey/latchkey/internal/safefile"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
	"golang.org/x/sync/singleflight"
	"golang.org/x/time/rate"

	"github.com/latchkey/latchkey/hostfuncs"
	lkaws "github.com/latchkey/latchkey/providers/aws"
	"github.com/latchkey/latchkey/secret"
)

// Brokered credentials: the kinds a store declares in credentials: besides
// a static value (env, file, value). Each is built here and handed to
// hostfuncs as a [hostfuncs.Source], [hostfuncs.Signer] or
// [hostfuncs.CertificateFunc]; the guest never holds what they prove.

// loginSettings declares a login exchange: an HTTP request the host makes
// itself, whose answer holds the credential's value.
type loginSettings struct {
	// Method is the request's method (default POST).
	Method string `json:"method"`
	// URL is where to log in; its host must be allowed and every
	// credential the request names must be bound to it.
	URL string `json:"url"`
	// Header and Body may hold placeholders of other credentials of the
	// store ({{latchkey.credential:role_id|json}}), substituted by the host.
	Header map[string]string `json:"header"`
	Body   string            `json:"body"`
	// Token says where the value is in the answer: a JSON path
	// ("auth.client_token"), a header, or the whole body.
	Token struct {
		JSON   string `json:"json"`
		Header string `json:"header"`
		Body   bool   `json:"body"`
	} `json:"token"`
	// Lifetime says how long the value lives: a JSON path or a header
	// holding seconds, or a fixed duration ("8m").
	Lifetime struct {
		JSON   string `json:"json"`
		Header string `json:"header"`
		Fixed  string `json:"fixed"`
	} `json:"lifetime"`
	// Encoding is how the value is written where it is used: "" (as
	// obtained) or "base64" (Conjur's Token token="<base64>").
	Encoding string `json:"encoding"`
}

// oauth2Settings declares an OAuth2 client-credentials grant.
type oauth2Settings struct {
	TokenURL string `json:"token_url"`
	// ClientID and ClientSecret name other credentials of the store,
	// bound to the token URL's host.
	ClientID     string            `json:"client_id"`
	ClientSecret string            `json:"client_secret"`
	Scopes       []string          `json:"scopes"`
	Params       map[string]string `json:"params"`
	// AuthStyle is "header" (HTTP Basic, the default) or "params".
	AuthStyle string `json:"auth_style"`
}

// certSettings declares a TLS client certificate from files.
type certSettings struct {
	Cert string `json:"cert"`
	Key  string `json:"key"`
}

// sigv4Settings declares AWS SigV4 signing of every request to the bound
// hosts, with the credentials an "aws" store with the same settings would
// use (auth_method, role_arn, …; see docs/stores.md).
type sigv4Settings struct {
	Service string         `json:"service"`
	Region  string         `json:"region"`
	AWS     map[string]any `json:"aws"`
}

// exchangeLimits are the settings every exchange shares.
type exchangeLimits struct {
	// PerMinute caps the exchanges of one credential (default 12), with
	// a burst of Burst (default 3): a broken backend or a guest that
	// gets every token revoked cannot make the host hammer the login.
	PerMinute int `json:"per_minute"`
	Burst     int `json:"burst"`
}

// brokerDeps is what brokered credentials need once the store's HTTP
// policy is known: the host's own transport and the store's credentials
// (to expand login requests).
type brokerDeps struct {
	transport http.RoundTripper
	creds     *hostfuncs.Credentials
}

// exchanger is the part of a source that makes exchanges: audited, rate
// limited, under the store's network policy.
type exchanger struct {
	store, name string
	deps        *atomic.Pointer[brokerDeps]
	limiter     *rate.Limiter
	perMinute   int
}

func newExchanger(store, name string, l exchangeLimits, deps *atomic.Pointer[brokerDeps]) exchanger {
	pm, burst := l.PerMinute, l.Burst
	if pm <= 0 {
		pm = 12
	}
	if burst <= 0 {
		burst = 3
	}
	return exchanger{store: store, name: name, deps: deps, perMinute: pm,
		limiter: rate.NewLimiter(rate.Limit(float64(pm)/60), burst)}
}

// stepError is how every brokered failure reads: store, credential, step.
type stepError struct {
	store, cred, step string
	err               error
}

func (e *stepError) Error() string {
	return fmt.Sprintf("store %q: credential %q: %s: %v", e.store, e.cred, e.step, e.err)
}

func (e *stepError) Unwrap() error { return e.err }

func (x *exchanger) fail(step string, format string, args ...any) error {
	return &stepError{store: x.store, cred: x.name, step: step, err: fmt.Errorf(format, args...)}
}

// auditTransport records every exchange into the guest call it serves
// (hostfuncs.AddOutbound) as an outbound request carrying the credential's name (and those of its
// inputs), and holds exchanges to the credential's rate.
type auditTransport struct {
	x      *exchanger
	inputs []string
}

func (t auditTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !t.x.limiter.Allow() {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, fmt.Errorf("more than %d exchanges a minute: refused by the credential's rate limit (credentials.%s.rate)", t.x.perMinute, t.x.name)
	}
	d := t.x.deps.Load()
	if d == nil {
		return nil, errors.New("the store is not ready")
	}
	resp, err := d.transport.RoundTrip(req)
	o := secret.Outbound{Method: req.Method, Host: req.URL.Host, Path: req.URL.Path, Credentials: append([]string{t.x.name}, t.inputs...)}
	if resp != nil {
		o.Status = resp.StatusCode
	}
	if err != nil {
		o.Refused = "exchange failed"
	}
	hostfuncs.AddOutbound(req.Context(), o)
	return resp, err
}

// loginSource is a login exchange's [hostfuncs.Source]: it logs in on
// first use, renews two thirds into the value's lifetime, logs in again
// once when a bound server rejects the value, and lets one caller log in
// while the others wait.
type loginSource struct {
	exchanger
	s     loginSettings
	fixed time.Duration
	now   func() time.Time
	sf    singleflight.Group

	mu      sync.Mutex
	cur     secret.Value // empty: none, or rejected
	renewAt time.Time
	expires time.Time
	// obtained is when cur came; afterReject says a rejection caused its
	// login, and pending that the next login answers one.
	obtained             time.Time
	afterReject, pending bool
	// uses counts the hops cur was handed to; keepUntil, when later
	// than now, keeps cur through rejections (see Rejected).
	uses      int
	keepUntil time.Time

	// logins counts the exchanges made, for tests and Describe.
	logins atomic.Int64
}

// Value returns the current value, logging in when there is none, it was
// rejected or is due for renewal. A renewal that fails while the old
// value still lives returns the old value.
func (l *loginSource) Value(ctx context.Context) (secret.Value, error) {
	l.mu.Lock()
	cur, renewAt, expires := l.cur, l.renewAt, l.expires
	l.mu.Unlock()
	now := l.now()
	if cur.Len() > 0 && now.Before(renewAt) {
		l.mu.Lock()
		l.uses++
		l.mu.Unlock()
		return cur, nil
	}
	v, err, _ := l.sf.Do("login", func() (any, error) {
		// A caller that waited on the lock may find a fresh value.
		l.mu.Lock()
		if l.cur.Len() > 0 && l.now().Before(l.renewAt) {
			v := l.cur
			l.uses++
			l.mu.Unlock()
			return v, nil
		}
		l.mu.Unlock()
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		return l.login(lctx)
	})
	if err != nil {
		if cur.Len() > 0 && now.Before(expires) {
			return cur, nil // still valid: the next hop tries again
		}
		return secret.Value{}, err
	}
	return v.(secret.Value), nil
}

// Rejected drops value if it is still the current one, so that the next
// hop logs in again; a retry is worth it (a value renewed since is another
// value). A value that a rejection's own re-login obtained, and that is
// rejected on its first use, is kept for [rejectionGrace] through further
// rejections: the refusal is then the server's policy (Vault answers 403
// to a path the token may not read), not the token's age, and logging in
// again would not help. A value that served other hops first is dropped
// when rejected: it was revoked.
func (l *loginSource) Rejected(value secret.Value) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cur.Len() == 0 || !bytes.Equal(l.cur.Reveal(), value.Reveal()) {
		return true
	}
	now := l.now()
	if now.Before(l.keepUntil) {
		return false
	}
	if l.afterReject && l.uses <= 1 {
		l.keepUntil = now.Add(rejectionGrace)
		return false
	}
	l.cur, l.pending = secret.Value{}, true
	return true
}

// rejectionGrace is how long a value kept through rejections (see
// Rejected) stays kept.
const rejectionGrace = time.Minute

// login exchanges the login request's credentials for a token, once, and
// keeps the token with its lifetime.
func (l *loginSource) login(ctx context.Context) (secret.Value, error) {
	d := l.deps.Load()
	if d == nil {
		return secret.Value{}, l.fail("login", "the store is not ready")
	}
	u, err := url.Parse(l.s.URL)
	if err != nil {
		return secret.Value{}, l.fail("login", "url: %v", err)
	}
	req, inputs, err := l.loginRequest(ctx, d, u)
	if err != nil {
		return secret.Value{}, err
	}
	l.logins.Add(1)
	resp, err := auditTransport{&l.exchanger, inputs}.RoundTrip(req)
	if err != nil {
		return secret.Value{}, l.fail("login", "%s %s: %v", l.s.Method, redactedURL(u), err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err != nil {
		return secret.Value{}, l.fail("login", "reading the answer of %s: %v", redactedURL(u), err)
	}
	if resp.StatusCode/100 != 2 {
		// The answer is quoted, shortened, after the store's redactor.
		return secret.Value{}, l.fail("login refused", "%s %s answered %d: %s", l.s.Method, redactedURL(u), resp.StatusCode,
			shorten(string(d.creds.Redact(answer)), 200))
	}
	token, err := l.token(u, answer, resp.Header)
	if err != nil {
		return secret.Value{}, err
	}
	life, err := l.lifetime(u, answer, resp.Header)
	if err != nil {
		return secret.Value{}, err
	}
	v := secret.NewValue(token)
	l.keep(v, life)
	return v, nil
}

// loginRequest builds the login request to u, with the credentials its
// body and headers name expanded, and returns the names of those
// credentials, which the audit records.
func (l *loginSource) loginRequest(ctx context.Context, d *brokerDeps, u *url.URL) (*http.Request, []string, error) {
	var inputs []string
	expand := func(s string) (string, error) {
		out, names, err := d.creds.Expand(ctx, u, s)
		inputs = append(inputs, names...)
		return out, err
	}
	body, err := expand(l.s.Body)
	if err != nil {
		return nil, nil, l.fail("login request", "%v", err)
	}
	req, err := http.NewRequestWithContext(ctx, l.s.Method, l.s.URL, strings.NewReader(body))
	if err != nil {
		return nil, nil, l.fail("login request", "%v", err)
	}
	if body == "" {
		req.Body = http.NoBody
	}
	for k, v := range l.s.Header {
		ev, err := expand(v)
		if err != nil {
			return nil, nil, l.fail("login request", "header %s: %v", k, err)
		}
		req.Header.Set(k, ev)
	}
	if req.Header.Get("Content-Type") == "" && body != "" && strings.HasPrefix(strings.TrimSpace(body), "{") {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", "latchkey-broker/1")
	return req, inputs, nil
}

// token finds the token in the answer of u where the token setting says:
// the whole body, a header, or a JSON path.
func (l *loginSource) token(u *url.URL, answer []byte, header http.Header) ([]byte, error) {
	var token []byte
	switch {
	case l.s.Token.Body:
		token = bytes.TrimSpace(answer)
	case l.s.Token.Header != "":
		token = []byte(header.Get(l.s.Token.Header))
	default:
		v, ok := jsonPath(answer, l.s.Token.JSON)
		s, isString := v.(string)
		if !ok || !isString {
			return nil, l.fail("token path missing", "the answer of %s has no string at %q", redactedURL(u), l.s.Token.JSON)
		}
		token = []byte(s)
	}
	if len(token) < hostfuncs.MinCredentialLen {
		return nil, l.fail("token missing", "the answer of %s holds no token of at least %d bytes where token says", redactedURL(u), hostfuncs.MinCredentialLen)
	}
	return token, nil
}

// lifetime finds the token's lifetime in the answer of u where the
// lifetime setting says (a JSON path or a header), or returns the fixed
// lifetime.
func (l *loginSource) lifetime(u *url.URL, answer []byte, header http.Header) (time.Duration, error) {
	life := l.fixed
	switch {
	case l.s.Lifetime.JSON != "":
		v, ok := jsonPath(answer, l.s.Lifetime.JSON)
		if life, ok = seconds(v, ok); !ok {
			return 0, l.fail("lifetime path missing", "the answer of %s has no number of seconds at %q", redactedURL(u), l.s.Lifetime.JSON)
		}
	case l.s.Lifetime.Header != "":
		var ok bool
		if life, ok = seconds(header.Get(l.s.Lifetime.Header), true); !ok {
			return 0, l.fail("lifetime header missing", "the answer of %s has no number of seconds in header %s", redactedURL(u), l.s.Lifetime.Header)
		}
	}
	return life, nil
}

// keep makes v the current token, obtained now, expiring after life (never
// when life is not positive) and renewed after two thirds of it.
func (l *loginSource) keep(v secret.Value, life time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cur, l.obtained, l.uses, l.keepUntil = v, now, 1, time.Time{}
	l.afterReject, l.pending = l.pending, false
	l.expires = now.Add(life)
	if life <= 0 {
		l.expires = now.Add(100 * 365 * 24 * time.Hour) // a token that does not expire (Vault root, TTL 0)
	}
	l.renewAt = now.Add(life * 2 / 3)
	if life <= 0 {
		l.renewAt = l.expires
	}
}

// Logins returns how many login exchanges the source made.
func (l *loginSource) Logins() int64 { return l.logins.Load() }

func redactedURL(u *url.URL) string {
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
}

func shorten(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// jsonPath finds a dot-separated path ("auth.client_token", "items.0.id")
// in a JSON document.
func jsonPath(doc []byte, path string) (any, bool) {
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		return nil, false
	}
	for _, p := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[p]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(p)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// seconds reads a lifetime: a number of seconds, as a JSON number or a
// string, or a Go duration string.
func seconds(v any, ok bool) (time.Duration, bool) {
	if !ok {
		return 0, false
	}
	switch x := v.(type) {
	case float64:
		return time.Duration(x * float64(time.Second)), x >= 0
	case string:
		if f, err := strconv.ParseFloat(x, 64); err == nil && f >= 0 {
			return time.Duration(f * float64(time.Second)), true
		}
		if d, err := time.ParseDuration(x); err == nil && d >= 0 {
			return d, true
		}
	}
	return 0, false
}

// oauth2Source is an OAuth2 client-credentials [hostfuncs.Source], by
// golang.org/x/oauth2/clientcredentials: it keeps the token until shortly
// before its expiry (the library's Valid), and lets one caller ask for a
// new one while the others wait. Each request goes out in the context of
// the guest call that needed it, so that it is audited with that fetch
// (hostfuncs.AddOutbound).
type oauth2Source struct {
	exchanger
	s  oauth2Settings
	sf singleflight.Group

	mu       sync.Mutex
	cfg      *clientcredentials.Config
	hc       *http.Client
	tok      *oauth2.Token
	lastDrop time.Time
	tokens   atomic.Int64
}

// config builds the grant's configuration once: the client's ID and secret
// are the values of other credentials, bound to the token URL's host.
func (o *oauth2Source) config(ctx context.Context) (*clientcredentials.Config, *http.Client, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.cfg != nil {
		return o.cfg, o.hc, nil
	}
	d := o.deps.Load()
	if d == nil {
		return nil, nil, o.fail("token request", "the store is not ready")
	}
	u, err := url.Parse(o.s.TokenURL)
	if err != nil {
		return nil, nil, o.fail("token request", "token_url: %v", err)
	}
	id, names, err := d.creds.Expand(ctx, u, "{{latchkey.credential:"+o.s.ClientID+"}}")
	if err != nil {
		return nil, nil, o.fail("token request", "client_id: %v", err)
	}
	sec, more, err := d.creds.Expand(ctx, u, "{{latchkey.credential:"+o.s.ClientSecret+"}}")
	if err != nil {
		return nil, nil, o.fail("token request", "client_secret: %v", err)
	}
	cfg := &clientcredentials.Config{ClientID: id, ClientSecret: sec, TokenURL: o.s.TokenURL, Scopes: o.s.Scopes,
		AuthStyle: oauth2.AuthStyleInHeader}
	if o.s.AuthStyle == "params" {
		cfg.AuthStyle = oauth2.AuthStyleInParams
	}
	if len(o.s.Params) > 0 {
		cfg.EndpointParams = url.Values{}
		for k, v := range o.s.Params {
			cfg.EndpointParams.Set(k, v)
		}
	}
	o.cfg = cfg
	o.hc = &http.Client{Transport: countingTransport{auditTransport{&o.exchanger, append(names, more...)}, &o.tokens},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return o.cfg, o.hc, nil
}

type countingTransport struct {
	next http.RoundTripper
	n    *atomic.Int64
}

func (t countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	t.n.Add(1)
	return t.next.RoundTrip(r)
}

// Value returns the kept access token, or a new one.
func (o *oauth2Source) Value(ctx context.Context) (secret.Value, error) {
	o.mu.Lock()
	tok := o.tok
	o.mu.Unlock()
	if tok.Valid() {
		return secret.StringValue(tok.AccessToken), nil
	}
	v, err, _ := o.sf.Do("token", func() (any, error) {
		o.mu.Lock()
		tok := o.tok
		o.mu.Unlock()
		if tok.Valid() {
			return tok, nil
		}
		cfg, hc, err := o.config(ctx)
		if err != nil {
			return nil, err
		}
		tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		tok, err = cfg.Token(context.WithValue(tctx, oauth2.HTTPClient, hc))
		if err != nil {
			var re *oauth2.RetrieveError
			if errors.As(err, &re) {
				return nil, o.fail("token request refused", "%s answered %d (%s)", o.s.TokenURL, re.Response.StatusCode, re.ErrorCode)
			}
			return nil, o.fail("token request", "%v", err)
		}
		o.mu.Lock()
		o.tok = tok
		o.mu.Unlock()
		return tok, nil
	})
	if err != nil {
		return secret.Value{}, err
	}
	return secret.StringValue(v.(*oauth2.Token).AccessToken), nil
}

// Rejected drops the kept token so that the next Value asks for one, at
// most once per [rejectionGrace]: a token just obtained and refused again
// is refused by the API's policy, which a new token would not change.
func (o *oauth2Source) Rejected(secret.Value) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if now := time.Now(); o.lastDrop.IsZero() || now.Sub(o.lastDrop) >= rejectionGrace {
		o.tok, o.lastDrop = nil, now
		return true
	}
	return false
}

// fileSource is a projected token file (a Kubernetes service-account
// token): read again whenever the file changed, as the kubelet rotates it.
type fileSource struct {
	store, name, path string
	mu                sync.Mutex
	mod               time.Time
	size              int64
	cur               secret.Value
}

func (f *fileSource) Value(context.Context) (secret.Value, error) {
	fi, err := os.Stat(f.path)
	if err != nil {
		return secret.Value{}, &stepError{f.store, f.name, "token file", err}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cur.Len() > 0 && fi.ModTime().Equal(f.mod) && fi.Size() == f.size {
		return f.cur, nil
	}
	b, _, err := safefile.ReadFile(f.path, safefile.Options{})
	if err != nil {
		return secret.Value{}, &stepError{f.store, f.name, "token file", err}
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return secret.Value{}, &stepError{f.store, f.name, "token file", fmt.Errorf("%s is empty", f.path)}
	}
	f.cur, f.mod, f.size = secret.NewValue(b), fi.ModTime(), fi.Size()
	return f.cur, nil
}

// Rejected reports whether the file changed since it was read.
func (f *fileSource) Rejected(secret.Value) bool {
	fi, err := os.Stat(f.path)
	f.mu.Lock()
	defer f.mu.Unlock()
	return err == nil && (!fi.ModTime().Equal(f.mod) || fi.Size() != f.size)
}

// certFiles loads a client certificate and key from files for every new
// connection (they rotate), refusing an expired certificate.
func certFiles(store, name string, s certSettings, now func() time.Time) hostfuncs.CertificateFunc {
	return func(context.Context) (*tls.Certificate, error) {
		c, err := tls.LoadX509KeyPair(s.Cert, s.Key)
		if err != nil {
			// The error of LoadX509KeyPair names files and PEM blocks,
			// never key material.
			return nil, &stepError{store, name, "client certificate", err}
		}
		leaf, err := x509.ParseCertificate(c.Certificate[0])
		if err != nil {
			return nil, &stepError{store, name, "client certificate", err}
		}
		if now().After(leaf.NotAfter) {
			return nil, &stepError{store, name, "expired certificate", fmt.Errorf("%s expired on %s", s.Cert, leaf.NotAfter.UTC().Format(time.RFC3339))}
		}
		c.Leaf = leaf
		return &c, nil
	}
}

// sigv4Signer signs requests with the AWS SDK's v4 signer and the
// credentials of the native provider's chain.
type sigv4Signer struct {
	store, name     string
	service, region string
	creds           aws.CredentialsProvider
	signer          *v4.Signer
	now             func() time.Time
}

func (s *sigv4Signer) Sign(ctx context.Context, req *http.Request, body []byte) ([]secret.Value, error) {
	c, err := s.creds.Retrieve(ctx)
	if err != nil {
		return nil, &stepError{s.store, s.name, "AWS credentials", errors.New("the credential chain found none; see docs/stores.md (auth_method)")}
	}
	sum := sha256.Sum256(body)
	if err := s.signer.SignHTTP(ctx, c, req, hex.EncodeToString(sum[:]), s.service, s.region, s.now()); err != nil {
		return nil, &stepError{s.store, s.name, "SigV4 signing", err}
	}
	var sent []secret.Value
	if c.SessionToken != "" {
		sent = append(sent, secret.NewValue([]byte(c.SessionToken)))
	}
	return sent, nil
}

// newSigV4 builds a signer from the settings of an "aws" store.
func newSigV4(ctx context.Context, store, name string, s sigv4Settings) (*sigv4Signer, string, []string, error) {
	awsSettings := map[string]any{}
	for k, v := range s.AWS {
		awsSettings[k] = v
	}
	if s.Region != "" {
		awsSettings["region"] = s.Region
	}
	st, err := lkaws.FromSpec(ctx, secret.Spec{Name: store + ".credentials." + name + ".aws_sigv4", Type: lkaws.Type, Settings: awsSettings})
	if err != nil {
		return nil, "", nil, err
	}
	return &sigv4Signer{store: store, name: name, service: s.Service, region: st.Region(), creds: st.Credentials(),
		signer: v4.NewSigner(), now: time.Now}, st.Identity(), st.Describe().UsedEnv(), nil
}
