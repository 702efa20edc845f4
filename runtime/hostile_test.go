package runtime_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	goruntime "runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchkey/latchkey/hostfuncs"
	"github.com/latchkey/latchkey/internal/logbuf"
	w "github.com/latchkey/latchkey/internal/wasmtest"
	lkruntime "github.com/latchkey/latchkey/runtime"
	"github.com/latchkey/latchkey/secret"
)

// loadBytes loads an assembled module, unpinned, with the shared cache.
func loadBytes(t *testing.T, name string, wasm []byte, opts lkruntime.Options) (*lkruntime.Module, error) {
	t.Helper()
	opts.Name, opts.AllowUnpinned, opts.Cache = name, true, sharedCache
	m, err := lkruntime.LoadBytes(context.Background(), wasm, opts)
	if err == nil {
		t.Cleanup(func() { m.Close(context.Background()) })
	}
	return m, err
}

// stillServes checks that the host serves other fetches, from the same
// module when good is nil or from good otherwise.
func stillServes(t *testing.T, m *lkruntime.Module, req string, want string) {
	t.Helper()
	v, err := m.Get(context.Background(), lkruntime.Request{Name: req})
	if err != nil || v.Value.RevealString() != want {
		t.Fatalf("after the hostile call, Get(%q) = %q, %v; want %q", req, v.Value.RevealString(), err, want)
	}
}

// hostileCase is one misbehaviour of a guest: the request that triggers it,
// the limits it runs under, the errors it must wrap, text its error and log
// must hold, and whether the instance must be discarded.
type hostileCase struct {
	name    string
	req     string
	limits  lkruntime.Limits
	want    []error
	msg     string
	log     []string
	crashed bool
}

// runHostile loads the guest at path as module name for each case, warms an
// instance, makes the hostile call and checks that it fails with an error
// naming the module, that neither the error nor the log holds the guest's
// "secret-looking" panic text, and that the module then serves a good
// request (from a fresh instance when the case crashed).
func runHostile(t *testing.T, path, name string, tests []hostileCase) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			logs := &logbuf.Buffer{}
			m := load(t, path, lkruntime.Options{Name: name, Limits: tc.limits, Logger: logs.Logger()})
			stillServes(t, m, "value:ok", "ok") // an instance is warm before the hostile call
			start := time.Now()
			_, err := m.Get(context.Background(), lkruntime.Request{Name: tc.req})
			if err == nil {
				t.Fatal("hostile call succeeded")
			}
			for _, want := range tc.want {
				if !errors.Is(err, want) {
					t.Errorf("error does not wrap %v: %v", want, err)
				}
			}
			mustContain(t, "error", err.Error(), fmt.Sprintf("wasm module %q", name), tc.msg)
			mustContain(t, "log", logs.String(), tc.log...)
			if strings.Contains(err.Error()+logs.String(), "secret-looking") {
				t.Errorf("a panic's message reached the error or the log:\n%v\n%s", err, logs)
			}
			if took := time.Since(start); took > 20*time.Second {
				t.Errorf("containment took %v", took)
			}
			before := m.Stats()
			stillServes(t, m, "value:again", "again")
			if after := m.Stats(); tc.crashed && after.Created != before.Created+1 {
				t.Errorf("the crashed instance was reused (created %d → %d)", before.Created, after.Created)
			}
		})
	}
}

