package oci_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/runtime/oci"
	"github.com/latchkey/latchkey/runtime/oci/ocitest"
)

// TestHostileRegistry puts a proxy that rewrites answers between the
// client and a real registry, as a network attacker or a compromised
// registry would: a module layer with a flipped byte, a manifest swapped
// for another one under the pinned digest. Both are refused as digest
// mismatches, and nothing is cached.
func TestHostileRegistry(t *testing.T) {
	reg := ocitest.Start(t)
	ctx := context.Background()
	wasm, other := module(t, 30), module(t, 31)
	c := newClient(t, cacheDir(t))
	p, err := c.Push(ctx, mustRef(t, "oci://"+reg.Host+"/stores/mitm:v1"), wasm, oci.PushOptions{})
	if err != nil {
		t.Fatal(err)
	}
	q, err := c.Push(ctx, mustRef(t, "oci://"+reg.Host+"/stores/mitm:v2"), other, oci.PushOptions{})
	if err != nil {
		t.Fatal(err)
	}
	target, _ := url.Parse("http://" + reg.Host)
	tests := []struct {
		name    string
		rewrite func(r *http.Response) error
	}{
		{"flipped layer byte", func(r *http.Response) error {
			if !strings.HasSuffix(r.Request.URL.Path, "/blobs/"+p.Layer) {
				return nil
			}
			b, _ := io.ReadAll(r.Body)
			b[len(b)-1] ^= 1
			r.Body = io.NopCloser(bytes.NewReader(b))
			return nil
		}},
		{"swapped manifest", func(r *http.Response) error {
			if !strings.Contains(r.Request.URL.Path, "/manifests/") {
				return nil
			}
			// Serve v2's manifest, claiming the pinned digest.
			resp, err := http.Get("http://" + reg.Host + "/v2/stores/mitm/manifests/" + q.Manifest)
			if err != nil {
				return err
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			r.Body = io.NopCloser(bytes.NewReader(b))
			r.ContentLength = int64(len(b))
			r.Header.Set("Content-Length", strconv.Itoa(len(b)))
			return nil
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			proxy := httputil.NewSingleHostReverseProxy(target)
			proxy.ModifyResponse = tc.rewrite
			srv := httptest.NewServer(proxy)
			defer srv.Close()
			host := strings.TrimPrefix(srv.URL, "http://")
			dir := cacheDir(t)
			ref := mustRef(t, "oci://"+host+"/stores/mitm:v1@"+p.Manifest)
			_, err := newClient(t, dir).Pull(ctx, ref, "")
			if !errors.Is(err, oci.ErrDigestMismatch) {
				t.Fatalf("err = %v, want ErrDigestMismatch", err)
			}
			cache, _ := oci.OpenCache(dir)
			if cache.Has(p.Manifest) || cache.Has(p.Layer) {
				t.Fatal("a refused artifact was cached")
			}
		})
	}
}

// TestHostileManifestDigests: a registry (or a proxy in front of one)
// that serves, for an unpinned tag, a manifest whose layer digest is
// missing or malformed, with a Docker-Content-Digest matching its own
// bytes, gets the pull refused as a media-type error: before cbfd973 a
// missing digest panicked the client (go-digest's Algorithm).
func TestHostileManifestDigests(t *testing.T) {
	reg := ocitest.Start(t)
	ctx := context.Background()
	c := newClient(t, cacheDir(t))
	p, err := c.Push(ctx, mustRef(t, "oci://"+reg.Host+"/stores/digests:v1"), module(t, 32), oci.PushOptions{})
	if err != nil {
		t.Fatal(err)
	}
	target, _ := url.Parse("http://" + reg.Host)
	for _, tc := range []struct{ name, replacement string }{
		{"no digest", ``}, {"empty", `"digest":"",`}, {"no colon", `"digest":"sha256",`}, {"md5", `"digest":"md5:abc",`},
	} {
		replacement := tc.replacement
		t.Run(tc.name, func(t *testing.T) {
			proxy := httputil.NewSingleHostReverseProxy(target)
			proxy.ModifyResponse = func(r *http.Response) error {
				if !strings.Contains(r.Request.URL.Path, "/manifests/") || r.Request.Method != http.MethodGet {
					return nil
				}
				b, _ := io.ReadAll(r.Body)
				b = bytes.Replace(b, []byte(`"digest":"`+p.Layer+`",`), []byte(replacement), 1)
				r.Body = io.NopCloser(bytes.NewReader(b))
				r.ContentLength = int64(len(b))
				r.Header.Set("Content-Length", strconv.Itoa(len(b)))
				r.Header.Set("Docker-Content-Digest", oci.Digest(b))
				return nil
			}
			srv := httptest.NewServer(proxy)
			defer srv.Close()
			host := strings.TrimPrefix(srv.URL, "http://")
			dir := cacheDir(t)
			_, err := newClient(t, dir).Pull(ctx, mustRef(t, "oci://"+host+"/stores/digests:v1"), "")
			if !errors.Is(err, oci.ErrMediaType) {
				t.Fatalf("err = %v, want ErrMediaType", err)
			}
			if cache, _ := oci.OpenCache(dir); cache.Has(p.Layer) || cache.Has(p.Manifest) {
				t.Fatal("a refused artifact was cached")
			}
		})
	}
}
