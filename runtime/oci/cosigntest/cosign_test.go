package cosigntest

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/wasmtest"
	_ "github.com/latchkey/latchkey/providers/wasm" // store type wasm
	"github.com/latchkey/latchkey/runtime/modsig"
	"github.com/latchkey/latchkey/runtime/oci"
	"github.com/latchkey/latchkey/runtime/oci/ocitest"
	"github.com/latchkey/latchkey/secret"
)

// cosign runs the cosign binary in dir with an empty key password.
func cosign(t *testing.T, dir string, args ...string) string {
	t.Helper()
	path, err := exec.LookPath("cosign")
	if err != nil {
		t.Skip("cosign is not on PATH: go install github.com/sigstore/cosign/v3/cmd/cosign@v3.1.3 (.ci/run does)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*60e9)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Dir = dir
	// No network but the loopback registry: no TUF, no Rekor, no Fulcio.
	cmd.Env = append(os.Environ(), "COSIGN_PASSWORD=", "COSIGN_YES=true", "TUF_ROOT="+filepath.Join(dir, "tuf"),
		"DOCKER_CONFIG="+filepath.Join(dir, "docker"))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("cosign %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	return out.String()
}

// keyPair makes a cosign key pair in its own directory and returns the
// paths of cosign.key and cosign.pub.
func keyPair(t *testing.T) (string, string) {
	t.Helper()
	dir := t.TempDir()
	cosign(t, dir, "generate-key-pair")
	return filepath.Join(dir, "cosign.key"), filepath.Join(dir, "cosign.pub")
}

func module(marker int32) []byte {
	return append(wasmtest.Guest(wasmtest.I32Const(marker)).Encode(),
		wasmtest.CustomSection("latchkey.capabilities", []byte(`{"version":1,"hosts":["vault.example.com"]}`))...)
}

// signBlob signs file as cosign sign-blob --new-bundle-format --key does,
// without a transparency log upload (there is no network here), writing
// the bundle beside it.
func signBlob(t *testing.T, key, file string) string {
	t.Helper()
	bundle := modsig.BundlePath(file)
	cosign(t, filepath.Dir(file), "sign-blob", "--new-bundle-format", "--key", key, "--tlog-upload=false",
		"--use-signing-config=false", "--bundle", bundle, file)
	return bundle
}

func verifier(t *testing.T, pubs ...string) *modsig.Verifier {
	t.Helper()
	v, err := modsig.New(modsig.Policy{Keys: pubs})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestSignBlobByKey(t *testing.T) {
	key, pub := keyPair(t)
	_, otherPub := keyPair(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "store.wasm")
	wasm := module(1)
	os.WriteFile(file, wasm, 0o600)
	bundle, err := os.ReadFile(signBlob(t, key, file))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		pubs    []string
		bundles [][]byte
		wasm    []byte
		want    error
	}{
		{"cosign's key", []string{pub}, [][]byte{bundle}, wasm, nil},
		{"wrong key", []string{otherPub}, [][]byte{bundle}, wasm, modsig.ErrUnknownSigner},
		{"modified module", []string{pub}, [][]byte{bundle}, module(2), modsig.ErrUnknownSigner},
		{"unsigned module", []string{pub}, nil, wasm, modsig.ErrUnsigned},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := verifier(t, tc.pubs...).Verify(tc.bundles, modsig.Subject{Wasm: tc.wasm})
			if !errors.Is(err, tc.want) || (tc.want != nil) == (err == nil) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if err == nil && !strings.Contains(res.Signer, pub) {
				t.Fatalf("signer %q", res.Signer)
			}
		})
	}
}

// TestSignBlobThroughRegistry: cosign's bundle pushed with the module
// (latchkey module push attaches FILE.sigstore.json) verifies after a
// pull.
func TestSignBlobThroughRegistry(t *testing.T) {
	reg := ocitest.Start(t)
	key, pub := keyPair(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "store.wasm")
	wasm := module(3)
	os.WriteFile(file, wasm, 0o600)
	bundle, err := os.ReadFile(signBlob(t, key, file))
	if err != nil {
		t.Fatal(err)
	}
	c := client(t)
	ref, _ := oci.ParseRef(reg.Host + "/stores/cosigned:v1")
	p, err := c.Push(context.Background(), ref, wasm, oci.PushOptions{Bundle: bundle})
	if err != nil {
		t.Fatal(err)
	}
	a, err := client(t).Pull(context.Background(), p.Ref, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := verifier(t, pub).Verify(a.Bundles, modsig.Subject{Wasm: a.Wasm, Manifest: a.Manifest}); err != nil {
		t.Fatal(err)
	}
}

// TestCosignSignReference: cosign sign on the pushed reference stores its
// signature in the registry itself; Latchkey finds it (referrers, or
// their tag-schema fallback on a registry without the API) and verifies
// it against the manifest's digest.
func TestCosignSignReference(t *testing.T) {
	reg := ocitest.Start(t)
	key, pub := keyPair(t)
	_, otherPub := keyPair(t)
	wasm := module(4)
	ref, _ := oci.ParseRef(reg.Host + "/stores/cosign-sign:v1")
	p, err := client(t).Push(context.Background(), ref, wasm, oci.PushOptions{})
	if err != nil {
		t.Fatal(err)
	}
	target := reg.Host + "/stores/cosign-sign@" + p.Manifest
	cosign(t, t.TempDir(), "sign", "--key", key, "--tlog-upload=false", "--use-signing-config=false",
		"--new-bundle-format", "--allow-http-registry", "--allow-insecure-registry", target)
	a, err := client(t).Pull(context.Background(), p.Ref, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Bundles) == 0 {
		t.Fatal("no bundle found for the signature cosign stored")
	}
	res, err := verifier(t, pub).Verify(a.Bundles, modsig.Subject{Wasm: a.Wasm, Manifest: a.Manifest})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("cosign sign: %s signed the %s", res.Signer, res.Signed)
	if _, err := verifier(t, otherPub).Verify(a.Bundles, modsig.Subject{Wasm: a.Wasm, Manifest: a.Manifest}); !errors.Is(err, modsig.ErrUnknownSigner) {
		t.Fatalf("wrong key: %v", err)
	}
}

func client(t *testing.T) *oci.Client {
	t.Helper()
	c, err := oci.OpenCache(filepath.Join(t.TempDir(), "modules"))
	if err != nil {
		t.Fatal(err)
	}
	return &oci.Client{Cache: c, DockerConfig: filepath.Join(t.TempDir(), "config.json")}
}

// TestStoreLoadsCosignSigned: a store of type wasm requiring a signature
// by cosign's key loads the module cosign signed, from a file with its
// bundle beside it and from the registry, and refuses it under another
// key, before compiling.
func TestStoreLoadsCosignSigned(t *testing.T) {
	reg := ocitest.Start(t)
	key, pub := keyPair(t)
	_, otherPub := keyPair(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "store.wasm")
	wasm := module(5)
	os.WriteFile(file, wasm, 0o600)
	bundle, err := os.ReadFile(signBlob(t, key, file))
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := oci.ParseRef(reg.Host + "/stores/cosigned-store:v1")
	p, err := client(t).Push(context.Background(), ref, wasm, oci.PushOptions{Bundle: bundle})
	if err != nil {
		t.Fatal(err)
	}
	factory, ok := secret.Lookup("wasm")
	if !ok {
		t.Fatal("store type wasm not linked")
	}
	for _, module := range []string{file, p.Ref.String()} {
		for _, tc := range []struct {
			pub string
			ok  bool
		}{{pub, true}, {otherPub, false}} {
			cache := filepath.Join(t.TempDir(), "cache")
			os.Mkdir(cache, 0o700)
			st, err := factory(context.Background(), secret.Spec{Name: "cosigned", Type: "wasm", Settings: map[string]any{
				"module": module, "sha256": p.Layer, "cache_dir": cache, "allowed_hosts": []any{"vault.example.com"},
				"signature": map[string]any{"key": tc.pub},
			}})
			if tc.ok != (err == nil) {
				t.Fatalf("%s with key %s: ok = %v, err = %v", module, tc.pub, tc.ok, err)
			}
			if err != nil {
				if !errors.Is(err, modsig.ErrUnknownSigner) {
					t.Fatalf("err = %v, want ErrUnknownSigner", err)
				}
				continue
			}
			st.Close()
		}
	}
}

// TestCosignLegacySign: cosign's legacy format (a simple-signing payload
// under the sha256-HEX.sig tag, --new-bundle-format=false) verifies by
// key against the manifest it names; another key is refused.
func TestCosignLegacySign(t *testing.T) {
	reg := ocitest.Start(t)
	key, pub := keyPair(t)
	_, otherPub := keyPair(t)
	ref, _ := oci.ParseRef(reg.Host + "/stores/cosign-legacy:v1")
	p, err := client(t).Push(context.Background(), ref, module(6), oci.PushOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cosign(t, t.TempDir(), "sign", "--key", key, "--tlog-upload=false", "--use-signing-config=false",
		"--new-bundle-format=false", "--allow-http-registry", "--allow-insecure-registry", reg.Host+"/stores/cosign-legacy@"+p.Manifest)
	a, err := client(t).Pull(context.Background(), p.Ref, "")
	if err != nil {
		t.Fatal(err)
	}
	s := modsig.Subject{Wasm: a.Wasm, Manifest: a.Manifest}
	if _, err := verifier(t, pub).Verify(a.Bundles, s); err != nil {
		t.Fatalf("legacy signature: %v (bundles %d)", err, len(a.Bundles))
	}
	if _, err := verifier(t, otherPub).Verify(a.Bundles, s); !errors.Is(err, modsig.ErrUnknownSigner) {
		t.Fatalf("wrong key: %v", err)
	}
	// The same signature does not vouch for another manifest.
	if _, err := verifier(t, pub).Verify(a.Bundles, modsig.Subject{Wasm: a.Wasm, Manifest: oci.Digest([]byte("other"))}); !errors.Is(err, modsig.ErrUnknownSigner) {
		t.Fatalf("other manifest: %v", err)
	}
}
