package wasmtest

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// RustSDK is the Rust guest SDK's crate root, relative to the repository
// root.
const RustSDK = "guest-sdk/rust/src/lib.rs"

// RustBuildCommand is how a Rust guest is built (its build.sh says the
// same): the SDK as an rlib, then the guest's main.rs as a cdylib, with
// Debian's rustc and no cargo.
const RustBuildCommand = "rustc --edition 2021 --crate-type rlib --crate-name latchkey_guest --target wasm32-wasi -C opt-level=s -C target-feature=+bulk-memory -o SDK.rlib " + RustSDK +
	" && rustc --edition 2021 --crate-type cdylib --target wasm32-wasi -C opt-level=s -C target-feature=+bulk-memory -C lto -C strip=symbols --extern latchkey_guest=SDK.rlib -o OUT.wasm main.rs"

// rustMissing is the skip message when no rustc can build for wasm32-wasi.
const rustMissing = "wasmtest: no rustc with the wasm32-wasi target and its linker rust-lld; install Debian's packages rustc, libstd-rust-dev-wasm32 and lld (apt-get install rustc libstd-rust-dev-wasm32 lld)"

// Rust describes a rustc that can build Wasm guests.
type Rust struct {
	Path    string // the rustc binary
	Target  string // "wasm32-wasi" (Debian, rustc < 1.84) or "wasm32-wasip1"
	Version string // rustc --version
}

var (
	rustOnce  sync.Once
	rustFound *Rust
)

// FindRust returns a rustc that has a wasm32-wasi standard library, or
// skips the test naming the Debian packages to install. It prefers
// /usr/bin/rustc (Debian's) over one on PATH (often rustup's, which may
// lack the target); LATCHKEY_RUSTC overrides both.
func FindRust(tb testing.TB) *Rust {
	tb.Helper()
	rustOnce.Do(func() { rustFound = findRust() })
	if rustFound == nil {
		tb.Skip(rustMissing)
	}
	return rustFound
}

// RustAvailable reports whether [FindRust] would find a rustc, without
// skipping.
func RustAvailable() bool {
	rustOnce.Do(func() { rustFound = findRust() })
	return rustFound != nil
}

func findRust() *Rust {
	candidates := []string{os.Getenv("LATCHKEY_RUSTC"), "/usr/bin/rustc"}
	if p, err := exec.LookPath("rustc"); err == nil {
		candidates = append(candidates, p)
	}
	for _, c := range candidates {
		if c == "" {
			continue
		}
		out, err := exec.Command(c, "--print", "sysroot").Output()
		if err != nil {
			continue
		}
		sysroot := strings.TrimSpace(string(out))
		for _, target := range []string{"wasm32-wasi", "wasm32-wasip1"} {
			libs, _ := filepath.Glob(filepath.Join(sysroot, "lib", "rustlib", target, "lib", "libstd-*.rlib"))
			if len(libs) == 0 || !haveRustLLD(sysroot) {
				continue
			}
			v, err := exec.Command(c, "--version").Output()
			if err != nil {
				continue
			}
			return &Rust{Path: c, Target: target, Version: strings.TrimSpace(string(v))}
		}
	}
	return nil
}

// haveRustLLD reports whether the linker rustc uses for wasm32 exists:
// rustup ships it in the sysroot, Debian as /usr/bin/rust-lld, a symlink to
// lld-14 that dangles unless the lld package is installed (it is only a
// Recommends of libstd-rust-dev-wasm32). Stat follows the symlink, so a
// dangling one counts as missing.
func haveRustLLD(sysroot string) bool {
	if ms, _ := filepath.Glob(filepath.Join(sysroot, "lib", "rustlib", "*", "bin", "rust-lld")); len(ms) > 0 {
		for _, m := range ms {
			if _, err := os.Stat(m); err == nil {
				return true
			}
		}
	}
	_, err := exec.LookPath("rust-lld")
	return err == nil
}

// BuildRust builds the Rust guest in dir (relative to the repository root;
// a directory with a main.rs against the Rust SDK) and returns the path of
// the .wasm file, cached like [Build]'s. It skips the test when no rustc
// with the wasm32-wasi target exists.
func BuildRust(tb testing.TB, dir string) string {
	tb.Helper()
	return BuildRustDir(tb, filepath.Join(RepoRoot(tb), dir))
}

