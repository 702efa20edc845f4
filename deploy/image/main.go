// Command image builds latchkey's container image without a container
// engine: the static binary (CGO_ENABLED=0) as one layer on an empty base,
// with go-containerregistry, and pushes it to a registry, printing the
// image's digest. It is its own module so that the main module does not
// depend on go-containerregistry.
//
//	go run . -src ../.. -ref 127.0.0.1:5000/latchkey:dev [-insecure]
package main

import (
	"archive/tar"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

func main() {
	src := flag.String("src", "../..", "the latchkey repository")
	ref := flag.String("ref", "", "where to push, e.g. registry.example/latchkey:v1 (required)")
	insecure := flag.Bool("insecure", false, "plain http to the registry (a loopback test registry)")
	flag.Parse()
	if *ref == "" {
		fmt.Fprintln(os.Stderr, "image: -ref is required")
		os.Exit(2)
	}
	digest, err := Build(*src, *ref, *insecure)
	if err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
	fmt.Println(digest)
}

// Build compiles src's cmd/latchkey statically, makes the image and pushes
// it to ref, returning ref@digest.
func Build(src, ref string, insecure bool) (string, error) {
	dir, err := os.MkdirTemp("", "latchkey-image-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "latchkey")
	cmd := exec.Command("go", "build", "-ldflags", "-s -w", "-o", bin, "./cmd/latchkey")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("building latchkey: %w", err)
	}
	img, err := Image(bin)
	if err != nil {
		return "", err
	}
	var opts []name.Option
	if insecure {
		opts = append(opts, name.Insecure)
	}
	tag, err := name.ParseReference(ref, opts...)
	if err != nil {
		return "", err
	}
	if err := remote.Write(tag, img); err != nil {
		return "", fmt.Errorf("pushing %s: %w", ref, err)
	}
	d, err := img.Digest()
	if err != nil {
		return "", err
	}
	return tag.Context().Digest(d.String()).String(), nil
}

// Image is the image of the binary at bin: one layer holding /latchkey
// (root-owned, 0755) and an empty /tmp, on no base; entrypoint /latchkey.
func Image(bin string) (v1.Image, error) {
	b, err := os.ReadFile(bin)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	epoch := time.Unix(0, 0)
	if err := tw.WriteHeader(&tar.Header{Name: "tmp/", Typeflag: tar.TypeDir, Mode: 0o1777, ModTime: epoch}); err != nil {
		return nil, err
	}
	if err := tw.WriteHeader(&tar.Header{Name: "latchkey", Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(b)), ModTime: epoch}); err != nil {
		return nil, err
	}
	if _, err := tw.Write(b); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf.Bytes())), nil })
	if err != nil {
		return nil, err
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", runtime.GOARCH
	cf.Config.Entrypoint = []string{"/latchkey"}
	cf.Config.Env = []string{"HOME=/tmp"}
	cf.Created = v1.Time{Time: epoch}
	return mutate.ConfigFile(img, cf)
}
