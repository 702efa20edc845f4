package runtime

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/latchkey/latchkey/hostfuncs"
	"github.com/latchkey/latchkey/secret"

	"github.com/latchkey/latchkey/internal/egress"
	"github.com/latchkey/latchkey/internal/redact"
	"github.com/latchkey/latchkey/internal/safefile"
)

// Limits bounds what a module may use. The zero value of every field is
// the documented default.
type Limits struct {
	// MemoryPages caps each instance's linear memory in 64 KiB pages
	// (default 1024: 64 MiB). A guest's memory.grow past it fails.
	MemoryPages uint32
	// CallTimeout caps one fetch, HTTP requests included (default 10 s). A
	// guest still running then is interrupted and its instance discarded.
	CallTimeout time.Duration
	// InitTimeout caps a new instance's instantiation and _initialize
	// (default 10 s): a module whose runtime takes long to start (a large
	// Go or Rust guest on a slow machine) may need more.
	InitTimeout time.Duration
	// MaxInput caps the bytes handed to the guest per call: config, name,
	// key and version together (default 64 KiB).
	MaxInput int
	// MaxOutput caps the secret a guest returns (default 1 MiB).
	MaxOutput int
	// MaxLog caps the bytes a guest logs per call (default 8 KiB).
	MaxLog int
	// MaxStdout caps the bytes of stdout and stderr logged per call, and
	// during _initialize (default 4 KiB); the rest is counted and dropped.
	MaxStdout int
	// RecycleMemory is the linear memory size, in bytes, past which an
	// instance is discarded after its call, since linear memory never
	// shrinks (default 32 MiB).
	RecycleMemory uint32
	// MaxInstances caps the instances alive at once, hence the fetches
	// running at once; more wait (default 8).
	MaxInstances int
}

// Defaults of [Limits].
const (
	DefaultMemoryPages   = 1024
	DefaultCallTimeout   = 10 * time.Second
	DefaultInitTimeout   = 10 * time.Second
	DefaultMaxInput      = 64 << 10
	DefaultMaxStdout     = 4 << 10
	DefaultRecycleMemory = 32 << 20
	DefaultMaxInstances  = 8
	maxModuleSize        = 256 << 20
)

func (l Limits) withDefaults() Limits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	if l.MemoryPages == 0 {
		l.MemoryPages = DefaultMemoryPages
	}
	if l.CallTimeout <= 0 {
		l.CallTimeout = DefaultCallTimeout
	}
	if l.InitTimeout <= 0 {
		l.InitTimeout = DefaultInitTimeout
	}
	if l.RecycleMemory == 0 {
		l.RecycleMemory = DefaultRecycleMemory
	}
	def(&l.MaxInput, DefaultMaxInput)
	def(&l.MaxOutput, hostfuncs.DefaultMaxResult)
	def(&l.MaxLog, hostfuncs.DefaultMaxLog)
	def(&l.MaxStdout, DefaultMaxStdout)
	def(&l.MaxInstances, DefaultMaxInstances)
	return l
}

// Options configures a [Module]. Only Name is required; every other zero
// value is a documented default.
type Options struct {
	// Name names the module in errors and logs, usually the store's name.
	Name string
	// SHA256 pins the module: hex digest, optionally prefixed "sha256:".
	// A module whose digest differs is refused before it is compiled.
	SHA256 string
	// AllowUnpinned accepts a module without SHA256. Without it, a missing
	// pin is an error that gives the module's digest.
	AllowUnpinned bool
	// Config is the JSON object handed to the guest (default {}).
	Config []byte
	// HTTP is the guest's network policy; the zero value allows no host.
	HTTP hostfuncs.HTTPOptions
	// Limits bounds what each instance may use; zero fields are defaults.
	Limits Limits
	// Cache is where compiled code is kept; nil makes a cache private to
	// the module in CacheDir.
	Cache *Cache
	// CacheDir is the on-disk compilation cache used when Cache is nil
	// (default [DefaultCacheDir]). NoCache keeps compiled code in memory.
	CacheDir string
	NoCache  bool
	// Logger receives the guest's logs, its stdout and stderr, and the
	// host's refusals, under the attribute module=Name (default: discard).
	Logger *slog.Logger
	// Isolation chooses between pooled instances (the default) and a
	// fresh instance per fetch; see [Isolation].
	Isolation Isolation
}

