package runtime_test

import (
	"context"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/wasmtest"
	lkruntime "github.com/latchkey/latchkey/runtime"
	"github.com/latchkey/latchkey/secret"
)

func behaveRust(t testing.TB) string {
	return wasmtest.BuildRust(t, "runtime/testdata/guests/behave-rs")
}

// TestHostileRustGuest runs the misbehaviours of a Rust guest, the ones
// specific to Rust (a panic, which aborts, an allocation failure, a stack
// overflow) with the common ones: each traps or times out, fails with an
// error naming the module, discards the instance, and never puts the
// panic's message in the error or the log; the module then serves a good
// request from a fresh instance.
func TestHostileRustGuest(t *testing.T) {
	crash := []error{lkruntime.ErrCrashed, secret.ErrUnavailable}
	runHostile(t, behaveRust(t), "hostile-rs", []hostileCase{
		{name: "panic", req: "panic", want: crash, msg: "instance discarded",
			log: []string{"level=ERROR", "the module panicked at", "main.rs", "message withheld"}, crashed: true},
		{name: "unwrap of an error", req: "unwrap", want: crash, msg: "instance discarded",
			log: []string{"the module panicked at", "message withheld"}, crashed: true},
		{name: "out of memory", req: "oom", limits: lkruntime.Limits{MemoryPages: 512}, want: crash, msg: "instance discarded",
			log: []string{"stream=stderr", "memory allocation of 1048576 bytes failed"}, crashed: true},
		{name: "stack overflow", req: "recurse", want: crash, msg: "instance discarded", crashed: true},
		{name: "infinite loop", req: "spin", limits: lkruntime.Limits{CallTimeout: 300 * time.Millisecond},
			want: []error{context.DeadlineExceeded, lkruntime.ErrCrashed, secret.ErrUnavailable}, msg: "time limit of 300ms", crashed: true},
		{name: "sleep forever", req: "sleep", limits: lkruntime.Limits{CallTimeout: 300 * time.Millisecond},
			want: []error{context.DeadlineExceeded, lkruntime.ErrCrashed}, msg: "time limit", crashed: true},
		{name: "result over the cap", req: "big:2000000", limits: lkruntime.Limits{MaxOutput: 1 << 20},
			want: []error{lkruntime.ErrCrashed}, msg: "exceeds the limit of 1048576 bytes", crashed: true},
	})
}