// TestHostileGoGuest runs the misbehaviours of a Go guest: each fails with
// an error naming the module, discards the instance, and the module then
// serves a good request from a fresh instance.
func TestHostileGoGuest(t *testing.T) {
	runHostile(t, behave(t), "hostile-go", []hostileCase{
		{name: "infinite loop", req: "spin", limits: lkruntime.Limits{CallTimeout: 300 * time.Millisecond},
			want: []error{context.DeadlineExceeded, lkruntime.ErrCrashed, secret.ErrUnavailable}, msg: "time limit of 300ms", crashed: true},
		{name: "sleep for an hour", req: "sleep", limits: lkruntime.Limits{CallTimeout: 300 * time.Millisecond},
			want: []error{context.DeadlineExceeded, lkruntime.ErrCrashed}, msg: "time limit", crashed: true},
		{name: "out of memory", req: "oom", limits: lkruntime.Limits{MemoryPages: 512},
			want: []error{lkruntime.ErrCrashed, secret.ErrUnavailable}, msg: "instance crashed",
			log: []string{"module=hostile-go", "stream=stderr", "out of memory"}, crashed: true},
		{name: "result over the cap", req: "big:2000000", limits: lkruntime.Limits{MaxOutput: 1 << 20},
			want: []error{lkruntime.ErrCrashed}, msg: "exceeds the limit of 1048576 bytes"},
		{name: "panic", req: "panic",
			want: []error{secret.ErrUnavailable}, msg: "handler panicked"},
		{name: "input over the cap", req: "value:" + strings.Repeat("x", 100), limits: lkruntime.Limits{MaxInput: 64},
			want: []error{secret.ErrInvalidConfig}, msg: "input limit"},
	})
}

// TestCallerDeadlineInterrupts checks that a caller's deadline sooner than
// the module's time limit interrupts a spinning guest by itself.
func TestCallerDeadlineInterrupts(t *testing.T) {
	m := load(t, behave(t), lkruntime.Options{Name: "spinner"}) // default time limit: 10 s
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := m.Get(ctx, lkruntime.Request{Name: "spin"})
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, secret.ErrUnavailable) {
		t.Fatalf("want the caller's deadline: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the spinning guest ran %v past a 300ms deadline", d)
	}
	if s := m.Stats(); s.Idle != 0 {
		t.Errorf("the interrupted instance must be discarded: %+v", s)
	}
	stillServes(t, m, "value:after", "after")
}

func TestRecycleAndOutput(t *testing.T) {
	logs := &logbuf.Buffer{}
	m := load(t, behave(t), lkruntime.Options{Name: "noisy", Logger: logs.Logger(),
		Limits: lkruntime.Limits{RecycleMemory: 24 << 20}})
	stillServes(t, m, "grow:30", "grown")
	if s := m.Stats(); s.Recycled != 1 || s.Idle != 0 {
		t.Errorf("an instance past the memory threshold must be recycled: %+v", s)
	}
	// A megabyte to stdout: logged up to the cap, under the module's name.
	stillServes(t, m, "stdout:1048576", "written")
	stillServes(t, m, "log:hello", "logged")
	out := logs.String()
	if len(out) > 64<<10 {
		t.Errorf("a megabyte of stdout produced %d bytes of log", len(out))
	}
	mustContain(t, "log", out, "module=noisy", "stream=stdout", "over the per-call cap was dropped", "guest says hello")
}

// TestHostileAssembled runs hand-assembled modules that Go cannot produce.
func TestHostileAssembled(t *testing.T) {
	loop := w.Guest(w.Code(w.Loop, w.Br(0), w.End, w.I32Const(0)))
	// Grow memory one page at a time until memory.grow fails, then
	// return the number of pages reached.
	grow := w.Guest(w.Code(
		w.Loop, w.I32Const(1), w.MemoryGrow, w.I32Const(-1), w.I32Ne, w.BrIf(0), w.End,
		w.I32Const(0), w.MemorySize, w.I32Store(0),
		w.I32Const(0), w.I32Const(4), w.Call(w.FnResultSet), w.Drop, w.I32Const(0)))
	tests := []struct {
		name   string
		mod    w.Module
		limits lkruntime.Limits
		check  func(t *testing.T, v secret.Value, err error, m *lkruntime.Module)
	}{
		{"infinite loop", loop, lkruntime.Limits{CallTimeout: 200 * time.Millisecond},
			func(t *testing.T, _ secret.Value, err error, m *lkruntime.Module) {
				if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, lkruntime.ErrCrashed) {
					t.Fatalf("want a time-out: %v", err)
				}
				if s := m.Stats(); s.Idle != 0 || s.Crashed != 1 {
					t.Errorf("the interrupted instance must be discarded: %+v", s)
				}
			}},
		{"memory growth to the cap", grow, lkruntime.Limits{MemoryPages: 40, RecycleMemory: 1 << 20},
			func(t *testing.T, v secret.Value, err error, m *lkruntime.Module) {
				if err != nil {
					t.Fatal(err)
				}
				if pages := binary.LittleEndian.Uint32(v.Reveal()); pages != 40 {
					t.Errorf("memory grew to %d pages, the cap is 40", pages)
				}
				if s := m.Stats(); s.Recycled != 1 || s.Idle != 0 {
					t.Errorf("a grown instance must be recycled: %+v", s)
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := loadBytes(t, "hostile-asm", tc.mod.Encode(), lkruntime.Options{Limits: tc.limits})
			if err != nil {
				t.Fatal(err)
			}
			v, err := m.Get(context.Background(), lkruntime.Request{Name: "x"})
			if err != nil {
				mustContain(t, "error", err.Error(), `"hostile-asm"`)
			}
			tc.check(t, v.Value, err, m)
		})
	}
}

