package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/latchkey/latchkey/policy"
	"github.com/latchkey/latchkey/resolver"
	"github.com/latchkey/latchkey/secret"
	"github.com/latchkey/latchkey/server/serveconf"
)

// Server is the resident agent. Its methods may be called concurrently.
type Server struct {
	cfg     Config
	log     *slog.Logger
	opts    serveconf.Settings // the serve section at start, with the defaults applied
	metrics *metrics
	obs     resolver.Observer
	http    *http.Server

	reloadMu sync.Mutex // one Load/Rebuild at a time
	watch    watchStates
	gen      atomic.Pointer[generation]
	lns      []*listener
	ready    chan struct{}
	// workflows remembers decoded workflow documents.
	workflows *wfCache
}

// generation is one loaded Spec and what was built from it.
// Requests hold it while they run; once retired, the last one out closes
// its resolver (which closes only the stores a newer generation did not
// take over).
type generation struct {
	spec      *Spec
	res       *resolver.Resolver // nil until the stores are built
	tokens    tokens
	authorize Authorizer
	// callers is the compiled callers section (nil: every caller that the
	// transport lets in uses res); byEntry holds each entry's Resolver.
	callers *policy.Callers
	byEntry map[string]*resolver.Resolver

	mu      sync.Mutex
	users   int
	retired bool
	log     *slog.Logger
	// prev is the generation this one replaced: it closes first, since
	// its requests may still use stores this one took over and would
	// close. closed is closed once this generation's stores are.
	prev   *generation
	closed chan struct{}
}

func (g *generation) acquire() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.retired {
		return false
	}
	g.users++
	return true
}

func (g *generation) release() {
	g.mu.Lock()
	g.users--
	last := g.retired && g.users == 0
	g.mu.Unlock()
	if last {
		g.close()
	}
}

func (g *generation) retire() {
	g.mu.Lock()
	g.retired = true
	last := g.users == 0
	g.mu.Unlock()
	if last {
		g.close()
	}
}

// close closes the generation's stores once the one it replaced has
// closed its own, without blocking the caller.
func (g *generation) close() {
	g.mu.Lock()
	prev := g.prev
	g.prev = nil
	g.mu.Unlock()
	go func() {
		if prev != nil {
			<-prev.closed
		}
		for name, r := range g.byEntry {
			if err := r.Close(); err != nil {
				g.log.Warn("closing the stores of a replaced config", "caller_entry", name, "err", err)
			}
		}
		if g.res != nil {
			if err := g.res.Close(); err != nil {
				g.log.Warn("closing the stores of a replaced config", "err", err)
			}
		}
		close(g.closed)
	}()
}

// New loads the configuration (cfg.Load) and reads the tokens. It opens
// nothing: [Server.Listen] does.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Load == nil {
		return nil, errors.New("server: Config.Load is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Getenv == nil {
		cfg.Getenv = os.Getenv
	}
	s := &Server{cfg: cfg, log: cfg.Logger, ready: make(chan struct{}), workflows: newWFCache()}
	spec, err := cfg.Load(ctx)
	if err != nil {
		return nil, err
	}
	g, err := s.prepare(spec, false)
	if err != nil {
		return nil, err
	}
	s.gen.Store(g)
	s.opts = serveDefaults(spec, cfg.Getenv)
	s.metrics = newMetrics()
	s.metrics.reg.MustRegister(newStoreCollector(s))
	s.obs = resolver.Observers(s.metrics, cfg.Observer)
	s.http = &http.Server{
		Handler:           s.handler(),
		ReadHeaderTimeout: s.opts.ReadHeaderTimeout,
		ReadTimeout:       s.opts.ReadTimeout,
		WriteTimeout:      s.opts.WriteTimeout,
		IdleTimeout:       s.opts.IdleTimeout,
		MaxHeaderBytes:    s.opts.MaxHeaderBytes,
		ConnContext:       connContext,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	return s, nil
}

