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
	key := "credentials." + name
	var errs []error
	bad := func(sub, format string, args ...any) {
		errs = append(errs, &secret.ConfigError{Store: store, Key: key + sub, Msg: fmt.Sprintf(format, args...)})
	}
	cr := hostfuncs.Credential{Name: name, Hosts: d.Hosts, BodyPaths: d.BodyPaths}
	info := credentialInfo{name: name, hosts: d.Hosts, bodyPaths: d.BodyPaths}
	checkURL := func(sub, raw string) {
		u, err := url.Parse(raw)
		if err != nil || !u.IsAbs() || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			bad(sub, "%q is not an absolute http(s) URL", raw)
		}
	}
	switch {
	case d.Login != nil:
		l := d.Login
		if l.Method == "" {
			l.Method = http.MethodPost
		}
		l.Method = strings.ToUpper(l.Method)
		checkURL(".login.url", l.URL)
		where := 0
		for _, set := range []bool{l.Token.JSON != "", l.Token.Header != "", l.Token.Body} {
			if set {
				where++
			}
		}
		if where != 1 {
			bad(".login.token", "say where the token is in the answer: exactly one of json (a path such as auth.client_token), header, or body: true")
		}
		var fixed time.Duration
		life := 0
		for _, set := range []bool{l.Lifetime.JSON != "", l.Lifetime.Header != "", l.Lifetime.Fixed != ""} {
			if set {
				life++
			}
		}
		if life != 1 {
			bad(".login.lifetime", "say how long the token lives: exactly one of json (a path to seconds such as auth.lease_duration), header, or fixed (a duration such as 8m)")
		}
		if l.Lifetime.Fixed != "" {
			var err error
			if fixed, err = units.ParseDuration(l.Lifetime.Fixed); err != nil || fixed <= 0 {
				bad(".login.lifetime.fixed", "%q is not a positive duration such as 8m", l.Lifetime.Fixed)
			}
		}
		if l.Encoding != "" && l.Encoding != "base64" {
			bad(".login.encoding", "%q is not known: leave it empty or say base64", l.Encoding)
		}
		src := &loginSource{exchanger: newExchanger(store, name, d.Rate, deps), s: *l, fixed: fixed, now: time.Now}
		cr.Source, cr.Encoding = src, l.Encoding
		info.source = "login " + l.Method + " " + l.URL
	case d.OAuth2 != nil:
		o := d.OAuth2
		checkURL(".oauth2.token_url", o.TokenURL)
		if o.ClientID == "" || o.ClientSecret == "" {
			bad(".oauth2", "client_id and client_secret name other credentials of the store, bound to the token URL's host")
		}
		if o.AuthStyle != "" && o.AuthStyle != "header" && o.AuthStyle != "params" {
			bad(".oauth2.auth_style", "%q: want header (HTTP Basic) or params", o.AuthStyle)
		}
		cr.Source = &oauth2Source{exchanger: newExchanger(store, name, d.Rate, deps), s: *o}
		info.source = "OAuth2 client credentials from " + o.TokenURL
	case d.TokenFile != "":
		fs := &fileSource{store: store, name: name, path: d.TokenFile}
		if _, err := fs.Value(ctx); err != nil {
			bad(".token_file", "%v", errors.Unwrap(err))
		}
		cr.Source = fs
		info.source = "token file " + d.TokenFile
	case d.ClientCert != nil:
		if d.ClientCert.Cert == "" || d.ClientCert.Key == "" {
			bad(".client_cert", "give cert and key, the paths of PEM files")
			break
		}
		if len(d.BodyPaths) > 0 {
			bad(".body_paths", "a client certificate is presented on connections, never written in a body")
		}
		f := certFiles(store, name, *d.ClientCert, time.Now)
		if _, err := f(ctx); err != nil {
			var se *stepError
			if errors.As(err, &se) {
				bad(".client_cert", "%s: %v", se.step, se.err)
			} else {
				bad(".client_cert", "%v", err)
			}
		}
		cr.Certificate = f
		info.source = "client certificate " + d.ClientCert.Cert
	case d.AWSSigV4 != nil:
		if d.AWSSigV4.Service == "" {
			bad(".aws_sigv4.service", "is required: the signing name of the service, such as ssm or secretsmanager")
		}
		if len(d.BodyPaths) > 0 {
			bad(".body_paths", "a signer signs requests, it is never written in a body")
		}
		if len(errs) > 0 {
			break
		}
		sg, identity, envs, err := newSigV4(ctx, store, name, *d.AWSSigV4)
		if err != nil {
			bad(".aws_sigv4", "%v", err)
			break
		}
		cr.Signer, info.envs = sg, envs
		info.source = fmt.Sprintf("AWS SigV4 for %s in %s, %s", sg.service, sg.region, identity)
	case d.AzureToken != nil:
		if len(d.BodyPaths) > 0 {
			bad(".body_paths", "a bearer token is written in the Authorization header, never in a body")
		}
		ab, who, envs, err := newAzureBearer(ctx, store, name, *d.AzureToken)
		if err != nil {
			bad(".azure_token", "%v", err)
			break
		}
		cr.Signer, info.envs = ab, envs
		info.source = who
	case d.GCPToken != nil:
		if len(d.BodyPaths) > 0 {
			bad(".body_paths", "a bearer token is written in the Authorization header, never in a body")
		}
		gb, who, envs, err := newGCPBearer(ctx, store, name, *d.GCPToken)
		if err != nil {
			bad(".gcp_token", "%v", err)
			break
		}
		cr.Signer, info.envs = gb, envs
		info.source = who
	}
	if len(d.Hosts) == 0 {
		bad(".hosts", "is bound to no host: list where it may be used")
	}
	if err := errors.Join(errs...); err != nil {
		return cr, info, err
	}
	return cr, info, nil
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
