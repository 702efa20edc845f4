package wasm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/latchkey/latchkey/hostfuncs"
	"github.com/latchkey/latchkey/internal/egress"
	lkruntime "github.com/latchkey/latchkey/runtime"
	"github.com/latchkey/latchkey/secret"

	"github.com/latchkey/latchkey/internal/units"
)

// brokered checks one brokered credential's settings and builds it. Every
// problem is reported, joined, as a *secret.ConfigError naming the key.
func brokered(ctx context.Context, store, name string, d credentialSettings, deps *atomic.Pointer[brokerDeps]) (hostfuncs.Credential, credentialInfo, error) {
	b := &brokeredBuild{
		store: store, name: name, rate: d.Rate, deps: deps,
		cr:   hostfuncs.Credential{Name: name, Hosts: d.Hosts, BodyPaths: d.BodyPaths},
		info: credentialInfo{name: name, hosts: d.Hosts, bodyPaths: d.BodyPaths},
	}
	switch {
	case d.Login != nil:
		b.login(d.Login)
	case d.OAuth2 != nil:
		b.oauth2(d.OAuth2)
	case d.TokenFile != "":
		b.tokenFile(ctx, d.TokenFile)
	case d.ClientCert != nil:
		b.clientCert(ctx, d.ClientCert)
	case d.AWSSigV4 != nil:
		b.awsSigV4(ctx, d.AWSSigV4)
	case d.AzureToken != nil:
		b.azureToken(ctx, d.AzureToken)
	case d.GCPToken != nil:
		b.gcpToken(ctx, d.GCPToken)
	}
	if len(d.Hosts) == 0 {
		b.bad(".hosts", "is bound to no host: list where it may be used")
	}
	if err := errors.Join(b.errs...); err != nil {
		return b.cr, b.info, err
	}
	return b.cr, b.info, nil
}

// brokeredBuild is one brokered credential while brokered builds it: the
// credential and its description so far, and the problems found, in the
// order they were found. One kind method fills it; it is not shared.
type brokeredBuild struct {
	store, name string
	rate        exchangeLimits
	deps        *atomic.Pointer[brokerDeps]

	cr   hostfuncs.Credential
	info credentialInfo
	errs []error
}

// bad records a problem with the setting credentials.<name><sub>.
func (b *brokeredBuild) bad(sub, format string, args ...any) {
	b.errs = append(b.errs, &secret.ConfigError{Store: b.store, Key: "credentials." + b.name + sub, Msg: fmt.Sprintf(format, args...)})
}

// checkURL records a problem with sub unless raw is an absolute http(s) URL
// with a host.
func (b *brokeredBuild) checkURL(sub, raw string) {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		b.bad(sub, "%q is not an absolute http(s) URL", raw)
	}
}

// newExchanger is the rate-limited exchanger a login or OAuth2 source of this
// credential runs its requests through.
func (b *brokeredBuild) newExchanger() exchanger {
	return newExchanger(b.store, b.name, b.rate, b.deps)
}

// login checks a login exchange's settings and makes the credential's
// source a loginSource. It fills in the method (POST by default, upper
// case) in l itself, as the source and the description show it.
func (b *brokeredBuild) login(l *loginSettings) {
	if l.Method == "" {
		l.Method = http.MethodPost
	}
	l.Method = strings.ToUpper(l.Method)
	b.checkURL(".login.url", l.URL)
	b.checkLoginToken(l)
	fixed := b.loginLifetime(l)
	if l.Encoding != "" && l.Encoding != "base64" {
		b.bad(".login.encoding", "%q is not known: leave it empty or say base64", l.Encoding)
	}
	src := &loginSource{exchanger: b.newExchanger(), s: *l, fixed: fixed, now: time.Now}
	b.cr.Source, b.cr.Encoding = src, l.Encoding
	b.info.source = "login " + l.Method + " " + l.URL
}

// checkLoginToken checks that a login says in exactly one way where the
// token is in the answer.
func (b *brokeredBuild) checkLoginToken(l *loginSettings) {
	if countSet(l.Token.JSON != "", l.Token.Header != "", l.Token.Body) != 1 {
		b.bad(".login.token", "say where the token is in the answer: exactly one of json (a path such as auth.client_token), header, or body: true")
	}
}

// loginLifetime checks that a login says in exactly one way how long its
// token lives, and parses the fixed lifetime if that is the way (0 when it
// is not, or when it does not parse).
func (b *brokeredBuild) loginLifetime(l *loginSettings) time.Duration {
	if countSet(l.Lifetime.JSON != "", l.Lifetime.Header != "", l.Lifetime.Fixed != "") != 1 {
		b.bad(".login.lifetime", "say how long the token lives: exactly one of json (a path to seconds such as auth.lease_duration), header, or fixed (a duration such as 8m)")
	}
	if l.Lifetime.Fixed == "" {
		return 0
	}
	fixed, err := units.ParseDuration(l.Lifetime.Fixed)
	if err != nil || fixed <= 0 {
		b.bad(".login.lifetime.fixed", "%q is not a positive duration such as 8m", l.Lifetime.Fixed)
	}
	return fixed
}