// TestWildPointers passes out-of-range pointers and lengths to every host
// function; each must answer StatusMemory (or the documented status), never
// trap or panic, and the instance keeps serving.
func TestWildPointers(t *testing.T) {
	calls := []struct {
		name string
		code []byte
		want int32
	}{
		{"input_read far", w.Code(w.I32Const(1), w.I32Const(-16), w.I32Const(16), w.Call(w.FnInputRead)), -1},
		{"input_read straddling", w.Code(w.I32Const(1), w.I32Const(65530), w.I32Const(100), w.Call(w.FnInputRead)), -1},
		{"input_read zero limit", w.Code(w.I32Const(1), w.I32Const(-1), w.I32Const(0), w.Call(w.FnInputRead)), 1},
		{"input_read bad kind", w.Code(w.I32Const(99), w.I32Const(0), w.I32Const(0), w.Call(w.FnInputRead)), -2},
		{"result_set far", w.Code(w.I32Const(-1), w.I32Const(2), w.Call(w.FnResultSet)), -1},
		{"result_set straddling", w.Code(w.I32Const(65500), w.I32Const(100), w.Call(w.FnResultSet)), -1},
		{"error_set far", w.Code(w.I32Const(1), w.I32Const(-256), w.I32Const(300), w.Call(w.FnErrorSet)), -1},
		{"error_set huge length", w.Code(w.I32Const(1), w.I32Const(16), w.I32Const(-1), w.Call(w.FnErrorSet)), -1},
		{"error_set bad code", w.Code(w.I32Const(99), w.I32Const(0), w.I32Const(0), w.Call(w.FnErrorSet)), -2},
		{"log far", w.Code(w.I32Const(0), w.I32Const(65000), w.I32Const(1000), w.Call(w.FnLog)), -1},
		{"http method far", w.Code(w.I32Const(-8), w.I32Const(8), w.I32Const(0), w.I32Const(0),
			w.I32Const(0), w.I32Const(0), w.I32Const(0), w.I32Const(0), w.Call(w.FnHTTPRequest)), -1},
		{"http url far", w.Code(w.I32Const(0), w.I32Const(3), w.I32Const(-65536), w.I32Const(10),
			w.I32Const(0), w.I32Const(0), w.I32Const(0), w.I32Const(0), w.Call(w.FnHTTPRequest)), -1},
		{"http header far", w.Code(w.I32Const(0), w.I32Const(3), w.I32Const(0), w.I32Const(3),
			w.I32Const(65535), w.I32Const(2), w.I32Const(0), w.I32Const(0), w.Call(w.FnHTTPRequest)), -1},
		{"http body far", w.Code(w.I32Const(0), w.I32Const(3), w.I32Const(0), w.I32Const(3),
			w.I32Const(0), w.I32Const(0), w.I32Const(-100), w.I32Const(10), w.Call(w.FnHTTPRequest)), -1},
		{"http_response_read before a request", w.Code(w.I32Const(1), w.I32Const(0), w.I32Const(0), w.Call(w.FnHTTPResponseRead)), -7},
	}
	var body []byte
	for i, c := range calls {
		body = append(body, w.Code(w.I32Const(int32(4*i)), c.code, w.I32Store(0))...)
	}
	body = append(body, w.Code(w.I32Const(0), w.I32Const(int32(4*len(calls))), w.Call(w.FnResultSet), w.Drop, w.I32Const(0))...)
	m, err := loadBytes(t, "wild", w.Guest(body).Encode(), lkruntime.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for round := range 2 {
		v, err := m.Get(context.Background(), lkruntime.Request{Name: "x"})
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		got := v.Value.Reveal()
		for i, c := range calls {
			if status := int32(binary.LittleEndian.Uint32(got[4*i:])); status != c.want {
				t.Errorf("%s: status %d, want %d", c.name, status, c.want)
			}
		}
	}
	if s := m.Stats(); s.Created != 1 {
		t.Errorf("refused host calls must not cost the instance: %+v", s)
	}
}

// TestRefusedAtLoad covers modules the host refuses before running them.
func TestRefusedAtLoad(t *testing.T) {
	guest := func(extra ...w.Import) w.Module {
		m := w.Guest(w.I32Const(0))
		m.Imports = append(m.Imports, extra...)
		return m
	}
	noGet := w.Guest(nil)
	noGet.Funcs = nil
	noMem := w.Guest(w.I32Const(0))
	noMem.NoMemoryExport = true
	badABI := w.Guest(w.I32Const(0))
	badABI.Funcs[1].Export = "latchkey_abi_v2"
	tests := []struct {
		name string
		mod  w.Module
		want []string
	}{
		{"WASI filesystem", guest(w.NewImport("wasi_snapshot_preview1", "path_open", []byte{w.I32, w.I32, w.I32, w.I32, w.I32, w.I64, w.I64, w.I32, w.I32}, []byte{w.I32})),
			[]string{"wasi_snapshot_preview1.path_open", "no filesystem"}},
		{"WASI sockets", guest(w.NewImport("wasi_snapshot_preview1", "sock_accept", []byte{w.I32, w.I32, w.I32}, []byte{w.I32})),
			[]string{"sock_accept"}},
		{"unknown host function", guest(w.NewImport("latchkey_v1", "steal_keys", nil, nil), w.NewImport("env", "abort", nil, nil)),
			[]string{"latchkey_v1.steal_keys", "env.abort"}},
		{"wrong signature", guest(w.NewImport("latchkey_v1", "log", []byte{w.I64}, nil)), []string{"latchkey_v1.log with signature"}},
		{"other ABI", guest(w.NewImport("latchkey_v2", "input_read", []byte{w.I32, w.I32, w.I32}, []byte{w.I32})), []string{"latchkey_v2.input_read", "ABI v1"}},
		{"missing exports", noGet, []string{`"latchkey_get"`, `"latchkey_abi_v1"`}},
		{"memory not exported", noMem, []string{`"memory"`}},
		{"declares ABI v2", badABI, []string{"latchkey_abi_v2", "ABI v1"}},
		{"not wasm", w.Module{}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bin := tc.mod.Encode()
			if tc.name == "not wasm" {
				bin = []byte("\x00asm\x02garbage")
			}
			_, err := loadBytes(t, "refused", bin, lkruntime.Options{})
			if !errors.Is(err, lkruntime.ErrIncompatible) || !errors.Is(err, secret.ErrInvalidConfig) {
				t.Fatalf("want ErrIncompatible: %v", err)
			}
			mustContain(t, "error", err.Error(), append(tc.want, `wasm module "refused"`)...)
			info, ierr := lkruntime.Inspect(context.Background(), bin, lkruntime.Limits{})
			if tc.name != "not wasm" && (ierr != nil || len(info.Problems) == 0) {
				t.Errorf("Inspect must list the problems: %v %+v", ierr, info)
			}
		})
	}
}

