package wasm

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/latchkey/latchkey/providers/wasm/wasmstoretest"
	lkruntime "github.com/latchkey/latchkey/runtime"
	"github.com/latchkey/latchkey/runtime/modsig/modsigtest"
	"github.com/latchkey/latchkey/runtime/oci"
	"github.com/latchkey/latchkey/runtime/oci/ocitest"
	"github.com/latchkey/latchkey/secret"
)

// BenchmarkOCILoad builds a store from the Go http-json guest (2 MB)
// three ways in each iteration: from a file (the baseline), from the
// registry into an empty module cache (cold: manifest, config, layer and
// referrers over loopback HTTP), and from the module cache (a digest
// reference: no request). Compiled code comes from a shared in-memory
// cache in all three, so the differences are the pull and the digest
// checks; "signed" adds the verification of a keyed signature (the
// file's bundle beside it).
//
//	go test -run '^$' -bench OCILoad -benchtime 20x ./providers/wasm/
func BenchmarkOCILoad(b *testing.B) {
	wasmBytes, err := os.ReadFile(wasmstoretest.BuildHTTPJSON(b))
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), "http-json.wasm")
	if err := os.WriteFile(path, wasmBytes, 0o600); err != nil {
		b.Fatal(err)
	}
	reg := ocitest.Start(b)
	signer := modsigtest.NewSigner(b)
	cl, _ := oci.OpenCache(filepath.Join(b.TempDir(), "pusher"))
	ref, _ := oci.ParseRef(reg.Host + "/bench/http-json:v1")
	p, err := (&oci.Client{Cache: cl}).Push(context.Background(), ref, wasmBytes, oci.PushOptions{Bundle: signer.Sign(b, wasmBytes)})
	if err != nil {
		b.Fatal(err)
	}
	compiled, err := lkruntime.NewCache("")
	if err != nil {
		b.Fatal(err)
	}
	srv := wasmstoretest.Start(b, nil)
	base := srv.Settings(b, path, "value")
	load := func(b *testing.B, module, cacheDir string, signed bool) {
		s := map[string]any{}
		for k, v := range base {
			s[k] = v
		}
		s["module"], s["cache_dir"] = module, cacheDir
		if signed {
			s["signature"] = map[string]any{"key": signer.Pub}
		}
		st, err := fromSpec(context.Background(), secret.Spec{Name: "bench", Type: "wasm", Settings: s}, compiled)
		if err != nil {
			b.Fatal(err)
		}
		st.Close()
	}
	if err := os.WriteFile(path+".sigstore.json", signer.Sign(b, wasmBytes), 0o600); err != nil {
		b.Fatal(err)
	}
	warm := filepath.Join(b.TempDir(), "warm")
	load(b, p.Ref.String(), warm, true) // fills the module cache and the compiled code
	for _, signed := range []bool{false, true} {
		b.Run(map[bool]string{false: "unsigned", true: "signed"}[signed], func(b *testing.B) {
			// The three loads interleave in one loop, so that the shared
			// machine's load moves them together; the ratios are the result.
			var file, cold, cached time.Duration
			n := 0
			for b.Loop() {
				b.StopTimer()
				dir := filepath.Join(b.TempDir(), "c")
				b.StartTimer()
				t0 := time.Now()
				load(b, path, warm, signed)
				t1 := time.Now()
				load(b, p.Ref.String(), dir, signed)
				t2 := time.Now()
				load(b, p.Ref.String(), warm, signed)
				t3 := time.Now()
				file, cold, cached = file+t1.Sub(t0), cold+t2.Sub(t1), cached+t3.Sub(t2)
				n++
			}
			ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(n) }
			b.ReportMetric(ms(file), "file-ms")
			b.ReportMetric(ms(cold), "registry-ms")
			b.ReportMetric(ms(cached), "cache-ms")
			b.ReportMetric(float64(cold)/float64(file), "registry/file")
			b.ReportMetric(float64(cached)/float64(file), "cache/file")
			b.ReportMetric(0, "ns/op")
		})
	}
}