// BuildRustDir is [BuildRust] for a directory given by its absolute path
// (a test's temporary directory holding a main.rs, say).
func BuildRustDir(tb testing.TB, src string) string {
	tb.Helper()
	rs := FindRust(tb)
	root := RepoRoot(tb)
	dir := filepath.Base(src)
	key, err := digest(src, filepath.Join(root, filepath.Dir(RustSDK)))
	if err != nil {
		tb.Fatal(err)
	}
	key = digestString(key + rs.Version + rs.Target)
	out := filepath.Join(TempDir(tb), filepath.Base(dir)+"-"+key[:16]+".wasm")
	if _, err := os.Stat(out); err == nil {
		return out
	}
	if goBin, err := exec.LookPath("go"); err == nil {
		defer precompile(tb, goBin, root, out)
	}
	tmp, err := os.MkdirTemp(TempDir(tb), "rust-build-")
	if err != nil {
		tb.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	rlib := filepath.Join(tmp, "liblatchkey_guest.rlib")
	wasm := filepath.Join(tmp, "out.wasm")
	steps := [][]string{
		{"--edition", "2021", "--crate-type", "rlib", "--crate-name", "latchkey_guest", "--target", rs.Target,
			"-C", "opt-level=s", "-C", "target-feature=+bulk-memory", "-o", rlib, filepath.Join(root, RustSDK)},
		{"--edition", "2021", "--crate-type", "cdylib", "--crate-name", strings.ReplaceAll(filepath.Base(dir), "-", "_"), "--target", rs.Target,
			"-C", "opt-level=s", "-C", "target-feature=+bulk-memory", "-C", "lto", "-C", "strip=symbols", "--extern", "latchkey_guest=" + rlib, "-o", wasm, "main.rs"},
	}
	for _, args := range steps {
		cmd := exec.Command(rs.Path, args...)
		cmd.Dir = src
		if b, err := cmd.CombinedOutput(); err != nil {
			tb.Fatalf("wasmtest: building %s with %s (%s): %v\n%s", dir, rs.Path, RustBuildCommand, err, b)
		}
	}
	if err := os.Rename(wasm, out); err != nil {
		tb.Fatal(err)
	}
	return out
}

// RustTest compiles the crate at file (relative to the repository root)
// as a native test binary with rustc --test, linked against the Rust SDK
// when it is not the SDK itself, and runs it. It skips when no rustc
// exists; its output is logged.
func RustTest(tb testing.TB, file string) {
	tb.Helper()
	rs := FindRust(tb)
	root := RepoRoot(tb)
	// Reading the sources here, not only in rustc, lets go test's cache
	// see them: a changed .rs file reruns the test.
	if _, err := digest(filepath.Dir(filepath.Join(root, file)), filepath.Join(root, filepath.Dir(RustSDK))); err != nil {
		tb.Fatal(err)
	}
	tmp := tb.TempDir()
	bin := filepath.Join(tmp, "test")
	args := []string{"--edition", "2021", "--test", "-o", bin, filepath.Join(root, file)}
	if file != RustSDK {
		rlib := filepath.Join(tmp, "liblatchkey_guest.rlib")
		cmd := exec.Command(rs.Path, "--edition", "2021", "--crate-type", "rlib", "--crate-name", "latchkey_guest", "-o", rlib, filepath.Join(root, RustSDK))
		if b, err := cmd.CombinedOutput(); err != nil {
			tb.Fatalf("wasmtest: building the Rust SDK natively: %v\n%s", err, b)
		}
		args = append(args, "--extern", "latchkey_guest="+rlib)
	} else {
		args = append(args, "--crate-name", "latchkey_guest")
	}
	if b, err := exec.Command(rs.Path, args...).CombinedOutput(); err != nil {
		tb.Fatalf("wasmtest: rustc --test %s: %v\n%s", file, err, b)
	}
	b, err := exec.Command(bin).CombinedOutput()
	tb.Logf("%s\n%s", file, b)
	if err != nil {
		tb.Fatalf("wasmtest: the Rust tests of %s failed: %v", file, err)
	}
}

func digestString(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
