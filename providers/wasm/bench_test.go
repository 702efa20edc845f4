package wasm

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	goruntime "runtime"
	"sync"
	"testing"
	"time"

	w "github.com/latchkey/latchkey/internal/wasmtest"
	"github.com/latchkey/latchkey/providers/wasm/wasmstoretest"
	lkruntime "github.com/latchkey/latchkey/runtime"
	"github.com/latchkey/latchkey/secret"
)

// The benchmarks run side by side against one loopback store:
//
//	go test -run '^$' -bench . -benchtime 2s ./providers/wasm/
//
// NativeHTTP is the baseline that WarmPool is compared with; WarmVsNative
// interleaves the two in one loop and reports the ratio, which a shared
// machine's noise moves much less than either time. Benchmarks with a
// guest run once per build of the http-json store (go, rust).

type benchEnv struct {
	srv  *wasmstoretest.Server
	wasm map[string][]byte // by guest language
	opts lkruntime.Options
}

var (
	benchOnce sync.Once
	bench     benchEnv
)

func setupBench(b *testing.B) *benchEnv { return setupBenchT(b) }

func setupBenchT(b testing.TB) *benchEnv {
	benchOnce.Do(func() {
		// The server outlives any one benchmark: a cleanup of the first
		// caller would stop it for the others.
		bench.srv = wasmstoretest.Start(&noCleanup{TB: b}, map[string][]byte{"db": []byte("bench-planted-value")})
		bench.wasm = map[string][]byte{}
		for _, g := range wasmstoretest.Guests() {
			if g.Lang == "rust" && !w.RustAvailable() {
				continue // its sub-benchmarks skip
			}
			data, err := os.ReadFile(g.Build(b))
			if err != nil {
				b.Fatal(err)
			}
			bench.wasm[g.Lang] = data
		}
		cfg, _ := json.Marshal(map[string]any{"store_url": bench.srv.URL, "header": map[string]string{"Authorization": "Bearer " + bench.srv.Token}})
		bench.opts = lkruntime.Options{AllowUnpinned: true, Config: cfg, Cache: sharedCache}
		bench.opts.HTTP.AllowHTTP = []string{bench.srv.HostPort()}
		bench.opts.HTTP.AllowPrivateNetworks = true
	})
	return &bench
}

// noCleanup drops Cleanup so that the shared server lives for the whole run.
type noCleanup struct{ testing.TB }

func (noCleanup) Cleanup(func()) {}

// guests runs f once per guest language, as a sub-benchmark.
func guests(b *testing.B, f func(b *testing.B, lang string, wasm []byte)) {
	env := setupBench(b)
	for _, g := range wasmstoretest.Guests() {
		b.Run(g.Lang, func(b *testing.B) {
			wasm := env.wasm[g.Lang]
			if wasm == nil {
				b.Skip("not built: " + g.Lang + " toolchain missing")
			}
			f(b, g.Lang, wasm)
		})
	}
}

func newBenchStore(b *testing.B, wasm []byte, opts lkruntime.Options) *Store {
	st, err := NewFromBytes(context.Background(), "bench", wasm, opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return st
}

func get(b *testing.B, st secret.Store) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	v, err := st.Get(ctx, secret.Request{Name: "db"})
	if err != nil || v.Value.Len() != len("bench-planted-value") {
		b.Fatalf("Get: %v", err)
	}
}

// nativeFetcher returns a native Go HTTP fetch of the bench secret.
func nativeFetcher(b *testing.B) func() {
	env := setupBench(b)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.Cleanup(client.CloseIdleConnections)
	req, _ := http.NewRequest("GET", env.srv.URL+"/db", nil)
	req.Header.Set("Authorization", "Bearer "+env.srv.Token)
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		resp, err := client.Do(req.WithContext(ctx))
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if len(body) != len("bench-planted-value") {
			b.Fatal("short body")
		}
	}
}

// (a) A native Go HTTP fetch of the same secret.
func BenchmarkNativeHTTP(b *testing.B) {
	fetch := nativeFetcher(b)
	for b.Loop() {
		fetch()
	}
}