// Request names the secret a call fetches.
type Request struct {
	Name    string
	Key     string // dot-joined key path, passed to the guest for information
	Version string
}

// Module is a compiled, checked module with a pool of initialised
// instances, ready to serve fetches. It is safe for concurrent use; each
// instance serves one call at a time.
type Module struct {
	name     string
	info     ModuleInfo
	limits   Limits
	config   []byte
	log      *slog.Logger
	http     *egress.Client
	redact   func([]byte) []byte // nil: nothing to redact from errors
	rt       wazero.Runtime
	cm       wazero.CompiledModule
	ownCache *Cache

	isolation Isolation
	// canVersion: the module exports latchkey_version.
	canVersion bool
	// onDiscard, set by tests, sees an instance's memory after it was
	// overwritten and before it is closed.
	onDiscard func(mem []byte)

	sem    chan struct{}
	mu     sync.Mutex
	idle   []*instance
	closed atomic.Bool
	stats  stats
}

// ModuleInfo is what a loaded module reports about itself.
type ModuleInfo struct {
	Path     string // "" when loaded from bytes
	Size     int
	SHA256   string
	Unpinned bool
	CacheDir string // "" for an in-memory cache
	// Capabilities is what the module declares in its capability section;
	// nil when it has none.
	Capabilities *Capabilities
}

// Load reads the module at path and loads it as [LoadBytes] does.
func Load(ctx context.Context, path string, opts Options) (*Module, error) {
	// Non-blocking and fstat'ed: a FIFO or device at the module path is
	// refused at once instead of hanging the build (and a reload).
	f, _, err := safefile.Open(path, safefile.Options{})
	if err != nil {
		return nil, &Error{Module: opts.Name, Op: "load", Err: err, Kind: secret.ErrInvalidConfig}
	}
	defer f.Close()
	wasm, err := io.ReadAll(io.LimitReader(f, maxModuleSize+1))
	if err == nil && len(wasm) > maxModuleSize {
		err = fmt.Errorf("%s is larger than %d MiB", path, maxModuleSize>>20)
	}
	if err != nil {
		return nil, &Error{Module: opts.Name, Op: "load", Err: err, Kind: secret.ErrInvalidConfig}
	}
	m, err := LoadBytes(ctx, wasm, opts)
	if m != nil {
		m.info.Path = path
	}
	return m, err
}

// LoadBytes checks wasm against its pin, compiles it (or loads it from
// the cache), and checks its imports, exports and ABI version. It starts
// no instance: the first fetch does, or [Module.Warm].
func LoadBytes(ctx context.Context, wasm []byte, opts Options) (*Module, error) {
	fail := func(err error) (*Module, error) {
		return nil, &Error{Module: opts.Name, Op: "load", Err: err, Kind: secret.ErrInvalidConfig}
	}
	info, err := checkDigest(wasm, opts)
	if err != nil {
		return fail(err)
	}
	config, limits, err := checkOptions(wasm, opts)
	if err != nil {
		return fail(err)
	}
	client, err := egress.NewClient(opts.HTTP)
	if err != nil {
		return fail(err)
	}
	m := newModule(opts, limits, config, client)
	cache := opts.Cache
	if cache == nil {
		if cache, err = openCache(opts); err != nil {
			return fail(err)
		}
		m.ownCache = cache
	}
	info.CacheDir = cache.dir
	m.info = info
	if err := m.compile(ctx, wasm, cache); err != nil {
		m.closeRuntime(ctx)
		return fail(err)
	}
	return m, nil
}