// prepare reads what a generation needs besides its stores: the tokens
// and the authorizer.
func (s *Server) prepare(spec *Spec, reload bool) (*generation, error) {
	g := &generation{spec: spec, log: s.log, closed: make(chan struct{})}
	var errs []error
	t, revoked, err := readTokens(spec.Serve.Tokens, s.cfg.Getenv, reload)
	if err != nil {
		errs = append(errs, err)
	}
	for _, name := range revoked {
		s.log.Warn("token revoked: its file is gone or empty, so clients presenting it are refused from now on", "token", name)
	}
	g.tokens = t
	for _, w := range t.warnings {
		s.log.Warn(w)
	}
	if g.callers, err = compileCallers(spec); err != nil {
		errs = append(errs, err)
	}
	if s.cfg.Authorizer != nil {
		a, err := s.cfg.Authorizer(spec)
		if err != nil {
			errs = append(errs, err)
		}
		g.authorize = a
	}
	if err := errors.Join(errs...); err != nil {
		where := "agent config"
		if spec.Path != "" {
			where += " " + spec.Path
		}
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	return g, nil
}

// revoke refuses in g, at once, the tokens fresh no longer holds.
func (s *Server) revoke(g *generation, fresh tokens) {
	for _, name := range g.tokens.revokeStale(fresh) {
		s.log.Warn("token revoked: its file is gone, empty, changed or unreadable, or the config dropped it, so clients presenting it are refused from now on", "token", name)
	}
}

// Listen opens the unix socket and the TCP listener the serve section asks
// for. A stale socket is removed; a live one is an error wrapping
// [ErrSocketInUse]; a path that is not a socket is an error and left alone.
//
// Under systemd socket activation (LISTEN_PID, LISTEN_FDS) it serves the
// sockets systemd passed instead, and serve.socket and serve.tcp are
// ignored; a TCP one still needs a token.
func (s *Server) Listen() error {
	act, err := activated(s.cfg.Getenv, s.opts.AllowNonLoopback)
	if err != nil {
		return err
	}
	if len(act) > 0 {
		for _, p := range act {
			if p.t == overTCP && len(s.gen.Load().tokens.names) == 0 {
				for _, a := range act {
					_ = a.l.Close()
				}
				return fmt.Errorf("socket activation: systemd passed a TCP socket (%s), which needs a token: set serve.token_file or serve.token_env", p.l.Addr())
			}
		}
		for _, p := range act {
			s.lns = append(s.lns, s.newListener(p.l, p.t))
		}
		s.log.Info("using the sockets systemd passed; serve.socket and serve.tcp are ignored", "sockets", len(act))
		return nil
	}
	if s.opts.Socket == "" && s.opts.TCP == "" {
		return errors.New("serve: nothing to listen on: serve.socket is none and serve.tcp is unset")
	}
	if s.opts.Socket != "" {
		l, err := s.listenLocal()
		if err != nil {
			return err
		}
		s.lns = append(s.lns, s.newListener(l, overUnix))
	}
	if s.opts.TCP != "" {
		l, err := listenTCP(s.opts.TCP, s.opts.AllowNonLoopback)
		if err != nil {
			s.closeListeners()
			return err
		}
		s.lns = append(s.lns, s.newListener(l, overTCP))
	}
	return nil
}

// newListener wraps l with the server's connection limits; a unix peer
// that a callers entry names (any peer, without a callers section) is an
// authorized caller from the moment it connects.
func (s *Server) newListener(l net.Listener, t transport) *listener {
	ln := newListener(l, t, s.opts.MaxConnections)
	if t == overUnix {
		ln.trusts = s.authorizedPeer
	}
	return ln
}

// authorizedPeer reports whether the current config's callers section
// names a unix peer (true when it has none: the socket's mode is then the
// access check).
func (s *Server) authorizedPeer(c secret.Caller) bool {
	g := s.gen.Load()
	if g == nil {
		return false
	}
	if g.callers == nil {
		return true
	}
	_, err := g.callers.Match(c)
	return err == nil
}

func (s *Server) closeListeners() {
	for _, l := range s.lns {
		_ = l.Close()
	}
	s.lns = nil
}

// Addrs returns the addresses Listen opened: the unix socket, then TCP.
func (s *Server) Addrs() []net.Addr {
	out := make([]net.Addr, 0, len(s.lns))
	for _, l := range s.lns {
		out = append(out, l.Addr())
	}
	return out
}

// Ready is closed once every store is built and requests are served.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// Serve serves on the listeners Listen opened: it answers /healthz at once,
// builds every store (the API answers 503 not_ready meanwhile), and serves
// until ctx ends. Then it stops accepting, waits up to the grace period for
// the requests in flight, closes the stores and returns nil. A store that
// cannot be built ends Serve with the error.
func (s *Server) Serve(ctx context.Context) error {
	if len(s.lns) == 0 {
		return errors.New("serve: Listen first")
	}
	served := make(chan error, len(s.lns))
	for _, l := range s.lns {
		go func(l *listener) { served <- s.http.Serve(l) }(l)
		s.log.Info("listening", "addr", l.Addr().String(), "network", l.Addr().Network())
	}
	g := s.gen.Load()
	res, err := resolver.New(ctx, s.resolverConfig(g.spec))
	if err != nil {
		s.drain(context.Background())
		return fmt.Errorf("agent config %s: %w", g.spec.Path, err)
	}
	entries, err := s.buildEntries(ctx, g.spec, nil)
	if err != nil {
		_ = res.Close()
		s.drain(context.Background())
		return fmt.Errorf("agent config %s: %w", g.spec.Path, err)
	}
	s.swap(&generation{spec: g.spec, res: res, tokens: g.tokens, authorize: g.authorize, callers: g.callers, byEntry: entries, log: s.log, closed: make(chan struct{})})
	s.metrics.ready.Set(1)
	close(s.ready)
	s.log.Info("ready", "stores", len(res.StoreNames()))
	select {
	case <-ctx.Done():
	case err := <-served:
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.drain(context.Background())
			return fmt.Errorf("serve: %w", err)
		}
	}
	s.drain(context.Background())
	return nil
}