// (b) A fetch through the wasm store with a warm pool and the time-out
// armed; it reports the module's size too.
func BenchmarkWarmPool(b *testing.B) {
	guests(b, func(b *testing.B, _ string, wasm []byte) {
		st := newBenchStore(b, wasm, setupBench(b).opts)
		get(b, st)
		for b.Loop() {
			get(b, st)
		}
		b.ReportMetric(float64(len(wasm))/1000, "module-KB")
	})
}

// (b/a) Warm-pool fetches and native fetches, alternating in one loop: the
// ratio of their total times (x-native) is the guest's and the host's
// overhead, measured under the same machine load.
// The minimal hand-assembled guest runs too: its ratio is the host's
// floor, what no guest language can go under.
func BenchmarkWarmVsNative(b *testing.B) {
	guests(b, func(b *testing.B, _ string, wasm []byte) {
		st := newBenchStore(b, wasm, setupBench(b).opts)
		interleave(b, func() { get(b, st) })
	})
	b.Run("minimal", func(b *testing.B) { interleave(b, minimalGuest(b)) })
}

// interleave alternates fetch with a native fetch and reports the ratio of
// their times.
func interleave(b *testing.B, fetch func()) {
	native := nativeFetcher(b)
	fetch()
	native()
	var tw, tn time.Duration
	for b.Loop() {
		t0 := time.Now()
		fetch()
		t1 := time.Now()
		native()
		tw += t1.Sub(t0)
		tn += time.Since(t1)
	}
	b.ReportMetric(float64(tw)/float64(tn), "x-native")
	b.ReportMetric(float64(tw.Nanoseconds())/float64(b.N), "wasm-ns/fetch")
	b.ReportMetric(float64(tn.Nanoseconds())/float64(b.N), "native-ns/fetch")
}

// (c) A cold fetch: a fresh runtime loads the module, starts an instance and
// fetches, with the on-disk compilation cache and without any cache.
func BenchmarkCold(b *testing.B) {
	guests(b, func(b *testing.B, _ string, wasm []byte) {
		env := setupBench(b)
		cacheDir := w.CacheDir(b)
		// Fill the disk cache once.
		warm := env.opts
		warm.Cache, warm.CacheDir = nil, cacheDir
		st, err := NewFromBytes(context.Background(), "bench", wasm, warm)
		if err != nil {
			b.Fatal(err)
		}
		st.Close()
		for _, tc := range []struct {
			name    string
			dir     string
			noCache bool
		}{{"DiskCache", cacheDir, false}, {"NoCache", "", true}} {
			b.Run(tc.name, func(b *testing.B) {
				opts := env.opts
				opts.Cache, opts.CacheDir, opts.NoCache = nil, tc.dir, tc.noCache
				for b.Loop() {
					st, err := NewFromBytes(context.Background(), "bench", wasm, opts)
					if err != nil {
						b.Fatal(err)
					}
					get(b, st)
					st.Close()
				}
			})
		}
	})
}

// (d) 64 fetches at once through one store (8 instances by default).
func BenchmarkConcurrent64(b *testing.B) {
	guests(b, func(b *testing.B, _ string, wasm []byte) {
		st := newBenchStore(b, wasm, setupBench(b).opts)
		get(b, st)
		b.SetParallelism(max(1, 64/goruntime.GOMAXPROCS(0)))
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				get(b, st)
			}
		})
	})
}

