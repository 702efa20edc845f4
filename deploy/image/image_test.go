package main

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// TestBuildAndPush builds the image and pushes it to Debian's
// docker-registry on loopback, then pulls it back by digest: one layer,
// /latchkey executable, the entrypoint set.
func TestBuildAndPush(t *testing.T) {
	reg, err := exec.LookPath("docker-registry")
	if err != nil {
		t.Skip("docker-registry not installed (Debian package docker-registry)")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("version: 0.1\nlog: {level: error}\nstorage: {filesystem: {rootdirectory: %s}}\nhttp: {addr: %s}\n", filepath.Join(dir, "data"), addr)), 0o600)
	cmd := exec.Command(reg, "serve", cfg)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/v2/")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the registry did not start: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	ref := addr + "/latchkey:test"
	digestRef, err := Build("../..", ref, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("pushed %s", digestRef)
	d, err := name.NewDigest(digestRef, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(d)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := img.Digest()
	if !strings.HasSuffix(digestRef, got.String()) {
		t.Errorf("pulled %s, pushed %s", got, digestRef)
	}
	cf, _ := img.ConfigFile()
	if len(cf.Config.Entrypoint) != 1 || cf.Config.Entrypoint[0] != "/latchkey" {
		t.Errorf("entrypoint %v", cf.Config.Entrypoint)
	}
	layers, _ := img.Layers()
	if len(layers) != 1 {
		t.Fatalf("%d layers, want 1", len(layers))
	}
	rc, _ := layers[0].Uncompressed()
	defer rc.Close()
	tr := tar.NewReader(rc)
	found := false
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if h.Name == "latchkey" {
			found = h.Mode&0o111 != 0 && h.Size > 1<<20
		}
	}
	if !found {
		t.Error("no executable /latchkey in the layer")
	}
}