// drain stops accepting, waits up to the grace period for in-flight
// requests, then closes what is left and the stores.
func (s *Server) drain(ctx context.Context) {
	s.metrics.ready.Set(0)
	ctx, cancel := context.WithTimeout(ctx, s.opts.GracePeriod)
	defer cancel()
	start := time.Now()
	if err := s.http.Shutdown(ctx); err != nil {
		s.log.Warn("grace period over: closing the connections still open", "grace", s.opts.GracePeriod)
		_ = s.http.Close()
	}
	s.closeListeners()
	if g := s.gen.Swap(nil); g != nil {
		g.retire()
		select { // the stores close once the last request lets go
		case <-g.closed:
		case <-ctx.Done():
			s.log.Warn("requests still hold the stores after the grace period; exiting without closing them")
		}
	}
	s.log.Info("stopped", "drained_in", time.Since(start).Round(time.Millisecond))
}

// resolverConfig is spec's resolver config with the server's logger (when
// it sets none) and metrics.
func (s *Server) resolverConfig(spec *Spec) resolver.Config {
	rc := spec.Resolver
	if rc.Logger == nil {
		rc.Logger = s.log
	}
	rc.Observer = resolver.Observers(s.obs, rc.Observer)
	return rc
}

// swap makes g the current generation and retires the previous one.
func (s *Server) swap(g *generation) {
	g.prev = s.gen.Load()
	if old := s.gen.Swap(g); old != nil {
		old.retire()
	}
}

// acquire returns the current generation, held until release.
func (s *Server) acquire() *generation {
	for {
		g := s.gen.Load()
		if g == nil {
			return nil
		}
		if g.acquire() {
			return g
		}
	}
}

// Reload loads the agent config again. When it is good, stores whose
// settings changed are rebuilt (dropping what they cached), new tokens and
// the authorizer take effect, and requests in flight finish on the old
// config; when it is bad, the error reports every problem and the old
// config keeps serving. Listener settings (socket, tcp, limits) need a
// restart; a change to them is logged and ignored.
//
// Token revocation does not wait for the rest: Reload first reads the
// current tokens' files again (without blocking: see internal/safefile)
// and refuses at once every token whose file is gone, emptied, changed or
// unreadable, and, once the new config is read, every token it dropped.
// So a revoked token is refused even when the reload then fails or never
// finishes (a store that hangs in its build), and even while another
// reload holds the lock.
func (s *Server) Reload(ctx context.Context) (resolver.Changes, error) {
	if g := s.gen.Load(); g != nil {
		fresh, _, _ := readTokens(g.spec.Serve.Tokens, s.cfg.Getenv, true)
		s.revoke(g, fresh)
	}
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	ch, err := s.reload(ctx)
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	s.metrics.reloads.WithLabelValues(outcome).Inc()
	return ch, err
}

func (s *Server) reload(ctx context.Context) (resolver.Changes, error) {
	cur := s.acquire()
	if cur == nil {
		return resolver.Changes{}, errors.New("reload: the server is stopping")
	}
	defer cur.release()
	if cur.res == nil {
		return resolver.Changes{}, errors.New("reload: the stores are still being built; try again once /readyz answers")
	}
	spec, err := s.cfg.Load(ctx)
	if err != nil {
		return resolver.Changes{}, err
	}
	g, err := s.prepare(spec, true)
	if err != nil {
		return resolver.Changes{}, err
	}
	s.revoke(cur, g.tokens) // tokens the new config dropped
	res, ch, err := cur.res.Rebuild(ctx, s.resolverConfig(spec))
	if err != nil {
		return resolver.Changes{}, fmt.Errorf("agent config %s: %w", spec.Path, err)
	}
	entries, err := s.buildEntries(ctx, spec, cur.byEntry)
	if err != nil {
		_ = res.Discard() // cur keeps serving with its stores
		return resolver.Changes{}, fmt.Errorf("agent config %s: %w", spec.Path, err)
	}
	g.res, g.byEntry = res, entries
	if !sameListeners(serveDefaults(spec, s.cfg.Getenv), s.opts) {
		s.log.Warn("serve settings changed (socket, tcp, limits, time-outs): restart latchkey serve to apply them; the stores, tokens and timeout were reloaded")
	}
	s.swap(g)
	return ch, nil
}
