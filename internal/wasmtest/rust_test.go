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

// TestHaveRustLLD: Debian's rust-lld dangles without the lld package, and a
// rustc with a dangling linker must count as absent (the tests then skip
// naming lld) instead of failing every Rust build with "linker `rust-lld`
// not found".
func TestHaveRustLLD(t *testing.T) {
	empty := t.TempDir()
	t.Setenv("PATH", empty) // no rust-lld on PATH
	tests := []struct {
		name   string
		target string // what sysroot/lib/rustlib/x86_64-unknown-linux-gnu/bin/rust-lld points to; "" for no file
		want   bool
	}{
		{"no linker", "", false},
		{"dangling symlink, as Debian without lld", "/nonexistent/lld-14", false},
		{"linker present", "self", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sysroot := t.TempDir()
			bin := filepath.Join(sysroot, "lib", "rustlib", "x86_64-unknown-linux-gnu", "bin")
			if err := os.MkdirAll(bin, 0o755); err != nil {
				t.Fatal(err)
			}
			switch tc.target {
			case "":
			case "self":
				if err := os.WriteFile(filepath.Join(bin, "rust-lld"), []byte("#!/bin/sh\n"), 0o755); err != nil {
					t.Fatal(err)
				}
			default:
				if err := os.Symlink(tc.target, filepath.Join(bin, "rust-lld")); err != nil {
					t.Fatal(err)
				}
			}
			if got := haveRustLLD(sysroot); got != tc.want {
				t.Errorf("haveRustLLD = %v, want %v", got, tc.want)
			}
		})
	}
	t.Run("dangling on PATH", func(t *testing.T) {
		if err := os.Symlink("/nonexistent/lld-14", filepath.Join(empty, "rust-lld")); err != nil {
			t.Fatal(err)
		}
		if haveRustLLD(t.TempDir()) {
			t.Error("a dangling rust-lld on PATH counted as a linker")
		}
	})
}
