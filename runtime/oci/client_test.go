package oci_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/latchkey/latchkey/internal/wasmtest"
	"github.com/latchkey/latchkey/runtime/oci"
	"github.com/latchkey/latchkey/runtime/oci/ocitest"
)

// module returns a small valid store module declaring hosts, so that the
// config's copy of its capability section can be checked.
func module(t *testing.T, marker int32) []byte {
	t.Helper()
	b := wasmtest.Guest(wasmtest.I32Const(marker)).Encode()
	return append(b, wasmtest.CustomSection("latchkey.capabilities", []byte(`{"version":1,"hosts":["vault.example.com"],"credentials":["token"]}`))...)
}

func newClient(t *testing.T, dir string) *oci.Client {
	t.Helper()
	c, err := oci.OpenCache(dir)
	if err != nil {
		t.Fatal(err)
	}
	return &oci.Client{Cache: c, DockerConfig: filepath.Join(t.TempDir(), "config.json")}
}

// cacheDir is a directory the cache creates (0700), as it creates
// cache_dir's subdirectory in a store.
func cacheDir(t *testing.T) string { return filepath.Join(t.TempDir(), "modules") }

func mustRef(t *testing.T, s string) oci.Ref {
	t.Helper()
	r, err := oci.ParseRef(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestPushPull(t *testing.T) {
	reg := ocitest.Start(t)
	ctx := context.Background()
	wasm := module(t, 1)
	c := newClient(t, cacheDir(t))
	ref := mustRef(t, "oci://"+reg.Host+"/stores/vault:v1")
	p, err := c.Push(ctx, ref, wasm, oci.PushOptions{Title: "vault.wasm"})
	if err != nil {
		t.Fatal(err)
	}
	if p.Layer != oci.Digest(wasm) {
		t.Fatalf("layer %s, want %s", p.Layer, oci.Digest(wasm))
	}
	// A fresh cache: the tag is resolved at the registry.
	c2 := newClient(t, cacheDir(t))
	a, err := c2.Pull(ctx, ref, "")
	if err != nil {
		t.Fatal(err)
	}
	if a.FromCache || !bytes.Equal(a.Wasm, wasm) || a.Manifest != p.Manifest || a.Layer != p.Layer {
		t.Fatalf("pulled %+v", a)
	}
	if c := a.Config.Capabilities; c == nil || len(c.Hosts) != 1 || c.Hosts[0] != "vault.example.com" || c.Credentials[0] != "token" {
		t.Fatalf("config capabilities %+v", a.Config.Capabilities)
	}
	// The digest reference is now served by the cache.
	a, err = c2.Pull(ctx, ref.WithDigest(p.Manifest), "")
	if err != nil || !a.FromCache || !bytes.Equal(a.Wasm, wasm) {
		t.Fatalf("pull by digest: %+v, %v", a, err)
	}
	d, err := c2.Describe(ctx, ref)
	if err != nil || d.Manifest != p.Manifest || !d.Cached || d.Config.Capabilities == nil || d.Layer.Size != int64(len(wasm)) {
		t.Fatalf("describe: %+v, %v", d, err)
	}
}

func TestRestartServedFromCache(t *testing.T) {
	reg := ocitest.Start(t)
	ctx := context.Background()
	wasm := module(t, 2)
	dir := cacheDir(t)
	ref := mustRef(t, "oci://"+reg.Host+"/stores/vault:v2")
	p, err := newClient(t, dir).Push(ctx, ref, wasm, oci.PushOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newClient(t, dir).Pull(ctx, ref.WithDigest(p.Manifest), ""); err != nil {
		t.Fatal(err)
	}
	reg.Stop()
	// A new process (a new client on the same directory) with the registry
	// down.
	tests := []struct {
		name string
		ref  oci.Ref
		pin  string
	}{
		{"digest", ref.WithDigest(p.Manifest), ""},
		{"digest only", oci.Ref{Registry: ref.Registry, Repository: ref.Repository, Digest: p.Manifest}, ""},
		{"tag with pin", ref, p.Layer},
		{"tag unpinned (last pull)", ref, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := newClient(t, dir).Pull(ctx, tc.ref, tc.pin)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a.Wasm, wasm) || a.Manifest != p.Manifest {
				t.Fatalf("got %+v", a)
			}
		})
	}
	t.Run("not cached", func(t *testing.T) {
		other := ref.WithDigest(oci.Digest([]byte("not pushed")))
		_, err := newClient(t, dir).Pull(ctx, other, "")
		if !errors.Is(err, oci.ErrUnreachable) {
			t.Fatalf("err = %v, want ErrUnreachable", err)
		}
		for _, want := range []string{other.String(), other.Digest, "unreachable"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not name %q", err, want)
			}
		}
	})
	t.Run("offline", func(t *testing.T) {
		c := newClient(t, dir)
		c.Offline = true
		reg.Restart()
		defer reg.Stop()
		if _, err := c.Pull(ctx, ref.WithDigest(p.Manifest), ""); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Pull(ctx, mustRef(t, "oci://"+reg.Host+"/stores/vault:other"), ""); !errors.Is(err, oci.ErrUnreachable) {
			t.Fatalf("offline pull of an uncached tag: %v", err)
		}
	})
}

