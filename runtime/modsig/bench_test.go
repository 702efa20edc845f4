package modsig_test

import (
	"crypto/rand"
	"crypto/sha256"
	"testing"

	"github.com/latchkey/latchkey/runtime/modsig"
	"github.com/latchkey/latchkey/runtime/modsig/modsigtest"
)

// BenchmarkVerify measures verifying a keyed signature of a 4 MiB module
// (the size of a Go guest) against hashing the module once with SHA-256,
// the baseline that a digest pin already pays:
//
//	go test -run '^$' -bench Verify ./runtime/modsig/
func BenchmarkVerify(b *testing.B) {
	wasm := make([]byte, 4<<20)
	rand.Read(wasm)
	s := modsigtest.NewSigner(b)
	bundle := s.Sign(b, wasm)
	v, err := modsig.New(modsig.Policy{Keys: []string{s.Pub}})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("sha256-baseline", func(b *testing.B) {
		b.SetBytes(int64(len(wasm)))
		for b.Loop() {
			sha256.Sum256(wasm)
		}
	})
	b.Run("keyed", func(b *testing.B) {
		b.SetBytes(int64(len(wasm)))
		for b.Loop() {
			if _, err := v.Verify([][]byte{bundle}, modsig.Subject{Wasm: wasm}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
