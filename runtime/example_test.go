package runtime_test

import (
	"context"
	"fmt"

	w "github.com/latchkey/latchkey/internal/wasmtest"
	lkruntime "github.com/latchkey/latchkey/runtime"
)

// ExampleInspect reports what `latchkey module inspect` prints: a module's
// ABI version, its imports, and why the host would refuse it.
func ExampleInspect() {
	mod := w.Guest(w.I32Const(0))
	mod.Imports = append(mod.Imports, w.NewImport("wasi_snapshot_preview1", "path_open",
		[]byte{w.I32, w.I32, w.I32, w.I32, w.I32, w.I64, w.I64, w.I32, w.I32}, []byte{w.I32}))
	info, err := lkruntime.Inspect(context.Background(), mod.Encode(), lkruntime.Limits{})
	if err != nil {
		panic(err)
	}
	fmt.Println("ABI versions:", info.ABIVersions)
	fmt.Println("imports:", len(info.Imports), "first:", info.Imports[0])
	for _, p := range info.Problems {
		fmt.Println("problem:", p)
	}
	// Output:
	// ABI versions: [1]
	// imports: 8 first: func latchkey_v1.input_read(i32, i32, i32) (i32)
	// problem: imports wasi_snapshot_preview1.path_open, which the sandbox does not provide (no filesystem, sockets or other WASI calls beyond clocks, random, exit and stdout/stderr)
}