func TestPinMismatch(t *testing.T) {
	reg := ocitest.Start(t)
	ctx := context.Background()
	c := newClient(t, cacheDir(t))
	ref := mustRef(t, "oci://"+reg.Host+"/stores/pin:v1")
	p, err := c.Push(ctx, ref, module(t, 3), oci.PushOptions{})
	if err != nil {
		t.Fatal(err)
	}
	other := oci.Digest(module(t, 4))
	t.Run("tag with the pin of another module", func(t *testing.T) {
		_, err := newClient(t, cacheDir(t)).Pull(ctx, ref, other)
		if !errors.Is(err, oci.ErrDigestMismatch) || !strings.Contains(err.Error(), other) || !strings.Contains(err.Error(), p.Layer) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("tag moved after a pinned pull", func(t *testing.T) {
		dir := cacheDir(t)
		if _, err := newClient(t, dir).Pull(ctx, ref, p.Layer); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Push(ctx, ref, module(t, 5), oci.PushOptions{}); err != nil {
			t.Fatal(err)
		}
		// Cached: still the pinned module, without asking the registry.
		a, err := newClient(t, dir).Pull(ctx, ref, p.Layer)
		if err != nil || a.Layer != p.Layer {
			t.Fatalf("pinned pull after the tag moved: %v", err)
		}
		// Not cached: the registry's tag now names another module.
		_, err = newClient(t, cacheDir(t)).Pull(ctx, ref, p.Layer)
		if !errors.Is(err, oci.ErrDigestMismatch) {
			t.Fatalf("err = %v, want ErrDigestMismatch", err)
		}
	})
	t.Run("unknown manifest digest", func(t *testing.T) {
		_, err := newClient(t, cacheDir(t)).Pull(ctx, ref.WithDigest(other), "")
		if !errors.Is(err, oci.ErrNotFound) || !strings.Contains(err.Error(), other) {
			t.Fatalf("err = %v, want ErrNotFound naming the digest", err)
		}
	})
}

func TestTamperedCache(t *testing.T) {
	reg := ocitest.Start(t)
	ctx := context.Background()
	wasm := module(t, 6)
	ref := mustRef(t, "oci://"+reg.Host+"/stores/tamper:v1")
	p, err := newClient(t, cacheDir(t)).Push(ctx, ref, wasm, oci.PushOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{"layer", "manifest"} {
		t.Run(target, func(t *testing.T) {
			dir := cacheDir(t)
			pinned := ref.WithDigest(p.Manifest)
			if _, err := newClient(t, dir).Pull(ctx, pinned, ""); err != nil {
				t.Fatal(err)
			}
			d := map[string]string{"layer": p.Layer, "manifest": p.Manifest}[target]
			path := filepath.Join(dir, "blobs", "sha256", strings.TrimPrefix(d, "sha256:"))
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			// An attacker with write access swaps one byte, keeping the size.
			b[len(b)-1] ^= 1
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err = newClient(t, dir).Pull(ctx, pinned, "")
			if !errors.Is(err, oci.ErrTampered) {
				t.Fatalf("err = %v, want ErrTampered", err)
			}
			for _, want := range []string{pinned.String(), d, path} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not name %q", err, want)
				}
			}
		})
	}
	t.Run("cache readable by others", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if _, err := oci.OpenCache(dir); err == nil || !strings.Contains(err.Error(), "chmod 700") {
			t.Fatalf("OpenCache of a 0755 directory: %v", err)
		}
	})
}

