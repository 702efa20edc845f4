package modsig

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
)

// Legacy is a signature in cosign's legacy format, as `cosign sign
// --new-bundle-format=false` stores it under the sha256-HEX.sig tag: a
// simple-signing payload naming the manifest's digest, and a signature
// of the payload. Only keyed legacy signatures are verified (a keyless
// one needs the Rekor bundle and certificate annotations, which are not
// read): sign with cosign v3's bundles instead.
type Legacy struct {
	// Payload is the simple-signing JSON (the layer's bytes).
	Payload []byte `json:"payload"`
	// Signature is the dev.cosignproject.cosign/signature annotation:
	// base64 of the signature over Payload.
	Signature string `json:"signature"`
}

// legacyKey marks an encoded [Legacy] among the bundles handed to
// [Verifier.Verify].
const legacyKey = "latchkeyCosignLegacy"

// EncodeLegacy encodes a legacy signature so that it travels (and is
// cached) among Sigstore bundles.
func EncodeLegacy(l Legacy) []byte {
	b, _ := json.Marshal(map[string]Legacy{legacyKey: l})
	return b
}

func parseLegacy(raw []byte) (Legacy, bool) {
	if !bytes.Contains(raw, []byte(legacyKey)) {
		return Legacy{}, false
	}
	var m map[string]Legacy
	if json.Unmarshal(raw, &m) != nil {
		return Legacy{}, false
	}
	l, ok := m[legacyKey]
	return l, ok
}

// simpleSigning is the part of the payload that is checked.
type simpleSigning struct {
	Critical struct {
		Image struct {
			DockerManifestDigest string `json:"docker-manifest-digest"`
		} `json:"image"`
		Type string `json:"type"`
	} `json:"critical"`
}

const simpleSigningType = "cosign container image signature"

func (v *Verifier) verifyLegacy(l Legacy, s Subject) (*Result, error) {
	if len(v.keys) == 0 {
		return nil, errors.New("only keyed legacy signatures are read, and no keys are trusted")
	}
	sig, err := base64.StdEncoding.DecodeString(l.Signature)
	if err != nil {
		return nil, fmt.Errorf("signature is not base64: %w", err)
	}
	var p simpleSigning
	if err := json.Unmarshal(l.Payload, &p); err != nil {
		return nil, fmt.Errorf("payload is not simple-signing JSON: %w", err)
	}
	if p.Critical.Type != simpleSigningType {
		return nil, fmt.Errorf("payload type %q, want %q", p.Critical.Type, simpleSigningType)
	}
	if s.Manifest == "" || p.Critical.Image.DockerManifestDigest != s.Manifest {
		return nil, fmt.Errorf("payload signs manifest %q, not %q", p.Critical.Image.DockerManifestDigest, s.Manifest)
	}
	var errs []string
	for _, k := range v.keys {
		if err := k.sv.VerifySignature(bytes.NewReader(sig), bytes.NewReader(l.Payload)); err != nil {
			errs = append(errs, k.name+": "+err.Error())
			continue
		}
		return &Result{Signer: k.name, Signed: "manifest"}, nil
	}
	return nil, errors.New(fmt.Sprint(errs))
}