// (e) One guest→host call: a guest calling input_read(1, 0, 0) in a loop.
func BenchmarkHostCall(b *testing.B) {
	const n = 10000
	// local 0 counts up to n.
	body := w.Code(
		w.Loop,
		w.I32Const(1), w.I32Const(0), w.I32Const(0), w.Call(w.FnInputRead), w.Drop,
		w.LocalGet(0), w.I32Const(1), w.I32Add, w.LocalSet(0),
		w.LocalGet(0), w.I32Const(n), w.I32LtU, w.BrIf(0),
		w.End,
		w.I32Const(0), w.I32Const(0), w.Call(w.FnResultSet), w.Drop, w.I32Const(0))
	mod := w.Guest(body)
	mod.Funcs[0].Locals = []byte{w.I32}
	m, err := lkruntime.LoadBytes(context.Background(), mod.Encode(), lkruntime.Options{Name: "hostcall", AllowUnpinned: true, Cache: sharedCache})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close(context.Background())
	ctx := context.Background()
	for b.Loop() {
		if _, err := m.Get(ctx, lkruntime.Request{Name: "x"}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/hostcall")
}

// BenchmarkPooledInstanceMemory reports what one pooled, initialised
// instance of the http-json module costs: its linear memory, and the Go
// heap the process gains per instance (linear memory included).
func BenchmarkPooledInstanceMemory(b *testing.B) {
	guests(b, benchPooledInstanceMemory)
}

func benchPooledInstanceMemory(b *testing.B, _ string, wasm []byte) {
	const n = 8
	opts := setupBench(b).opts
	opts.Limits.MaxInstances = n
	for b.Loop() {
		st := newBenchStore(b, wasm, opts)
		get(b, st)
		var before, after goruntime.MemStats
		goruntime.GC()
		goruntime.ReadMemStats(&before)
		if err := st.Module().Warm(context.Background(), n); err != nil {
			b.Fatal(err)
		}
		goruntime.GC()
		goruntime.ReadMemStats(&after)
		s := st.Module().Stats()
		b.ReportMetric(float64(s.IdleMemory)/float64(s.Idle)/(1<<20), "linear-MiB/instance")
		b.ReportMetric(float64(int64(after.HeapInuse)-int64(before.HeapInuse))/float64(n-1)/(1<<20), "heap-MiB/instance")
		st.Close()
	}
}

// (b') The same fetch as WarmPool through a hand-assembled guest that only
// calls http_request: the host's own cost, without the Go guest's.
func BenchmarkWarmPoolMinimalGuest(b *testing.B) {
	fetch := minimalGuest(b)
	for b.Loop() {
		fetch()
	}
}

// minimalGuest returns a fetch through a hand-assembled guest that writes
// the request into its memory, calls http_request and returns the status.
func minimalGuest(b *testing.B) func() {
	env := setupBench(b)
	hdr := "Authorization: Bearer " + env.srv.Token + "\n"
	data := "GET" + env.srv.URL + "/db" + hdr
	var body []byte
	for i := 0; i < len(data); i++ { // write the strings into memory byte by byte
		body = append(body, w.Code(w.I32Const(int32(i)), w.I32Const(int32(data[i])), w.I32Store8(0))...)
	}
	urlLen := int32(len(data) - 3 - len(hdr))
	body = append(body, w.Code(
		w.I32Const(2000),
		w.I32Const(0), w.I32Const(3), w.I32Const(3), w.I32Const(urlLen),
		w.I32Const(3+urlLen), w.I32Const(int32(len(hdr))), w.I32Const(0), w.I32Const(0),
		w.Call(w.FnHTTPRequest), w.I32Store(0), // the status, at 2000
		w.I32Const(2000), w.I32Const(4), w.Call(w.FnResultSet), w.Drop, w.I32Const(0))...)
	opts := env.opts
	opts.Name = "minimal"
	opts.HTTP.AllowedHosts = []string{env.srv.HostPort()}
	m, err := lkruntime.LoadBytes(context.Background(), w.Guest(body).Encode(), opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { m.Close(context.Background()) })
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		v, err := m.Get(ctx, lkruntime.Request{Name: "db"})
		cancel()
		if err != nil || v.Value.Reveal()[0] != 200 {
			b.Fatalf("Get: %v (status bytes %v)", err, v.Value.Reveal())
		}
	}
}

// (f) A fetch with isolation: per_call: a fresh instance (instantiation,
// _initialize, first call, memory overwritten and dropped) per fetch. Its
// cost over WarmPool is the price of isolation.
func BenchmarkPerCall(b *testing.B) {
	guests(b, func(b *testing.B, _ string, wasm []byte) {
		opts := setupBench(b).opts
		opts.Isolation = lkruntime.IsolationPerCall
		st := newBenchStore(b, wasm, opts)
		get(b, st)
		for b.Loop() {
			get(b, st)
		}
	})
}