// checkDigest hashes wasm and checks it against opts.SHA256, or that
// opts allows an unpinned module. The ModuleInfo it returns carries the
// size, the digest and whether the module is unpinned.
func checkDigest(wasm []byte, opts Options) (ModuleInfo, error) {
	sum := sha256.Sum256(wasm)
	digest := hex.EncodeToString(sum[:])
	info := ModuleInfo{Size: len(wasm), SHA256: digest}
	if err := CheckPin(opts.SHA256); err != nil {
		return info, err
	}
	switch pin := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(opts.SHA256), "sha256:")); {
	case pin == "" && !opts.AllowUnpinned:
		return info, fmt.Errorf("%w: set sha256 to %s (or allow_unpinned: true)", ErrUnpinned, digest)
	case pin == "":
		info.Unpinned = true
	case pin != digest:
		return info, fmt.Errorf("%w: pinned %s, file has %s", ErrDigestMismatch, pin, digest)
	}
	return info, nil
}

// checkOptions validates the module's JSON config, its isolation and its
// limits (against what the module's memory declares), and returns the
// config ("{}" when empty) and the limits with defaults filled in.
func checkOptions(wasm []byte, opts Options) ([]byte, Limits, error) {
	config := opts.Config
	if len(bytes.TrimSpace(config)) == 0 {
		config = []byte("{}")
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(config, &obj); err != nil {
		return nil, Limits{}, fmt.Errorf("config is not a JSON object: %w", err)
	}
	if opts.Isolation != IsolationPooled && opts.Isolation != IsolationPerCall {
		return nil, Limits{}, fmt.Errorf("unknown isolation %v", opts.Isolation)
	}
	limits := opts.Limits.withDefaults()
	if limits.MemoryPages > 65536 {
		return nil, Limits{}, fmt.Errorf("memory limit of %d pages exceeds the 65536 pages of a 32-bit memory", limits.MemoryPages)
	}
	if p := memoryProblem(wasm, limits.MemoryPages); p != "" {
		return nil, Limits{}, fmt.Errorf("%w: the module %s", ErrIncompatible, p)
	}
	if len(config) > limits.MaxInput {
		return nil, Limits{}, fmt.Errorf("config of %d bytes exceeds the input limit of %d bytes", len(config), limits.MaxInput)
	}
	return config, limits, nil
}

// newModule builds the Module's fields that need no runtime: its logger
// (through the credentials' redactor when there is one), its egress client
// and its instance semaphore.
func newModule(opts Options, limits Limits, config []byte, client *egress.Client) *Module {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.HTTP.Redact != nil {
		// Every line the module's log gets — the host's refusals, the
		// guest's log, its stdout and stderr — passes the credentials'
		// redactor, whoever wrote it.
		log = slog.New(redact.LogHandler(log.Handler(), opts.HTTP.Redact))
	}
	return &Module{
		name:   opts.Name,
		redact: opts.HTTP.Redact,
		limits: limits,
		config: config,
		log:    log.With("module", opts.Name),
		http:   client,
		sem:    make(chan struct{}, limits.MaxInstances),

		isolation: opts.Isolation,
	}
}

// openCache opens the compilation cache that opts names when it gives no
// shared Cache: opts.CacheDir, the default directory, or none with NoCache.
func openCache(opts Options) (*Cache, error) {
	dir := opts.CacheDir
	if dir == "" && !opts.NoCache {
		var err error
		if dir, err = DefaultCacheDir(); err != nil {
			return nil, err
		}
	}
	if opts.NoCache {
		dir = ""
	}
	return NewCache(dir)
}

// compile creates m's runtime over cache, compiles wasm, and checks its
// imports, exports and declared capabilities. The caller closes the
// runtime when compile fails.
func (m *Module) compile(ctx context.Context, wasm []byte, cache *Cache) error {
	m.rt = wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().
		WithCloseOnContextDone(true).
		WithMemoryLimitPages(m.limits.MemoryPages).
		WithCompilationCache(cache.c))
	provided, err := provide(ctx, m.rt)
	if err != nil {
		return err
	}
	if m.cm, err = m.rt.CompileModule(ctx, wasm); err != nil {
		return fmt.Errorf("%w: not a valid Wasm module: %v", ErrIncompatible, err)
	}
	if problems := check(m.cm, provided); len(problems) > 0 {
		return fmt.Errorf("%w: the module %s", ErrIncompatible, strings.Join(problems, "; it "))
	}
	// After compiling, which checked the binary's framing: a capability
	// problem is then about the section itself.
	caps, err := ParseCapabilities(wasm)
	if err == nil {
		err = checkCapabilities(caps, m.config, m.http.CheckURL)
		if err != nil {
			err = fmt.Errorf("%w: the module %w", ErrUndeclaredPolicy, err)
		}
	}
	if err != nil {
		return err
	}
	m.info.Capabilities = caps
	_, m.canVersion = m.cm.ExportedFunctions()[ExportVersion]
	return nil
}