func TestTrapInInitialize(t *testing.T) {
	mod := w.Guest(w.I32Const(0))
	mod.Funcs = append(mod.Funcs, w.Func{Export: "_initialize", Body: w.Unreachable})
	m, err := loadBytes(t, "bad-init", mod.Encode(), lkruntime.Options{})
	if err != nil {
		t.Fatal(err)
	}
	good := load(t, behave(t), lkruntime.Options{Name: "good"})
	for range 2 {
		_, err = m.Get(context.Background(), lkruntime.Request{Name: "x"})
		if !errors.Is(err, lkruntime.ErrCrashed) {
			t.Fatalf("want ErrCrashed: %v", err)
		}
		mustContain(t, "error", err.Error(), `"bad-init"`, "_initialize failed", "unreachable")
		stillServes(t, good, "value:fine", "fine")
	}
	if s := m.Stats(); s.Created != 0 || s.Idle != 0 {
		t.Errorf("an instance whose _initialize trapped must never serve: %+v", s)
	}
}

// TestPins checks pinning: a mismatch is refused before compiling (even
// bytes that are not Wasm), and an unpinned module only when allowed.
func TestPins(t *testing.T) {
	ctx := context.Background()
	bin := w.Guest(w.I32Const(0)).Encode()
	info, err := lkruntime.Inspect(ctx, bin, lkruntime.Limits{})
	if err != nil || len(info.Problems) != 0 || len(info.ABIVersions) != 1 || info.ABIVersions[0] != 1 {
		t.Fatalf("Inspect: %+v, %v", info, err)
	}
	tests := []struct {
		name string
		bin  []byte
		opts lkruntime.Options
		want error
		msg  string
	}{
		{"mismatch before compile", []byte("not wasm at all"), lkruntime.Options{SHA256: info.SHA256}, lkruntime.ErrDigestMismatch, info.SHA256},
		{"unpinned refused", bin, lkruntime.Options{}, lkruntime.ErrUnpinned, info.SHA256},
		{"pinned", bin, lkruntime.Options{SHA256: "sha256:" + strings.ToUpper(info.SHA256)}, nil, ""},
		{"unpinned allowed", bin, lkruntime.Options{AllowUnpinned: true}, nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.Name, tc.opts.Cache = "pinned", sharedCache
			m, err := lkruntime.LoadBytes(ctx, tc.bin, tc.opts)
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				if m.Info().Unpinned != tc.opts.AllowUnpinned {
					t.Errorf("Info().Unpinned = %v", m.Info().Unpinned)
				}
				m.Close(ctx)
				return
			}
			if !errors.Is(err, tc.want) || !errors.Is(err, secret.ErrInvalidConfig) {
				t.Fatalf("want %v: %v", tc.want, err)
			}
			mustContain(t, "error", err.Error(), tc.msg)
		})
	}
}

