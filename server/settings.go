package server

import (
	"context"
	"log/slog"
	"os"
	"reflect"
	"time"

	"github.com/latchkey/latchkey/policy"
	"github.com/latchkey/latchkey/resolver"
	"github.com/latchkey/latchkey/server/api"
	"github.com/latchkey/latchkey/server/serveconf"
)

// Defaults of the serve section's settings ([serveconf.Settings]' zero
// values) and of [Spec.Timeout].
const (
	DefaultSocketMode        os.FileMode = 0o660
	DefaultGracePeriod                   = 10 * time.Second
	DefaultMaxBodyBytes                  = 1 << 20
	DefaultMaxHeaderBytes                = 16 << 10
	DefaultReadHeaderTimeout             = 5 * time.Second
	DefaultReadTimeout                   = 10 * time.Second
	DefaultIdleTimeout                   = 60 * time.Second
	DefaultMaxConnections                = 256
	DefaultTimeout                       = 30 * time.Second
	// writeMargin is how much longer than a resolution's timeout a
	// response may take to write when serve.write_timeout is unset.
	writeMargin = 10 * time.Second
)

// Config configures a [Server]. Only Load is required.
type Config struct {
	// Load returns the agent's configuration: at start, with the context
	// given to [New], and on every [Server.Reload], with its context. It is
	// called once at a time. `latchkey serve` reads the agent config file
	// (package config); an embedder may return a [Spec] built in Go.
	Load func(ctx context.Context) (*Spec, error)
	// Logger receives the server's records (default: discard). No record
	// carries a value or a token.
	Logger *slog.Logger
	// Observer, when not nil, is told about every fetch and resolution
	// besides the server's own metrics (an audit log).
	Observer resolver.Observer
	// Authorizer, when not nil, builds from each loaded Spec (at start and
	// on every reload) the check every request passes once its caller is
	// known. An error refuses the Spec, as a bad store does.
	Authorizer func(spec *Spec) (Authorizer, error)
	// Getenv reads the variables tokens come from (default os.Getenv).
	Getenv func(string) string
}

// Spec is one configuration of the agent, as [Config.Load] returns it. The
// server does not change it; a Load must return a new Spec each time.
type Spec struct {
	// Path names where the Spec was read from (the agent config file), for
	// errors: "agent config PATH: …". It may be empty.
	Path string
	// Resolver configures the stores. Each store is cached as its Cache
	// says (nil: not cached; `latchkey serve` caches every store unless
	// its cache section says enabled: false). Logger defaults to the
	// server's; the server's metrics observe beside Observer. With
	// Callers, each caller entry gets a Resolver of its own, built from
	// this one with the entry's stores and rules.
	Resolver resolver.Config
	// Timeout bounds one resolution (0: DefaultTimeout).
	Timeout time.Duration
	// Serve says how the server listens, the tokens TCP callers present
	// and the limits it applies; its zero value listens on the default
	// unix socket with the defaults above.
	Serve serveconf.Settings
	// Callers, when not empty, names who may use the agent and which
	// stores and secrets each may read (docs/policy.md); a caller no entry
	// names is refused. Empty: every caller the transport lets in (the
	// socket's mode, a token on TCP) uses every store.
	Callers []policy.CallerSpec
}

// timeout is the Spec's Timeout or its default.
func (sp *Spec) timeout() time.Duration {
	if sp.Timeout <= 0 {
		return DefaultTimeout
	}
	return sp.Timeout
}

// serveDefaults returns spec's serve section with the server's defaults
// applied: Socket is "" for no unix listener. Tokens are read from each
// generation's Spec, not from here.
func serveDefaults(spec *Spec, getenv func(string) string) serveconf.Settings {
	o := spec.Serve
	switch o.Socket {
	case "":
		o.Socket = api.DefaultSocketPath(getenv)
	case "none":
		o.Socket = ""
	}
	def := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	if o.SocketMode == 0 {
		o.SocketMode = DefaultSocketMode
	}
	def(&o.GracePeriod, DefaultGracePeriod)
	def(&o.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	def(&o.ReadTimeout, DefaultReadTimeout)
	def(&o.IdleTimeout, DefaultIdleTimeout)
	def(&o.WriteTimeout, spec.timeout()+writeMargin)
	if o.MaxBodyBytes == 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.MaxHeaderBytes == 0 {
		o.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if o.MaxConnections == 0 {
		o.MaxConnections = DefaultMaxConnections
	}
	return o
}

// listenerSettings returns o without what a reload does apply (the write
// timeout, the Secrets Manager store, the tokens).
func listenerSettings(o serveconf.Settings) serveconf.Settings {
	o.WriteTimeout, o.SecretsManagerStore, o.Tokens = 0, "", nil
	return o
}

// sameListeners reports whether o and p differ only in what a reload
// applies.
func sameListeners(o, p serveconf.Settings) bool {
	return reflect.DeepEqual(listenerSettings(o), listenerSettings(p))
}