// Name returns the module's name.
func (m *Module) Name() string { return m.name }

// Info reports the module's digest, size, pin and cache.
func (m *Module) Info() ModuleInfo { return m.info }

// Warm starts instances until n are idle (at most the instance limit), so
// that the next fetches do not pay for _initialize. With
// [IsolationPerCall] it does nothing: no instance is kept.
func (m *Module) Warm(ctx context.Context, n int) error {
	if m.isolation == IsolationPerCall {
		return nil
	}
	n = min(n, m.limits.MaxInstances)
	var got []*instance
	defer func() {
		for _, in := range got {
			m.release(in, true)
		}
	}()
	for range n {
		in, err := m.acquire(ctx, getOp("(warm-up)"))
		if err != nil {
			return err
		}
		got = append(got, in)
	}
	return nil
}

// Result is what one guest call answered. As [io.Reader.Read] returns n
// with err, [Module.Get] and [Module.Version] return a Result beside an
// error too: Value and Version are then empty, but Outbound still lists
// the requests the module made (the refused ones are often why it failed).
type Result struct {
	// Value is the secret latchkey_get returned; empty for
	// [Module.Version].
	Value secret.Value
	// Version is the version the guest recorded for the value with
	// version_set (ABI 1.1), or the one latchkey_version returned: it
	// passed the checks of [ErrBadVersion]. "" when the guest recorded
	// none.
	Version string
	// Outbound lists the requests the module made through the host during
	// the call, refused ones included, and the exchanges of brokered
	// credentials they needed, in order: what an audit trail records of
	// the call (never a query, a header value or a body).
	Outbound []secret.Outbound
}

// Get fetches one secret through a pooled instance. Errors are [*Error]s
// naming the module and the secret; a guest's typed error is a
// [*GuestError] inside, and every error wraps a sentinel of package secret
// (and ctx's error when ctx ended). The version the guest recorded for the
// value (version_set, ABI 1.1), if any, is the Result's; one that holds
// the value or a bound credential fails the fetch with an error wrapping
// [ErrBadVersion] (see checkVersion).
func (m *Module) Get(ctx context.Context, req Request) (Result, error) {
	out, ver, outbound, err := m.call(ctx, req, false)
	res := Result{Outbound: outbound}
	if err != nil {
		return res, err
	}
	if ver != "" {
		if err := m.checkVersion(ver, out); err != nil {
			clear(out)
			return res, m.versionError(getOp(req.Name), "version_set", err)
		}
	}
	res.Value, res.Version = secret.NewValue(out), ver
	return res, nil
}

// CanVersion reports whether the module exports latchkey_version (ABI
// 1.1), so that [Module.Version] can answer.
func (m *Module) CanVersion() bool { return m.canVersion }

// ErrNoVersion: the module does not export latchkey_version; only a fetch
// tells whether its secret changed. It wraps [errors.ErrUnsupported].
var ErrNoVersion = fmt.Errorf("module does not export %s: %w", ExportVersion, errors.ErrUnsupported)

// Version asks the module's latchkey_version export for the current
// version of req's secret, without its payload: an opaque string of 1 to
// 256 bytes of printable ASCII that changes when the value changes, and
// holds no bound credential (else the probe fails with [ErrBadVersion]).
// It runs under the same limits, network policy, credentials and request budget as a
// fetch. A module without the export answers an error wrapping
// [ErrNoVersion]; a missing secret is an error wrapping
// [secret.ErrNotFound].
//
// The version is the Result's Version; its Value is empty.
func (m *Module) Version(ctx context.Context, req Request) (Result, error) {
	if !m.canVersion {
		return Result{}, &Error{Module: m.name, Op: versionOp(req.Name), Err: ErrNoVersion, Kind: secret.ErrUnavailable}
	}
	out, _, outbound, err := m.call(ctx, req, true)
	res := Result{Outbound: outbound}
	if err != nil {
		return res, err
	}
	v := string(out)
	if err := m.checkVersion(v, nil); err != nil {
		return res, m.versionError(versionOp(req.Name), ExportVersion, err)
	}
	res.Version = v
	return res, nil
}

