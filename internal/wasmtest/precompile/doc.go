// Package precompile holds a test, TestPrecompile, that compiles Wasm
// modules into a compilation cache directory the way the runtime does.
// wasmtest.Build runs it in a separate, race-free test binary, because
// compiling a Go guest inside a test binary built with -race takes ten
// times longer. It is a test, not a command, because wazero keys its cache
// by its own version, which test binaries report as "dev":
//
//	LATCHKEY_PRECOMPILE_CACHE=DIR LATCHKEY_PRECOMPILE_FILES=a.wasm \
//	    go test -run TestPrecompile -count=1 ./internal/wasmtest/precompile
package precompile
