package runtime

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	goruntime "runtime"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/latchkey/latchkey/secret"
)

// instance is one initialised module instance. It serves one call at a
// time and is discarded, never reused, once a call fails.
type instance struct {
	mod api.Module
	get api.Function
	ver api.Function // nil: the module does not export latchkey_version
	out *output
	// clog holds what the guest says during a call (see callLog), and log
	// writes to it; both are made once, since an instance serves one call
	// at a time.
	clog *callLog
	log  *slog.Logger
}

type stats struct {
	created, crashed, recycled, calls atomic.Int64
}

// Stats counts what a module's pool did. It is the shape a store reports
// in its description ([secret.Description.Pool]), so a store built on a
// Module hands its Stats on as they are.
type Stats = secret.PoolStats

// Stats returns the pool's counters.
func (m *Module) Stats() Stats {
	m.mu.Lock()
	idle := len(m.idle)
	var mem uint64
	for _, in := range m.idle {
		mem += uint64(in.mod.Memory().Size())
	}
	m.mu.Unlock()
	return Stats{Created: m.stats.created.Load(), Crashed: m.stats.crashed.Load(),
		Recycled: m.stats.recycled.Load(), Calls: m.stats.calls.Load(), Idle: idle, IdleMemory: mem}
}

// acquire takes an idle instance or starts one, waiting while
// MaxInstances are busy. op names the call in errors.
func (m *Module) acquire(ctx context.Context, op string) (*instance, error) {
	select {
	case m.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, &Error{Module: m.name, Op: op, Err: fmt.Errorf("waiting for a free instance: %w", ctx.Err()), Kind: secret.ErrUnavailable}
	}
	m.mu.Lock()
	if n := len(m.idle); n > 0 {
		in := m.idle[n-1]
		m.idle = m.idle[:n-1]
		m.mu.Unlock()
		return in, nil
	}
	m.mu.Unlock()
	in, err := m.start(ctx)
	if err != nil {
		<-m.sem
		return nil, &Error{Module: m.name, Op: op, Err: err, Kind: secret.ErrUnavailable}
	}
	return in, nil
}

// release returns a healthy instance to the pool, unless the module
// isolates calls, and discards any other.
func (m *Module) release(in *instance, healthy bool) {
	defer func() { <-m.sem }()
	if healthy && m.isolation == IsolationPooled && !m.closed.Load() {
		m.mu.Lock()
		if !m.closed.Load() {
			m.idle = append(m.idle, in)
			m.mu.Unlock()
			return
		}
		m.mu.Unlock()
	}
	m.discard(in)
}

// start instantiates the module and runs its _initialize.
func (m *Module) start(ctx context.Context) (*instance, error) {
	if m.closed.Load() {
		return nil, ErrClosed
	}
	out := &output{log: m.log, limit: m.limits.MaxStdout}
	cfg := wazero.NewModuleConfig().
		WithName(""). // anonymous: one compiled module, many instances
		WithStartFunctions().
		WithSysWalltime().
		WithSysNanotime().
		WithNanosleep(cappedSleep).
		WithOsyield(goruntime.Gosched).
		WithRandSource(rand.Reader).
		WithStdout(out.stream("stdout")).
		WithStderr(out.stream("stderr"))
	// No args, environment, filesystem or stdin: their defaults are empty.
	ictx, cancel := context.WithTimeout(ctx, m.limits.InitTimeout)
	defer cancel()
	out.begin()
	defer out.end()
	mod, err := m.rt.InstantiateModule(ictx, m.cm, cfg)
	if err != nil {
		return nil, fmt.Errorf("%w: instantiate: %s", ErrCrashed, firstLine(err.Error()))
	}
	if init := mod.ExportedFunction(ExportInitialize); init != nil {
		if _, err := init.Call(ictx); err != nil {
			m.discard(&instance{mod: mod})
			m.stats.crashed.Add(1)
			if ctx.Err() != nil {
				return nil, fmt.Errorf("%s: %w", ExportInitialize, ctx.Err())
			}
			if ictx.Err() != nil {
				return nil, fmt.Errorf("%w: %s ran past its time limit of %v", ErrCrashed, ExportInitialize, m.limits.InitTimeout)
			}
			return nil, fmt.Errorf("%w: %s failed: %s", ErrCrashed, ExportInitialize, firstLine(err.Error()))
		}
	}
	m.stats.created.Add(1)
	in := &instance{mod: mod, get: mod.ExportedFunction(ExportGet), ver: mod.ExportedFunction(ExportVersion), out: out, clog: newCallLog(m.log.Handler())}
	in.log = slog.New(in.clog)
	return in, nil
}

// cappedSleep serves the guest's sleeps (poll_oneoff) in slices of at most
// 50 ms: between slices the guest runs again, so that a deadline can
// interrupt a guest that asked to sleep for an hour.
func cappedSleep(ns int64) {
	time.Sleep(time.Duration(min(ns, int64(50*time.Millisecond))))
}

// output routes an instance's stdout and stderr into the logger, line by
// line, under a byte cap per call.
type output struct {
	log     *slog.Logger
	limit   int
	used    int
	dropped int
	streams []*stream
}

func (o *output) begin() { o.used, o.dropped = 0, 0 }

func (o *output) end() {
	for _, s := range o.streams {
		s.flush()
	}
	if o.dropped > 0 {
		o.log.Warn("guest output over the per-call cap was dropped", "bytes", o.dropped)
	}
}

func (o *output) stream(name string) *stream {
	s := &stream{o: o, name: name}
	o.streams = append(o.streams, s)
	return s
}

type stream struct {
	o    *output
	name string
	line []byte
}

// Write logs complete lines, keeping at most the cap per call.
func (s *stream) Write(p []byte) (int, error) {
	n := len(p)
	keep := min(len(p), max(s.o.limit-s.o.used, 0))
	s.o.dropped += len(p) - keep
	s.o.used += keep
	p = p[:keep]
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			s.line = append(s.line, p...)
			if len(s.line) >= s.o.limit {
				s.flush()
			}
			break
		}
		s.line = append(s.line, p[:i]...)
		s.flush()
		p = p[i+1:]
	}
	if s.o.used >= s.o.limit {
		s.flush()
	}
	return n, nil
}

func (s *stream) flush() {
	if len(s.line) == 0 {
		return
	}
	s.o.log.Info(string(bytes.ToValidUTF8(s.line, []byte("?"))), "stream", s.name)
	s.line = s.line[:0]
}
