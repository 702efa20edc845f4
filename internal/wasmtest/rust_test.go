package wasmtest

import "testing"

// The Rust SDK's and the Rust example store's own unit tests, run natively
// with rustc --test.
func TestRustUnitTests(t *testing.T) {
	for _, file := range []string{RustSDK, "examples/stores/http-json-rs/main.rs"} {
		t.Run(file, func(t *testing.T) { RustTest(t, file) })
	}
}
