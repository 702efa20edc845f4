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