// call runs one guest call: latchkey_get, or latchkey_version when
// version. It returns the result, the version recorded with it and the
// requests made during the call (also beside an error).
func (m *Module) call(ctx context.Context, req Request, version bool) (_ []byte, _ string, outbound []secret.Outbound, _ error) {
	op, export := getOp(req.Name), ExportGet
	if version {
		op, export = versionOp(req.Name), ExportVersion
	}
	fail := func(kind, err error) ([]byte, string, []secret.Outbound, error) {
		return nil, "", outbound, &Error{Module: m.name, Op: op, Err: m.scrub(err), Kind: kind}
	}
	if kind, err := m.admit(ctx, req); err != nil {
		return fail(kind, err)
	}
	in, err := m.acquire(ctx, op)
	if err != nil {
		return nil, "", nil, m.scrub(err)
	}
	fn := in.get
	if version {
		fn = in.ver
	}
	call := m.newCall(in, req, version)
	// The caller's deadline is often the sooner one; a context of the
	// call's own (one more timer, and a child to register with ctx) is
	// needed only when it is not. Either way a deadline is armed, and ctx's
	// end is reported as such below. cctx stays live until call returns:
	// explain reads whether its deadline passed.
	cctx := ctx
	if dl, ok := ctx.Deadline(); !ok || time.Until(dl) > m.limits.CallTimeout {
		var cancel context.CancelFunc
		cctx, cancel = context.WithTimeout(ctx, m.limits.CallTimeout)
		defer cancel()
	}
	in.out.begin()
	var stack [1]uint64
	err = fn.CallWithStack(hostfuncs.WithCall(cctx, call), stack[:])
	in.out.end()
	call.Finish()
	outbound = call.Outbound()
	m.finishCall(ctx, in, call, err == nil, version)
	out, ver, kind, err := m.outcome(ctx, cctx, call, err, stack[0], export)
	if err != nil {
		return fail(kind, err)
	}
	return out, ver, outbound, nil
}

// admit refuses a call before it takes an instance: the module is closed,
// ctx is done, or the request exceeds the input limit. It returns the
// refusal's kind and error.
func (m *Module) admit(ctx context.Context, req Request) (kind, err error) {
	if m.closed.Load() {
		return secret.ErrUnavailable, ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return secret.ErrUnavailable, err
	}
	if n := len(m.config) + len(req.Name) + len(req.Key) + len(req.Version); n > m.limits.MaxInput {
		return secret.ErrInvalidConfig, fmt.Errorf("request of %d bytes exceeds the input limit of %d bytes", n, m.limits.MaxInput)
	}
	return nil, nil
}

// newCall builds the host functions' state of one call of in for req.
func (m *Module) newCall(in *instance, req Request, version bool) *hostfuncs.Call {
	call := &hostfuncs.Call{
		Module:      m.name,
		Input:       hostfuncs.Input{Config: m.config, Name: req.Name, Key: req.Key, Version: req.Version},
		Limits:      hostfuncs.CallLimits{MaxResult: m.limits.MaxOutput, MaxLog: m.limits.MaxLog},
		HTTP:        m.http,
		VersionCall: version,
	}
	// What the guest logs or prints is held until the call ends, so that
	// the secret it returns can be blanked out of it.
	call.Logger = in.log
	in.out.log = in.log
	return call
}