// pushRaw pushes a manifest built by oras-go with the given config and
// layer media types, as another tool would.
func pushRaw(t *testing.T, host, repoName, tag, configType string, layers map[string][]byte) {
	t.Helper()
	ctx := context.Background()
	repo, err := remote.NewRepository(host + "/" + repoName)
	if err != nil {
		t.Fatal(err)
	}
	repo.PlainHTTP = true
	cfg := []byte(`{"architecture":"wasm","os":"wasip1"}`)
	cfgDesc := content.NewDescriptorFromBytes(configType, cfg)
	if err := repo.Push(ctx, cfgDesc, bytes.NewReader(cfg)); err != nil {
		t.Fatal(err)
	}
	var descs []ocispec.Descriptor
	for mt, b := range layers {
		d := content.NewDescriptorFromBytes(mt, b)
		if err := repo.Push(ctx, d, bytes.NewReader(b)); err != nil {
			t.Fatal(err)
		}
		descs = append(descs, d)
	}
	md, err := oras.PackManifest(ctx, repo, oras.PackManifestVersion1_1, "", oras.PackManifestOptions{ConfigDescriptor: &cfgDesc, Layers: descs})
	if err != nil {
		t.Fatal(err)
	}
	if err := repo.Tag(ctx, md, tag); err != nil {
		t.Fatal(err)
	}
}

func TestMediaTypes(t *testing.T) {
	reg := ocitest.Start(t)
	ctx := context.Background()
	wasm := module(t, 7)
	tests := []struct {
		name   string
		config string
		layers map[string][]byte
		ok     bool
	}{
		{"oras-go with the convention", oci.ConfigMediaType, map[string][]byte{oci.LayerMediaType: wasm}, true},
		{"image config", ocispec.MediaTypeImageConfig, map[string][]byte{oci.LayerMediaType: wasm}, false},
		{"tar layer", oci.ConfigMediaType, map[string][]byte{ocispec.MediaTypeImageLayer: wasm}, false},
		{"two layers", oci.ConfigMediaType, map[string][]byte{oci.LayerMediaType: wasm, "application/octet-stream": []byte("x")}, false},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tag := "t" + string(rune('a'+i))
			pushRaw(t, reg.Host, "stores/media", tag, tc.config, tc.layers)
			a, err := newClient(t, cacheDir(t)).Pull(ctx, mustRef(t, "oci://"+reg.Host+"/stores/media:"+tag), "")
			if tc.ok {
				if err != nil || !bytes.Equal(a.Wasm, wasm) {
					t.Fatalf("pull: %v", err)
				}
				return
			}
			if !errors.Is(err, oci.ErrMediaType) || !strings.Contains(err.Error(), "stores/media:"+tag) {
				t.Fatalf("err = %v, want ErrMediaType naming the reference", err)
			}
		})
	}
}

func TestBundleAttached(t *testing.T) {
	reg := ocitest.Start(t)
	ctx := context.Background()
	ref := mustRef(t, "oci://"+reg.Host+"/stores/signed:v1")
	bundle := []byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}`)
	first, err := newClient(t, cacheDir(t)).Push(ctx, ref, module(t, 8), oci.PushOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Pushing the same file again, now with its bundle, makes the same
	// manifest: pins stay valid when a signature is added.
	p, err := newClient(t, cacheDir(t)).Push(ctx, ref, module(t, 8), oci.PushOptions{Bundle: bundle})
	if err != nil {
		t.Fatal(err)
	}
	if p.Bundle == "" || p.Manifest != first.Manifest {
		t.Fatalf("second push: manifest %s (first %s), bundle %q", p.Manifest, first.Manifest, p.Bundle)
	}
	dir := cacheDir(t)
	a, err := newClient(t, dir).Pull(ctx, ref, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Bundles) != 1 || !bytes.Equal(a.Bundles[0], bundle) {
		t.Fatalf("bundles %q", a.Bundles)
	}
	reg.Stop()
	a, err = newClient(t, dir).Pull(ctx, ref.WithDigest(p.Manifest), "")
	if err != nil || len(a.Bundles) != 1 {
		t.Fatalf("cached pull: bundles %d, %v", len(a.Bundles), err)
	}
}

func TestPushRefusesNonWasm(t *testing.T) {
	c := newClient(t, cacheDir(t))
	ref := mustRef(t, "oci://127.0.0.1:1/x:v1")
	if _, err := c.Push(context.Background(), ref, []byte("#!/bin/sh"), oci.PushOptions{}); err == nil || !strings.Contains(err.Error(), "not a Wasm binary") {
		t.Fatalf("err = %v", err)
	}
	bad := append(wasmtest.Guest(wasmtest.I32Const(0)).Encode(), wasmtest.CustomSection("latchkey.capabilities", []byte(`{"version":2}`))...)
	if _, err := c.Push(context.Background(), ref, bad, oci.PushOptions{}); err == nil || !strings.Contains(err.Error(), "capabilities") {
		t.Fatalf("err = %v", err)
	}
	_ = json.Valid
}
