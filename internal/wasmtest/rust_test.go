package wasmtest

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The Rust SDK's and the Rust example store's own unit tests, run natively
// with rustc --test.
func TestRustUnitTests(t *testing.T) {
	for _, file := range []string{RustSDK, "examples/stores/http-json-rs/main.rs"} {
		t.Run(file, func(t *testing.T) { RustTest(t, file) })
	}
}

// TestRustDocExamples builds the store examples of the Rust SDK's README
// and crate documentation, so that they keep compiling.
func TestRustDocExamples(t *testing.T) {
	root := RepoRoot(t)
	read := func(p string) string {
		b, err := os.ReadFile(filepath.Join(root, p))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	readme := regexp.MustCompile("(?s)```rust\n(.*?)```").FindStringSubmatch(read("guest-sdk/rust/README.md"))
	doc := regexp.MustCompile("(?s)//! ```ignore\n(.*?)//! ```").FindStringSubmatch(read(RustSDK))
	if readme == nil || doc == nil {
		t.Fatal("no example found in the README or the crate documentation")
	}
	var lines []string
	for _, l := range strings.Split(doc[1], "\n") {
		lines = append(lines, strings.TrimPrefix(strings.TrimPrefix(l, "//!"), " "))
	}
	for name, src := range map[string]string{"readme": readme[1], "crate-doc": strings.Join(lines, "\n")} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), name)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "main.rs"), []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			BuildRustDir(t, dir)
		})
	}
}