// TestHostileHTTP drives the network policy through a Go guest.
func TestHostileHTTP(t *testing.T) {
	var sawBadHeader sync.Map
	mux := http.NewServeMux()
	mux.HandleFunc("/secret", func(rw http.ResponseWriter, r *http.Request) {
		if r.Close || strings.Contains(r.Host, "evil") {
			sawBadHeader.Store(r.URL.Path, true)
		}
		fmt.Fprint(rw, "net-planted-value")
	})
	mux.HandleFunc("/big", func(rw http.ResponseWriter, r *http.Request) {
		rw.Write(make([]byte, 2<<20))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	_, port, _ := strings.Cut(host, ":")
	mux.HandleFunc("/redirect-out", func(rw http.ResponseWriter, r *http.Request) {
		http.Redirect(rw, r, "http://localhost:"+port+"/secret", http.StatusFound)
	})
	mux.HandleFunc("/redirect-in", func(rw http.ResponseWriter, r *http.Request) {
		http.Redirect(rw, r, "/secret", http.StatusFound)
	})
	mux.HandleFunc("/loop", func(rw http.ResponseWriter, r *http.Request) {
		http.Redirect(rw, r, "/loop", http.StatusFound)
	})

	loopback := lkruntime.Options{}
	loopback.HTTP.AllowedHosts = []string{host}
	loopback.HTTP.AllowHTTP = []string{host}
	loopback.HTTP.AllowPrivateNetworks = true

	viaLocalhost := lkruntime.Options{}
	viaLocalhost.HTTP.AllowedHosts = []string{"localhost:" + port}
	viaLocalhost.HTTP.AllowHTTP = []string{"localhost:" + port}

	metadata := lkruntime.Options{}
	metadata.HTTP.AllowedHosts = []string{"169.254.169.254", "[fd00:ec2::254]", "[::ffff:169.254.169.254]"}
	metadata.HTTP.AllowHTTP = metadata.HTTP.AllowedHosts
	metadata.HTTP.AllowPrivateNetworks = true // metadata stays refused

	tests := []struct {
		name string
		opts lkruntime.Options
		req  string
		want error
		msg  string
	}{
		{"allowed", loopback, "http:" + srv.URL + "/secret", nil, ""},
		{"redirect within the allow list", loopback, "http:" + srv.URL + "/redirect-in", nil, ""},
		{"host not allowed", loopback, "http:https://example.com/x", secret.ErrNotAllowed, "example.com:443 is not in the store's allow list"},
		{"https only", func() lkruntime.Options { o := loopback; o.HTTP.AllowHTTP = nil; return o }(), "http:" + srv.URL + "/secret", secret.ErrNotAllowed, "plain http"},
		{"metadata address", metadata, "http:http://169.254.169.254/latest/meta-data/", secret.ErrNotAllowed, "cloud-metadata"},
		{"metadata IPv6", metadata, "http:http://[fd00:ec2::254]/", secret.ErrNotAllowed, "cloud-metadata"},
		{"metadata IPv4-mapped", metadata, "http:http://[::ffff:169.254.169.254]/", secret.ErrNotAllowed, "cloud-metadata"},
		{"name resolving to loopback", viaLocalhost, "http:http://localhost:" + port + "/secret", secret.ErrNotAllowed, "loopback address"},
		{"redirect to a host not allowed", loopback, "http:" + srv.URL + "/redirect-out", secret.ErrNotAllowed, "redirect to http://localhost:" + port + "/secret"},
		{"redirect loop", loopback, "http:" + srv.URL + "/loop", secret.ErrUnavailable, "more than 3 redirects"},
		{"response over the cap", loopback, "http:" + srv.URL + "/big", secret.ErrUnavailable, "exceeds the limit of 1048576 bytes"},
		{"too many requests", loopback, "http:17:" + srv.URL + "/secret", secret.ErrUnavailable, "more than 16 requests"},
		{"no network configured", lkruntime.Options{}, "http:" + srv.URL + "/secret", secret.ErrNotAllowed, "not in the store's allow list"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			logs := &logbuf.Buffer{}
			tc.opts.Name, tc.opts.Logger = "netguest", logs.Logger()
			m := load(t, behave(t), tc.opts)
			v, err := m.Get(context.Background(), lkruntime.Request{Name: tc.req})
			if tc.want == nil {
				if err != nil || v.Value.RevealString() != "net-planted-value" {
					t.Fatalf("Get = %v", err)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("want %v: %v", tc.want, err)
			}
			mustContain(t, "error", err.Error(), `"netguest"`, tc.msg)
			mustContain(t, "log", logs.String(), "module=netguest", "refused")
			if strings.Contains(err.Error()+logs.String(), "net-planted-value") {
				t.Error("a value reached an error or the log")
			}
			stillServes(t, m, "value:still", "still")
		})
	}
	sawBadHeader.Range(func(k, _ any) bool {
		t.Errorf("%v: the guest's Host or Connection header reached the server", k)
		return true
	})
}

// TestConcurrentHostile mixes good fetches with time-outs on one module.
func TestConcurrentHostile(t *testing.T) {
	m := load(t, behave(t), lkruntime.Options{Name: "mixed",
		Limits: lkruntime.Limits{CallTimeout: 200 * time.Millisecond, MaxInstances: 3}})
	var wg sync.WaitGroup
	for i := range 24 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if i%6 == 0 {
				if _, err := m.Get(ctx, lkruntime.Request{Name: "spin"}); !errors.Is(err, lkruntime.ErrCrashed) {
					t.Errorf("spin: %v", err)
				}
				return
			}
			want := fmt.Sprint("v", i)
			v, err := m.Get(ctx, lkruntime.Request{Name: "value:" + want})
			if err != nil || v.Value.RevealString() != want {
				t.Errorf("goroutine %d: %q, %v", i, v.Value.RevealString(), err)
			}
		}()
	}
	wg.Wait()
	if s := m.Stats(); s.Crashed != 4 || s.Calls != 20 {
		t.Errorf("stats: %+v", s)
	}
}

