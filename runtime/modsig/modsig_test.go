package modsig_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	sgbundle "github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/sign"
	"github.com/sigstore/sigstore-go/pkg/testing/ca"
	"github.com/sigstore/sigstore-go/pkg/tlog"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/latchkey/latchkey/runtime/modsig"
	"github.com/latchkey/latchkey/runtime/modsig/modsigtest"
)

var NewSigner = modsigtest.NewSigner

func TestKeyed(t *testing.T) {
	wasm := []byte("\x00asm\x01\x00\x00\x00module bytes")
	alice, bob := NewSigner(t), NewSigner(t)
	good := alice.Sign(t, wasm)
	manifest := "sha256:" + strings.Repeat("ab", 32)
	tests := []struct {
		name    string
		keys    []string
		bundles [][]byte
		subject modsig.Subject
		want    error
		signer  string
	}{
		{"signed by the key", []string{alice.Pub}, [][]byte{good}, modsig.Subject{Wasm: wasm}, nil, alice.Pub},
		{"one of two keys (rotation)", []string{bob.Pub, alice.Pub}, [][]byte{good}, modsig.Subject{Wasm: wasm}, nil, alice.Pub},
		{"second bundle verifies", []string{bob.Pub}, [][]byte{good, bob.Sign(t, wasm)}, modsig.Subject{Wasm: wasm}, nil, bob.Pub},
		{"wrong key", []string{bob.Pub}, [][]byte{good}, modsig.Subject{Wasm: wasm}, modsig.ErrUnknownSigner, ""},
		{"modified module", []string{alice.Pub}, [][]byte{good}, modsig.Subject{Wasm: append([]byte{}, append(wasm, 0)...)}, modsig.ErrUnknownSigner, ""},
		{"unsigned", []string{alice.Pub}, nil, modsig.Subject{Wasm: wasm}, modsig.ErrUnsigned, ""},
		{"garbage bundle", []string{alice.Pub}, [][]byte{[]byte(`{"mediaType":"x"}`)}, modsig.Subject{Wasm: wasm}, modsig.ErrUnknownSigner, ""},
		{"bundle for another manifest is not the module's", []string{alice.Pub}, [][]byte{alice.Sign(t, []byte(manifest))}, modsig.Subject{Wasm: wasm, Manifest: manifest}, modsig.ErrUnknownSigner, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := modsig.New(modsig.Policy{Keys: tc.keys})
			if err != nil {
				t.Fatal(err)
			}
			res, err := v.Verify(tc.bundles, tc.subject)
			if tc.want != nil {
				if !errors.Is(err, tc.want) {
					t.Fatalf("err = %v, want %v", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(res.Signer, tc.signer) || res.Signed != "module" {
				t.Fatalf("result %+v, want signer %s", res, tc.signer)
			}
		})
	}
}

// TestManifestSignature: a bundle whose message digest is the manifest's
// digest (as a signature made over the registry reference) verifies for
// the module that manifest names.
func TestManifestSignature(t *testing.T) {
	alice := NewSigner(t)
	manifestBytes := []byte(`{"schemaVersion":2}`)
	sum := sha256.Sum256(manifestBytes)
	md := "sha256:" + hex.EncodeToString(sum[:])
	v, err := modsig.New(modsig.Policy{Keys: []string{alice.Pub}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := v.Verify([][]byte{alice.Sign(t, manifestBytes)}, modsig.Subject{Wasm: []byte("other"), Manifest: md})
	if err != nil || res.Signed != "manifest" {
		t.Fatalf("res %+v, err %v", res, err)
	}
}

// keyless signs data as identity/issuer with a virtual Sigstore (Fulcio
// CA, Rekor log) and returns the bundle and a trusted_root.json path.
func keyless(t *testing.T, vs *ca.VirtualSigstore, identity, issuer string, data []byte) []byte {
	t.Helper()
	e, err := vs.Sign(identity, issuer, data)
	if err != nil {
		t.Fatal(err)
	}
	vc, _ := e.VerificationContent()
	sc, _ := e.SignatureContent()
	ms := sc.(*sgbundle.MessageSignature)
	entries, _ := e.TlogEntries()
	var tles []*protorekor.TransparencyLogEntry
	for _, en := range entries {
		// The entry keeps its signed entry timestamp to itself; sign the
		// same payload again with the virtual log's key for the bundle.
		tle := proto.Clone(en.TransparencyLogEntry()).(*protorekor.TransparencyLogEntry)
		logID, err := vs.RekorLogID()
		if err != nil {
			t.Fatal(err)
		}
		set, err := vs.RekorSignPayload(tlog.RekorPayload{Body: en.Body(), IntegratedTime: tle.IntegratedTime, LogIndex: tle.LogIndex, LogID: logID})
		if err != nil {
			t.Fatal(err)
		}
		tle.KindVersion = &protorekor.KindVersion{Kind: "hashedrekord", Version: "0.0.1"}
		tle.InclusionPromise = &protorekor.InclusionPromise{SignedEntryTimestamp: set}
		tles = append(tles, tle)
	}
	pb := &protobundle.Bundle{
		// v0.1: a signed entry timestamp without an inclusion proof (the
		// virtual log makes none) is a valid proof of time there.
		MediaType: "application/vnd.dev.sigstore.bundle+json;version=0.1",
		VerificationMaterial: &protobundle.VerificationMaterial{
			Content: &protobundle.VerificationMaterial_X509CertificateChain{X509CertificateChain: &protocommon.X509CertificateChain{
				Certificates: []*protocommon.X509Certificate{{RawBytes: vc.Certificate().Raw}}}},
			TlogEntries: tles,
		},
		Content: &protobundle.Bundle_MessageSignature{MessageSignature: &protocommon.MessageSignature{
			MessageDigest: &protocommon.HashOutput{Algorithm: protocommon.HashAlgorithm_SHA2_256, Digest: ms.Digest()},
			Signature:     ms.Signature(),
		}},
	}
	j, err := protojson.Marshal(pb)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func trustedRoot(t *testing.T, vs *ca.VirtualSigstore) string {
	t.Helper()
	// The virtual log's ID is its hex string's bytes; a trusted_root.json
	// holds the raw ID, which the reader turns back into hex.
	logs := map[string]*root.TransparencyLog{}
	for id, l := range vs.RekorLogs() {
		c := *l
		raw, err := hex.DecodeString(id)
		if err != nil {
			t.Fatal(err)
		}
		c.ID = raw
		logs[id] = &c
	}
	tr, err := root.NewTrustedRoot(root.TrustedRootMediaType01, vs.FulcioCertificateAuthorities(), nil, vs.TimestampingAuthorities(), logs)
	if err != nil {
		t.Fatal(err)
	}
	j, err := tr.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "trusted_root.json")
	if err := os.WriteFile(p, j, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestKeyless(t *testing.T) {
	vs, err := ca.NewVirtualSigstore()
	if err != nil {
		t.Fatal(err)
	}
	other, err := ca.NewVirtualSigstore()
	if err != nil {
		t.Fatal(err)
	}
	const id, iss = "https://github.com/acme/stores/.github/workflows/release.yml@refs/tags/v1", "https://token.actions.githubusercontent.com"
	wasm := []byte("\x00asm\x01\x00\x00\x00keyless")
	good := keyless(t, vs, id, iss, wasm)
	trPath := trustedRoot(t, vs)
	tests := []struct {
		name   string
		policy modsig.Policy
		bundle []byte
		wasm   []byte
		ok     bool
	}{
		{"identity and issuer", modsig.Policy{TrustedRoot: trPath, Identity: id, Issuer: iss}, good, wasm, true},
		{"identity regexp", modsig.Policy{TrustedRoot: trPath, IdentityRegexp: `^https://github\.com/acme/`, Issuer: iss}, good, wasm, true},
		{"other identity", modsig.Policy{TrustedRoot: trPath, Identity: "https://github.com/evil/x", Issuer: iss}, good, wasm, false},
		{"other issuer", modsig.Policy{TrustedRoot: trPath, Identity: id, Issuer: "https://accounts.google.com"}, good, wasm, false},
		{"another CA's certificate", modsig.Policy{TrustedRoot: trPath, Identity: id, Issuer: iss}, keyless(t, other, id, iss, wasm), wasm, false},
		{"modified module", modsig.Policy{TrustedRoot: trPath, Identity: id, Issuer: iss}, good, append(append([]byte{}, wasm...), 1), false},
		{"keyless bundle, keys only", modsig.Policy{Keys: []string{NewSigner(t).Pub}}, good, wasm, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := modsig.New(tc.policy)
			if err != nil {
				t.Fatal(err)
			}
			res, err := v.Verify([][]byte{tc.bundle}, modsig.Subject{Wasm: tc.wasm})
			if tc.ok != (err == nil) {
				t.Fatalf("ok = %v, err = %v", tc.ok, err)
			}
			if err == nil && (!strings.Contains(res.Signer, id) || !strings.Contains(res.Signer, iss) || len(res.Timestamps) == 0) {
				t.Fatalf("result %+v", res)
			}
			if err != nil && !errors.Is(err, modsig.ErrUnknownSigner) {
				t.Fatalf("err = %v, want ErrUnknownSigner", err)
			}
		})
	}
}

func TestPolicyCheck(t *testing.T) {
	tests := []struct {
		name string
		p    modsig.Policy
		want string
	}{
		{"empty", modsig.Policy{}, "needs keys"},
		{"identity without root", modsig.Policy{Keys: []string{"k"}, Identity: "a"}, "need a trusted_root"},
		{"root without identity", modsig.Policy{TrustedRoot: "r", Issuer: "i"}, "certificate_identity"},
		{"root without issuer", modsig.Policy{TrustedRoot: "r", Identity: "i"}, "certificate_oidc_issuer"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.p.Check(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	if _, err := modsig.New(modsig.Policy{Keys: []string{filepath.Join(t.TempDir(), "missing.pub")}}); err == nil {
		t.Fatal("a missing key file was accepted")
	}
}

func FuzzVerify(f *testing.F) {
	s := NewSigner(f)
	wasm := []byte("\x00asm")
	f.Add(s.Sign(f, wasm))
	f.Add([]byte(`{}`))
	v, err := modsig.New(modsig.Policy{Keys: []string{s.Pub}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		// Hostile bundle bytes: an error or a verification, never a panic.
		_, _ = v.Verify([][]byte{b}, modsig.Subject{Wasm: wasm})
	})
}

// TestStatements: a DSSE bundle is a signature only when its in-toto
// statement is cosign's signing predicate about the manifest; an
// attestation of another type by the trusted key is refused.
func TestStatements(t *testing.T) {
	kp, err := sign.NewEphemeralKeypair(nil)
	if err != nil {
		t.Fatal(err)
	}
	pem, _ := kp.GetPublicKeyPem()
	pub := filepath.Join(t.TempDir(), "cosign.pub")
	os.WriteFile(pub, []byte(pem), 0o600)
	v, err := modsig.New(modsig.Policy{Keys: []string{pub}})
	if err != nil {
		t.Fatal(err)
	}
	manifest := strings.Repeat("cd", 32)
	statement := func(predicateType, digest string) []byte {
		st := `{"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{"sha256":"` + digest + `"}}],"predicateType":"` + predicateType + `","predicate":{}}`
		b, err := sign.Bundle(&sign.DSSEData{Data: []byte(st), PayloadType: "application/vnd.in-toto+json"}, kp, sign.BundleOptions{})
		if err != nil {
			t.Fatal(err)
		}
		j, _ := protojson.Marshal(b)
		return j
	}
	tests := []struct {
		name, predicate, digest string
		ok                      bool
	}{
		{"cosign sign", modsig.SignPredicateType, manifest, true},
		{"an SBOM attestation", "https://spdx.dev/Document", manifest, false},
		{"cosign sign of another manifest", modsig.SignPredicateType, strings.Repeat("ef", 32), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := v.Verify([][]byte{statement(tc.predicate, tc.digest)}, modsig.Subject{Wasm: []byte("m"), Manifest: "sha256:" + manifest})
			if tc.ok != (err == nil) {
				t.Fatalf("ok = %v, err = %v", tc.ok, err)
			}
			if err == nil && res.Signed != "manifest" {
				t.Fatalf("signed %q", res.Signed)
			}
			if err != nil && tc.predicate != modsig.SignPredicateType && !strings.Contains(err.Error(), "not a signature") {
				t.Fatalf("refused for another reason: %v", err)
			}
		})
	}
}
