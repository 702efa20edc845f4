package modsig_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/latchkey/latchkey/runtime/modsig"
)

func TestLegacy(t *testing.T) {
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	sv, err := signature.LoadECDSASignerVerifier(priv, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	pemBytes, _ := cryptoutils.MarshalPublicKeyToPEM(priv.Public())
	pub := filepath.Join(t.TempDir(), "cosign.pub")
	os.WriteFile(pub, pemBytes, 0o600)
	v, err := modsig.New(modsig.Policy{Keys: []string{pub}})
	if err != nil {
		t.Fatal(err)
	}
	manifest := "sha256:" + strings.Repeat("12", 32)
	payload := func(typ, digest string) []byte {
		return []byte(`{"critical":{"identity":{"docker-reference":"r/x"},"image":{"docker-manifest-digest":"` + digest + `"},"type":"` + typ + `"},"optional":null}`)
	}
	sign := func(p []byte) string {
		sig, err := sv.SignMessage(bytes.NewReader(p))
		if err != nil {
			t.Fatal(err)
		}
		return base64.StdEncoding.EncodeToString(sig)
	}
	good := payload("cosign container image signature", manifest)
	other := payload("cosign container image signature", "sha256:"+strings.Repeat("34", 32))
	tests := []struct {
		name string
		l    modsig.Legacy
		ok   bool
	}{
		{"signed payload", modsig.Legacy{Payload: good, Signature: sign(good)}, true},
		{"payload for another manifest", modsig.Legacy{Payload: other, Signature: sign(other)}, false},
		{"payload of another type", modsig.Legacy{Payload: payload("attestation", manifest), Signature: sign(payload("attestation", manifest))}, false},
		{"signature of another payload", modsig.Legacy{Payload: good, Signature: sign(other)}, false},
		{"not base64", modsig.Legacy{Payload: good, Signature: "%%%"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := v.Verify([][]byte{modsig.EncodeLegacy(tc.l)}, modsig.Subject{Wasm: []byte("m"), Manifest: manifest})
			if tc.ok != (err == nil) {
				t.Fatalf("ok = %v, err = %v", tc.ok, err)
			}
			if err != nil && !errors.Is(err, modsig.ErrUnknownSigner) {
				t.Fatalf("err = %v", err)
			}
			if err == nil && res.Signed != "manifest" {
				t.Fatalf("res %+v", res)
			}
		})
	}
	// A file module has no manifest: a legacy signature never applies.
	if _, err := v.Verify([][]byte{modsig.EncodeLegacy(tests[0].l)}, modsig.Subject{Wasm: []byte("m")}); err == nil {
		t.Fatal("a legacy signature verified without a manifest")
	}
}
