// Package modsigtest signs modules for tests: a key pair whose public
// half is a PEM file (as cosign generate-key-pair writes cosign.pub), and
// Sigstore bundles made with sigstore-go's signer.
package modsigtest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/sigstore/sigstore-go/pkg/sign"
	"google.golang.org/protobuf/encoding/protojson"
)

// Signer is a signing key pair.
type Signer struct {
	kp *sign.EphemeralKeypair
	// Pub is the PEM file of the public key.
	Pub string
}

// NewSigner makes an ECDSA P-256 key pair and writes its public key.
func NewSigner(tb testing.TB) *Signer {
	tb.Helper()
	kp, err := sign.NewEphemeralKeypair(nil)
	if err != nil {
		tb.Fatal(err)
	}
	pem, err := kp.GetPublicKeyPem()
	if err != nil {
		tb.Fatal(err)
	}
	p := filepath.Join(tb.TempDir(), "cosign.pub")
	if err := os.WriteFile(p, []byte(pem), 0o600); err != nil {
		tb.Fatal(err)
	}
	return &Signer{kp: kp, Pub: p}
}

// Sign returns a bundle (JSON) of a message signature over data, with no
// transparency log entry, as cosign sign-blob --key --tlog-upload=false
// --new-bundle-format makes it.
func (s *Signer) Sign(tb testing.TB, data []byte) []byte {
	tb.Helper()
	b, err := sign.Bundle(&sign.PlainData{Data: data}, s.kp, sign.BundleOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	j, err := protojson.Marshal(b)
	if err != nil {
		tb.Fatal(err)
	}
	return j
}
