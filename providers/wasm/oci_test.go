package wasm

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/wasmtest"
	lkruntime "github.com/latchkey/latchkey/runtime"
	"github.com/latchkey/latchkey/runtime/modsig"
	"github.com/latchkey/latchkey/runtime/modsig/modsigtest"
	"github.com/latchkey/latchkey/runtime/oci"
	"github.com/latchkey/latchkey/runtime/oci/ocitest"
	"github.com/latchkey/latchkey/secret"
)

// okModule answers every fetch with the two bytes "ok"; marker makes
// modules with different digests.
func okModule(marker int32) []byte {
	get := wasmtest.Code(
		wasmtest.I32Const(0), wasmtest.I32Const('o'), wasmtest.I32Store8(0),
		wasmtest.I32Const(1), wasmtest.I32Const('k'), wasmtest.I32Store8(0),
		wasmtest.I32Const(0), wasmtest.I32Const(2), wasmtest.Call(wasmtest.FnResultSet), wasmtest.Drop,
		wasmtest.I32Const(marker), wasmtest.Drop, wasmtest.I32Const(0))
	return wasmtest.Guest(get).Encode()
}

// ociStore builds a store of type wasm from settings, with a private
// cache_dir (so that the module cache starts empty unless dir is reused).
func ociStore(t *testing.T, dir string, settings map[string]any) (*Store, error) {
	t.Helper()
	settings["cache_dir"] = dir
	return fromSpec(context.Background(), secret.Spec{Name: "reg", Type: "wasm", Settings: settings}, nil)
}

func privateDir(t *testing.T) string {
	d := filepath.Join(t.TempDir(), "cache")
	if err := os.Mkdir(d, 0o700); err != nil {
		t.Fatal(err)
	}
	return d
}