// finishCall flushes the guest's held log, with the secret it returned
// blanked out, and gives in back to the pool: healthy (the guest returned
// without a fault) and not grown past the recycling threshold, or to be
// discarded.
func (m *Module) finishCall(ctx context.Context, in *instance, call *hostfuncs.Call, returned, version bool) {
	result, _ := call.Result()
	if version {
		result = nil // a version is no secret: nothing to blank out
	}
	in.clog.flush(ctx, result)
	if call.LogDropped() > 0 {
		m.log.Warn("guest log over the per-call cap was dropped", "bytes", call.LogDropped())
	}
	healthy := returned && call.Fault() == nil
	if healthy && in.mod.Memory().Size() > m.limits.RecycleMemory {
		m.log.Debug("recycling an instance whose memory grew past the threshold",
			"bytes", in.mod.Memory().Size(), "threshold", m.limits.RecycleMemory)
		m.stats.recycled.Add(1)
		m.release(in, false)
	} else {
		m.release(in, healthy)
	}
}

// outcome reads what a finished call produced: its result and version, or
// the kind and error of its failure. err is what the call of export
// returned, status the status it returned; cctx is the call's context.
func (m *Module) outcome(ctx, cctx context.Context, call *hostfuncs.Call, err error, status uint64, export string) (_ []byte, _ string, kind, _ error) {
	// ctx's end wins over whatever the guest made of it.
	if ctxErr := ctx.Err(); ctxErr != nil {
		return nil, "", secret.ErrUnavailable, ctxErr
	}
	if err != nil {
		return nil, "", secret.ErrUnavailable, m.explain(err, cctx)
	}
	if f := call.Fault(); f != nil {
		return nil, "", secret.ErrUnavailable, fmt.Errorf("%w: %v (instance discarded)", ErrCrashed, f)
	}
	if code, msg, ok := call.GuestError(); ok {
		ge := &GuestError{Code: code, Msg: msg}
		if r := call.Refusal(); r != "" && !strings.Contains(msg, r) {
			ge.Msg += " (host refused: " + r + ")"
		}
		return nil, "", codeSentinel(code), ge
	}
	if status := api.DecodeI32(status); status != 0 {
		return nil, "", secret.ErrUnavailable, fmt.Errorf("%s returned status %d without an error", export, status)
	}
	out, ok := call.Result()
	if !ok {
		return nil, "", secret.ErrUnavailable, fmt.Errorf("%s returned without setting a result or an error", export)
	}
	m.stats.calls.Add(1)
	ver, _ := call.Version()
	return out, ver, nil, nil
}

func versionOp(name string) string { return "version " + strconv.Quote(name) }

func getOp(name string) string { return "get " + strconv.Quote(name) }

// scrub makes sure no text of err carries a credential: whatever a server
// or the guest sent that reached an error's text is redacted. errors.Is
// and errors.As still see the original chain.
func (m *Module) scrub(err error) error {
	if m.redact == nil || err == nil {
		return err
	}
	msg := err.Error()
	if red := string(m.redact([]byte(msg))); red != msg {
		return &redactedError{msg: red, err: err}
	}
	return err
}

// redactedError is an error whose text was redacted.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// explain turns an error of a guest call into words: a time-out, an exit
// (a Go guest's fatal error exits), or a trap.
func (m *Module) explain(err error, cctx context.Context) error {
	m.stats.crashed.Add(1)
	if errors.Is(cctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%w: the call ran past its time limit of %v and was interrupted: %w",
			ErrCrashed, m.limits.CallTimeout, context.DeadlineExceeded)
	}
	return fmt.Errorf("%w: %s (instance discarded; its stderr, if any, is in the log)", ErrCrashed, firstLine(err.Error()))
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// Close closes the module's instances, runtime and private cache. Calls in
// flight fail; no call may start after Close.
func (m *Module) Close(ctx context.Context) error {
	if m.closed.Swap(true) {
		return nil
	}
	m.mu.Lock()
	idle := m.idle
	m.idle = nil
	m.mu.Unlock()
	for _, in := range idle {
		m.discard(in)
	}
	m.http.Close()
	return m.closeRuntime(ctx)
}

func (m *Module) closeRuntime(ctx context.Context) error {
	err := m.rt.Close(ctx)
	if m.ownCache != nil {
		err = errors.Join(err, m.ownCache.Close(ctx))
	}
	return err
}