// countSet is how many of set are true.
func countSet(set ...bool) int {
	n := 0
	for _, s := range set {
		if s {
			n++
		}
	}
	return n
}

// oauth2 checks a client-credentials grant's settings and makes the
// credential's source an oauth2Source.
func (b *brokeredBuild) oauth2(o *oauth2Settings) {
	b.checkURL(".oauth2.token_url", o.TokenURL)
	if o.ClientID == "" || o.ClientSecret == "" {
		b.bad(".oauth2", "client_id and client_secret name other credentials of the store, bound to the token URL's host")
	}
	if o.AuthStyle != "" && o.AuthStyle != "header" && o.AuthStyle != "params" {
		b.bad(".oauth2.auth_style", "%q: want header (HTTP Basic) or params", o.AuthStyle)
	}
	b.cr.Source = &oauth2Source{exchanger: b.newExchanger(), s: *o}
	b.info.source = "OAuth2 client credentials from " + o.TokenURL
}

// tokenFile makes the credential's source the file at path, read once now
// so that a file that cannot be read is a configuration error.
func (b *brokeredBuild) tokenFile(ctx context.Context, path string) {
	fs := &fileSource{store: b.store, name: b.name, path: path}
	if _, err := fs.Value(ctx); err != nil {
		b.bad(".token_file", "%v", errors.Unwrap(err))
	}
	b.cr.Source = fs
	b.info.source = "token file " + path
}

// clientCert checks a client certificate's settings, loads its files once
// now, and makes the credential present it on connections.
func (b *brokeredBuild) clientCert(ctx context.Context, c *certSettings) {
	if c.Cert == "" || c.Key == "" {
		b.bad(".client_cert", "give cert and key, the paths of PEM files")
		return
	}
	if len(b.cr.BodyPaths) > 0 {
		b.bad(".body_paths", "a client certificate is presented on connections, never written in a body")
	}
	f := certFiles(b.store, b.name, *c, time.Now)
	if _, err := f(ctx); err != nil {
		var se *stepError
		if errors.As(err, &se) {
			b.bad(".client_cert", "%s: %v", se.step, se.err)
		} else {
			b.bad(".client_cert", "%v", err)
		}
	}
	b.cr.Certificate = f
	b.info.source = "client certificate " + c.Cert
}

// awsSigV4 checks a SigV4 signer's settings and, when they hold, builds the
// signer with its AWS credential chain.
func (b *brokeredBuild) awsSigV4(ctx context.Context, s *sigv4Settings) {
	if s.Service == "" {
		b.bad(".aws_sigv4.service", "is required: the signing name of the service, such as ssm or secretsmanager")
	}
	if len(b.cr.BodyPaths) > 0 {
		b.bad(".body_paths", "a signer signs requests, it is never written in a body")
	}
	if len(b.errs) > 0 {
		return
	}
	sg, identity, envs, err := newSigV4(ctx, b.store, b.name, *s)
	if err != nil {
		b.bad(".aws_sigv4", "%v", err)
		return
	}
	b.cr.Signer, b.info.envs = sg, envs
	b.info.source = fmt.Sprintf("AWS SigV4 for %s in %s, %s", sg.service, sg.region, identity)
}

// azureToken builds an Azure bearer-token signer with its credential chain.
func (b *brokeredBuild) azureToken(ctx context.Context, s *azureTokenSettings) {
	b.checkBearerBodyPaths()
	ab, who, envs, err := newAzureBearer(ctx, b.store, b.name, *s)
	if err != nil {
		b.bad(".azure_token", "%v", err)
		return
	}
	b.cr.Signer, b.info.envs = ab, envs
	b.info.source = who
}

// gcpToken builds a GCP bearer-token signer with its credential chain.
func (b *brokeredBuild) gcpToken(ctx context.Context, s *gcpTokenSettings) {
	b.checkBearerBodyPaths()
	gb, who, envs, err := newGCPBearer(ctx, b.store, b.name, *s)
	if err != nil {
		b.bad(".gcp_token", "%v", err)
		return
	}
	b.cr.Signer, b.info.envs = gb, envs
	b.info.source = who
}

// checkBearerBodyPaths records a problem if a bearer-token credential names
// body paths: its token goes in the Authorization header only.
func (b *brokeredBuild) checkBearerBodyPaths() {
	if len(b.cr.BodyPaths) > 0 {
		b.bad(".body_paths", "a bearer token is written in the Authorization header, never in a body")
	}
}

// exchangeClient builds the client of the host's own exchanges (logins,
// token requests) under the store's network policy, without the guest's
// hooks: nothing it reads reaches the guest.
func exchangeClient(store string, opts lkruntime.Options) (*egress.Client, error) {
	p, err := prepare(store, opts)
	if err != nil {
		return nil, err
	}
	h := p.HTTP
	h.Hook, h.Redact, h.Rejected = nil, nil, nil
	c, err := egress.NewClient(h)
	if err != nil {
		return nil, &secret.ConfigError{Store: store, Key: "allowed_hosts", Msg: err.Error()}
	}
	return c, nil
}