func push(t *testing.T, host, repoTag string, wasm []byte, bundle []byte) *oci.Pushed {
	t.Helper()
	c, err := oci.OpenCache(filepath.Join(t.TempDir(), "pusher"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := oci.ParseRef("oci://" + host + "/" + repoTag)
	if err != nil {
		t.Fatal(err)
	}
	p, err := (&oci.Client{Cache: c, DockerConfig: filepath.Join(t.TempDir(), "none.json")}).Push(context.Background(), r, wasm, oci.PushOptions{Bundle: bundle})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func fetchOK(t *testing.T, st *Store) {
	t.Helper()
	v, err := st.Get(context.Background(), secret.Request{Name: "x"})
	if err != nil || v.Value.RevealString() != "ok" {
		t.Fatalf("Get = %q, %v", v.Value.RevealString(), err)
	}
}

// TestOCIModule: a store whose module is a registry reference loads it,
// serves it from the cache with the registry stopped, and refuses a tag
// without a pin unless allow_unpinned says otherwise.
func TestOCIModule(t *testing.T) {
	reg := ocitest.Start(t)
	wasm := okModule(1)
	p := push(t, reg.Host, "stores/ok:v1", wasm, nil)
	dir := privateDir(t)
	byDigest := p.Ref.String()

	st, err := ociStore(t, dir, map[string]any{"module": byDigest})
	if err != nil {
		t.Fatal(err)
	}
	fetchOK(t, st)
	if d := st.Describe(); !strings.Contains(d.Summary, byDigest) || !strings.Contains(d.Summary, "pulled from the registry") {
		t.Fatalf("describe: %s", d.Summary)
	}
	st.Close()

	reg.Stop()
	st, err = ociStore(t, dir, map[string]any{"module": byDigest})
	if err != nil {
		t.Fatalf("restart with the registry stopped: %v", err)
	}
	fetchOK(t, st)
	if d := st.Describe(); !strings.Contains(d.Summary, "served from the module cache") {
		t.Fatalf("describe: %s", d.Summary)
	}
	st.Close()
	// A tag pinned by the module's sha256, cached: no registry needed.
	st, err = ociStore(t, dir, map[string]any{"module": "oci://" + reg.Host + "/stores/ok:v1", "sha256": p.Layer})
	if err != nil {
		t.Fatalf("pinned tag with the registry stopped: %v", err)
	}
	st.Close()
	// Not cached and the registry is down: the error names the store, the
	// reference, and what failed.
	_, err = ociStore(t, privateDir(t), map[string]any{"module": byDigest})
	for _, want := range []string{`"reg"`, byDigest, "unreachable"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("error %v does not name %q", err, want)
		}
	}
	reg.Restart()

	t.Run("tag without pin", func(t *testing.T) {
		_, err := ociStore(t, privateDir(t), map[string]any{"module": "oci://" + reg.Host + "/stores/ok:v1"})
		if !errors.Is(err, lkruntime.ErrUnpinned) || !strings.Contains(err.Error(), strings.TrimPrefix(p.Layer, "sha256:")) {
			t.Fatalf("err = %v, want ErrUnpinned giving the digest", err)
		}
		st, err := ociStore(t, privateDir(t), map[string]any{"module": "oci://" + reg.Host + "/stores/ok:v1", "allow_unpinned": true})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if w := strings.Join(st.Describe().Warnings, "\n"); !strings.Contains(w, "tag without a pin") {
			t.Fatalf("warnings: %s", w)
		}
	})
	t.Run("pin mismatch", func(t *testing.T) {
		other := oci.Digest(okModule(2))
		_, err := ociStore(t, privateDir(t), map[string]any{"module": "oci://" + reg.Host + "/stores/ok:v1", "sha256": other})
		if !errors.Is(err, oci.ErrDigestMismatch) || !strings.Contains(err.Error(), other) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("registry.offline", func(t *testing.T) {
		_, err := ociStore(t, privateDir(t), map[string]any{"module": byDigest, "registry": map[string]any{"offline": true}})
		if !errors.Is(err, oci.ErrUnreachable) || !strings.Contains(err.Error(), "offline") {
			t.Fatalf("offline store with an empty cache: %v", err)
		}
		st, err := ociStore(t, dir, map[string]any{"module": byDigest, "registry": map[string]any{"offline": true}})
		if err != nil {
			t.Fatalf("offline store with the module cached: %v", err)
		}
		st.Close()
	})
	t.Run("bad reference", func(t *testing.T) {
		_, err := ociStore(t, privateDir(t), map[string]any{"module": "oci://" + reg.Host + "/stores/ok"})
		var ce *secret.ConfigError
		if !errors.As(err, &ce) || ce.Key != "module" {
			t.Fatalf("err = %v, want a ConfigError on module", err)
		}
	})
}

// TestSignedModule: a store requiring a signature loads a module signed
// by a trusted key, from the registry or beside a file, and refuses an
// unsigned one, one signed by another key, and a modified one, before
// compiling it.
func TestSignedModule(t *testing.T) {
	reg := ocitest.Start(t)
	alice, mallory := modsigtest.NewSigner(t), modsigtest.NewSigner(t)
	wasm := okModule(3)
	signed := push(t, reg.Host, "stores/signed:v1", wasm, alice.Sign(t, wasm))
	unsigned := push(t, reg.Host, "stores/unsigned:v1", okModule(4), nil)
	otherKey := push(t, reg.Host, "stores/mallory:v1", okModule(5), mallory.Sign(t, okModule(5)))
	sig := map[string]any{"key": alice.Pub}

	st, err := ociStore(t, privateDir(t), map[string]any{"module": signed.Ref.String(), "signature": sig})
	if err != nil {
		t.Fatal(err)
	}
	fetchOK(t, st)
	if d := st.Describe().Summary; !strings.Contains(d, "signature verified offline") || !strings.Contains(d, alice.Pub) {
		t.Fatalf("describe: %s", d)
	}
	st.Close()

	tests := []struct {
		name   string
		module string
		want   error
	}{
		{"unsigned", unsigned.Ref.String(), modsig.ErrUnsigned},
		{"another key", otherKey.Ref.String(), modsig.ErrUnknownSigner},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ociStore(t, privateDir(t), map[string]any{"module": tc.module, "signature": sig})
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			for _, want := range []string{`"reg"`, tc.module, "verify signature"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not name %q", err, want)
				}
			}
		})
	}

	t.Run("file with bundle beside it", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "store.wasm")
		os.WriteFile(path, wasm, 0o600)
		os.WriteFile(modsig.BundlePath(path), alice.Sign(t, wasm), 0o600)
		st, err := ociStore(t, privateDir(t), map[string]any{"module": path, "sha256": oci.Digest(wasm), "signature": sig})
		if err != nil {
			t.Fatal(err)
		}
		st.Close()
		// The file replaced, pin updated by the attacker too: the
		// signature still refuses it.
		mod := okModule(6)
		os.WriteFile(path, mod, 0o600)
		_, err = ociStore(t, privateDir(t), map[string]any{"module": path, "sha256": oci.Digest(mod), "signature": sig})
		if !errors.Is(err, modsig.ErrUnknownSigner) {
			t.Fatalf("modified module: %v", err)
		}
		os.Remove(modsig.BundlePath(path))
		if _, err = ociStore(t, privateDir(t), map[string]any{"module": path, "sha256": oci.Digest(mod), "signature": sig}); !errors.Is(err, modsig.ErrUnsigned) {
			t.Fatalf("no bundle: %v", err)
		}
	})

	t.Run("checked before compiling", func(t *testing.T) {
		// Not Wasm at all, unsigned: refused for the signature, never
		// handed to the compiler.
		path := filepath.Join(t.TempDir(), "junk.wasm")
		os.WriteFile(path, []byte("\x00asm\x01\x00\x00\x00\xff\xff"), 0o600)
		_, err := ociStore(t, privateDir(t), map[string]any{"module": path, "allow_unpinned": true, "signature": sig})
		if !errors.Is(err, modsig.ErrUnsigned) || errors.Is(err, lkruntime.ErrIncompatible) {
			t.Fatalf("err = %v, want ErrUnsigned", err)
		}
	})

	t.Run("key rotation", func(t *testing.T) {
		dir := privateDir(t)
		st, err := ociStore(t, dir, map[string]any{"module": signed.Ref.String(), "signature": sig})
		if err != nil {
			t.Fatal(err)
		}
		st.Close()
		// The publisher signs with a new key and attaches the bundle; the
		// operator trusts only the new key. The cached bundles do not
		// verify, so the registry is asked once more.
		bob := modsigtest.NewSigner(t)
		c, _ := oci.OpenCache(filepath.Join(t.TempDir(), "x"))
		if _, err := (&oci.Client{Cache: c}).AttachBundle(context.Background(), signed.Ref, bob.Sign(t, wasm)); err != nil {
			t.Fatal(err)
		}
		st, err = ociStore(t, dir, map[string]any{"module": signed.Ref.String(), "signature": map[string]any{"key": bob.Pub}})
		if err != nil {
			t.Fatalf("after rotation: %v", err)
		}
		if d := st.Describe().Summary; !strings.Contains(d, bob.Pub) {
			t.Fatalf("describe: %s", d)
		}
		st.Close()
		// And the new bundle is cached: with the registry down it loads.
		reg.Stop()
		defer reg.Restart()
		st, err = ociStore(t, dir, map[string]any{"module": signed.Ref.String(), "signature": map[string]any{"key": bob.Pub}})
		if err != nil {
			t.Fatalf("offline after rotation: %v", err)
		}
		st.Close()
	})

	t.Run("bad policy", func(t *testing.T) {
		_, err := ociStore(t, privateDir(t), map[string]any{"module": signed.Ref.String(), "signature": map[string]any{"certificate_identity": "a@b"}})
		var ce *secret.ConfigError
		if !errors.As(err, &ce) || ce.Key != "signature" {
			t.Fatalf("err = %v, want a ConfigError on signature", err)
		}
	})
}

// TestSignatureNullWarns: a store that writes signature: null opts out of
// verification — a top-level modules.signature included, since config
// keeps a store's own key — so it loads an unsigned module; check must
// then say so, naming the setting, while a store that simply has no
// signature section gets no such warning.
func TestSignatureNullWarns(t *testing.T) {
	wasm := okModule(6)
	path := filepath.Join(t.TempDir(), "store.wasm")
	if err := os.WriteFile(path, wasm, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		settings map[string]any
		warn     bool
	}{
		{"signature: null", map[string]any{"module": path, "sha256": oci.Digest(wasm), "signature": nil}, true},
		{"no signature section", map[string]any{"module": path, "sha256": oci.Digest(wasm)}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, err := ociStore(t, privateDir(t), tc.settings)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			warned := slices.ContainsFunc(st.Describe().Warnings, func(w string) bool {
				return strings.Contains(w, "signature: null") && strings.Contains(w, "modules.signature")
			})
			if warned != tc.warn {
				t.Fatalf("warned = %v, want %v: %q", warned, tc.warn, st.Describe().Warnings)
			}
		})
	}
}
