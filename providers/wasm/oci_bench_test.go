package wasm

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/latchkey/latchkey/providers/wasm/wasmstoretest"
	lkruntime "github.com/latchkey/latchkey/runtime"
	"github.com/latchkey/latchkey/runtime/modsig/modsigtest"
	"github.com/latchkey/latchkey/runtime/oci"
	"github.com/latchkey/latchkey/runtime/oci/ocitest"
	"github.com/latchkey/latchkey/secret"
)

// BenchmarkOCILoad builds a store from the Go http-json guest (a few MiB)
// three ways in one run: from a file (the baseline), from the registry
// into an empty module cache (cold: manifest, config, layer and referrers
// over loopback HTTP), and from the module cache with the registry
// stopped. Compiled code comes from a shared in-memory cache in all
// three, so the differences are the pull and the digest checks; "signed"
// adds the verification of a keyed signature.
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
		name := map[bool]string{false: "unsigned", true: "signed"}[signed]
		b.Run(name+"/file", func(b *testing.B) {
			for b.Loop() {
				load(b, path, warm, signed)
			}
		})
		b.Run(name+"/registry-cold", func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				b.StopTimer()
				dir := filepath.Join(b.TempDir(), "c")
				b.StartTimer()
				load(b, p.Ref.String(), dir, signed)
			}
		})
		b.Run(name+"/cache", func(b *testing.B) {
			reg.Stop()
			defer reg.Restart()
			for b.Loop() {
				load(b, p.Ref.String(), warm, signed)
			}
		})
	}
}
