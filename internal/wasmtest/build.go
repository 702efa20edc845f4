// Package wasmtest builds and assembles the Wasm modules that Latchkey's
// tests run: Go guests built from source (with the command written next to
// them, in each guest's doc comment) and small hand-assembled modules for
// hostile behaviour that Go cannot express.
//
// Built modules are cached under the system's temporary directory, keyed by
// a digest of their sources and the Go version, so that the packages of one
// test run (and later runs) build each guest once.
package wasmtest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"
)

// BuildCommand is the command that builds a Go guest, run in its directory.
const BuildCommand = "GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -trimpath -o OUT.wasm ."

// RepoRoot returns the directory of the Latchkey module, found by walking up
// from the working directory.
func RepoRoot(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && len(b) > 0 &&
			slices.Contains(strings.Split(string(b), "\n"), "module github.com/latchkey/latchkey") {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("wasmtest: no enclosing github.com/latchkey/latchkey module")
		}
		dir = parent
	}
}

// Build builds the Go guest in dir (relative to the repository root; a
// directory with its own go.mod) and returns the path of the .wasm file.
// It skips the test when the go command is missing.
func Build(tb testing.TB, dir string) string {
	tb.Helper()
	root := RepoRoot(tb)
	src := filepath.Join(root, dir)
	goBin, err := exec.LookPath("go")
	if err != nil {
		tb.Skip("wasmtest: the go command is needed to build Wasm guests and was not found on PATH")
	}
	key, err := digest(src, filepath.Join(root, "guest-sdk"))
	if err != nil {
		tb.Fatal(err)
	}
	out := filepath.Join(TempDir(tb), filepath.Base(dir)+"-"+key[:16]+".wasm")
	if _, err := os.Stat(out); err == nil {
		return out
	}
	defer precompile(tb, goBin, root, out)
	tmp := fmt.Sprintf("%s.%d.tmp", out, os.Getpid())
	cmd := exec.Command(goBin, "build", "-buildmode=c-shared", "-trimpath", "-o", tmp, ".")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "GOWORK=off", "CGO_ENABLED=0", "GOFLAGS=")
	if b, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("wasmtest: building %s (%s): %v\n%s", dir, BuildCommand, err, b)
	}
	if err := os.Rename(tmp, out); err != nil {
		tb.Fatal(err)
	}
	return out
}

// TempDir returns the directory, private to the user, where built guests
// and the tests' compilation cache live. tb may be nil (in TestMain): a
// failure then panics.
func TempDir(tb testing.TB) string {
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("latchkey-wasmtest-%d", os.Getuid()))
	err := os.MkdirAll(dir, 0o700)
	if err == nil {
		err = os.Chmod(dir, 0o700)
	}
	if err != nil {
		if tb == nil {
			panic(err)
		}
		tb.Fatal(err)
	}
	return dir
}

// CacheDir returns the compilation cache directory shared by tests; tb may
// be nil.
func CacheDir(tb testing.TB) string {
	return filepath.Join(TempDir(tb), "wazero-cache")
}

// digest hashes every file under dirs, with the Go version.
func digest(dirs ...string) (string, error) {
	h := sha256.New()
	fmt.Fprintln(h, runtime.Version())
	for _, d := range dirs {
		var files []string
		err := filepath.WalkDir(d, func(p string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !e.IsDir() && filepath.Ext(p) != ".wasm" {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			return "", err
		}
		sort.Strings(files)
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				return "", err
			}
			fmt.Fprintf(h, "%s %d\n", f, len(b))
			h.Write(b)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// precompile fills the tests' compilation cache with path's native code, in
// a process of its own (see package precompile).
func precompile(tb testing.TB, goBin, root, path string) {
	if tb.Failed() {
		return
	}
	cmd := exec.Command(goBin, "test", "-count=1", "-run=TestPrecompile", "./internal/wasmtest/precompile")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOFLAGS=", "LATCHKEY_PRECOMPILE_CACHE="+CacheDir(tb), "LATCHKEY_PRECOMPILE_FILES="+path)
	if b, err := cmd.CombinedOutput(); err != nil {
		tb.Logf("wasmtest: precompiling %s failed (tests will compile it themselves): %v\n%s", path, err, b)
	}
}