// TestGuestLogsRedacted checks that a module which logs and prints the
// secret it returns does not put it in the agent's log: what a guest says
// during a call is held until the call ends and the result is blanked out.
func TestGuestLogsRedacted(t *testing.T) {
	logs := &logbuf.Buffer{}
	m := load(t, behave(t), lkruntime.Options{Name: "careless", Logger: logs.Logger()})
	const planted = "careless-planted-secret"
	stillServes(t, m, "leak:"+planted, planted)
	out := logs.String()
	if strings.Contains(out, planted) {
		t.Fatalf("the secret reached the log:\n%s", out)
	}
	mustContain(t, "log", out, "module=careless", "fetched [REDACTED]", "value=[REDACTED]", "stream=stdout")
}

// lineCounter counts log lines and keeps the first few kilobytes.
type lineCounter struct {
	mu    sync.Mutex
	lines int
	head  strings.Builder
}

func (l *lineCounter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines += strings.Count(string(p), "\n")
	if l.head.Len() < 8<<10 {
		l.head.Write(p)
	}
	return len(p), nil
}

// TestRefusalFlood makes one call issue 10^6 requests the host refuses (a
// method no server knows): the call finishes, every attempt counts against
// max_requests, the log gets a bounded number of lines, and the heap stays
// small — sampled with runtime.ReadMemStats while the call runs.
func TestRefusalFlood(t *testing.T) {
	const attempts = 1_000_000
	flood := w.Guest(w.Code(
		w.Loop,
		w.I32Const(0), w.I32Const(4), w.I32Const(0), w.I32Const(4),
		w.I32Const(0), w.I32Const(0), w.I32Const(0), w.I32Const(0),
		w.Call(w.FnHTTPRequest), w.Drop,
		w.LocalGet(0), w.I32Const(1), w.I32Add, w.LocalSet(0),
		w.LocalGet(0), w.I32Const(attempts), w.I32LtU, w.BrIf(0),
		w.End,
		w.I32Const(0), w.LocalGet(0), w.I32Store(0),
		w.I32Const(0), w.I32Const(4), w.Call(w.FnResultSet), w.Drop, w.I32Const(0)))
	flood.Funcs[0].Locals = []byte{w.I32}
	tests := []struct {
		name        string
		maxRequests int
	}{
		{"default budget", 0},
		{"budget as large as the flood", attempts},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			logs := &lineCounter{}
			opts := lkruntime.Options{Logger: slog.New(slog.NewTextHandler(logs, nil))}
			opts.HTTP.MaxRequests = tc.maxRequests
			// What is asserted is that the flood ends on its own, with
			// bounded logs and heap, not how fast: 10^6 refusals take about
			// 1.5 s, but ten times that under -race on a busy machine, so
			// the call's limit is set well above the default's 10 s.
			opts.Limits.CallTimeout = 2 * time.Minute
			m, err := loadBytes(t, "flood", flood.Encode(), opts)
			if err != nil {
				t.Fatal(err)
			}
			goruntime.GC()
			var peak atomic.Uint64
			done := make(chan struct{})
			sampled := make(chan struct{})
			go func() {
				defer close(sampled)
				var ms goruntime.MemStats
				for {
					goruntime.ReadMemStats(&ms)
					if ms.HeapAlloc > peak.Load() {
						peak.Store(ms.HeapAlloc)
					}
					select {
					case <-done:
						return
					case <-time.After(10 * time.Millisecond):
					}
				}
			}()
			v, err := m.Get(context.Background(), lkruntime.Request{Name: "x"})
			close(done)
			<-sampled
			if err != nil {
				t.Fatalf("the flooding call did not finish within its time limit: %v", err)
			}
			if n := binary.LittleEndian.Uint32(v.Value.Reveal()); n != attempts {
				t.Fatalf("the guest made %d attempts, want %d", n, attempts)
			}
			if logs.lines > hostfuncs.MaxRefusalLogs+4 {
				t.Errorf("%d log lines for one call:\n%s", logs.lines, logs.head.String())
			}
			mustContain(t, "log", logs.head.String(), "store=flood", "not logged", "suppressed=")
			// The call's outbound list is bounded too: past MaxOutbound
			// requests are counted, not held.
			if len(v.Outbound) == 0 || len(v.Outbound) > hostfuncs.MaxOutbound {
				t.Errorf("%d outbound records for one call, want 1 to %d", len(v.Outbound), hostfuncs.MaxOutbound)
			}
			if tc.maxRequests > hostfuncs.MaxOutbound {
				mustContain(t, "log", logs.head.String(), "unrecorded=")
			}
			if p := peak.Load(); p > 64<<20 {
				t.Errorf("heap peaked at %d MiB during the flood", p>>20)
			}
			t.Logf("%d log lines, heap peak %.1f MiB", logs.lines, float64(peak.Load())/(1<<20))
		})
	}
}

// TestMemoryOverTheCap checks that a module whose declared memory exceeds
// the limit is refused by Load and reported so by Inspect, with the same
// words, and that a smaller one under a larger limit is fine.
func TestMemoryOverTheCap(t *testing.T) {
	big := w.Guest(w.I32Const(0))
	big.MemoryPages = 2000
	bin := big.Encode()
	tests := []struct {
		name   string
		limits lkruntime.Limits
		ok     bool
	}{
		{"default limit", lkruntime.Limits{}, false},
		{"smaller limit", lkruntime.Limits{MemoryPages: 1999}, false},
		{"large enough", lkruntime.Limits{MemoryPages: 2000}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			info, err := lkruntime.Inspect(context.Background(), bin, tc.limits)
			if err != nil {
				t.Fatal(err)
			}
			_, lerr := loadBytes(t, "big-memory", bin, lkruntime.Options{Limits: tc.limits})
			if tc.ok {
				if len(info.Problems) != 0 || lerr != nil {
					t.Fatalf("Inspect %v, Load %v; want both fine", info.Problems, lerr)
				}
				return
			}
			if !errors.Is(lerr, lkruntime.ErrIncompatible) {
				t.Fatalf("Load: %v, want ErrIncompatible", lerr)
			}
			if len(info.Problems) != 1 || !strings.Contains(lerr.Error(), info.Problems[0]) {
				t.Errorf("Inspect says %q; Load says %v", info.Problems, lerr)
			}
			mustContain(t, "problem", strings.Join(info.Problems, ""), "at least 2000 pages", "limits.memory_mib")
		})
	}
}

// TestInitTimeout checks that _initialize runs under Limits.InitTimeout.
func TestInitTimeout(t *testing.T) {
	mod := w.Guest(w.I32Const(0))
	mod.Funcs = append(mod.Funcs, w.Func{Export: "_initialize", Body: w.Code(w.Loop, w.Br(0), w.End)})
	m, err := loadBytes(t, "slow-init", mod.Encode(), lkruntime.Options{Limits: lkruntime.Limits{InitTimeout: 150 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.Get(context.Background(), lkruntime.Request{Name: "x"})
	if !errors.Is(err, lkruntime.ErrCrashed) {
		t.Fatalf("want ErrCrashed: %v", err)
	}
	mustContain(t, "error", err.Error(), "_initialize ran past its time limit of 150ms")
}
