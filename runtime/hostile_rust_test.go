package runtime_test

import (
	"context"
	"errors"
	"strings"
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
	path := behaveRust(t)
	tests := []struct {
		name   string
		req    string
		limits lkruntime.Limits
		want   []error
		msg    string
		log    []string
	}{
		{"panic", "panic", lkruntime.Limits{},
			[]error{lkruntime.ErrCrashed, secret.ErrUnavailable}, "instance discarded", []string{"level=ERROR", "the module panicked at", "main.rs", "message withheld"}},
		{"unwrap of an error", "unwrap", lkruntime.Limits{},
			[]error{lkruntime.ErrCrashed, secret.ErrUnavailable}, "instance discarded", []string{"the module panicked at", "message withheld"}},
		{"out of memory", "oom", lkruntime.Limits{MemoryPages: 512},
			[]error{lkruntime.ErrCrashed, secret.ErrUnavailable}, "instance discarded", []string{"stream=stderr", "memory allocation of 1048576 bytes failed"}},
		{"stack overflow", "recurse", lkruntime.Limits{},
			[]error{lkruntime.ErrCrashed, secret.ErrUnavailable}, "instance discarded", nil},
		{"infinite loop", "spin", lkruntime.Limits{CallTimeout: 300 * time.Millisecond},
			[]error{context.DeadlineExceeded, lkruntime.ErrCrashed, secret.ErrUnavailable}, "time limit of 300ms", nil},
		{"sleep forever", "sleep", lkruntime.Limits{CallTimeout: 300 * time.Millisecond},
			[]error{context.DeadlineExceeded, lkruntime.ErrCrashed}, "time limit", nil},
		{"result over the cap", "big:2000000", lkruntime.Limits{MaxOutput: 1 << 20},
			[]error{lkruntime.ErrCrashed}, "exceeds the limit of 1048576 bytes", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			logs := &logBuffer{}
			m := load(t, path, lkruntime.Options{Name: "hostile-rs", Limits: tc.limits, Logger: logs.logger()})
			stillServes(t, m, "value:ok", "ok") // an instance is warm before the hostile call
			start := time.Now()
			_, err := m.Get(context.Background(), lkruntime.Request{Name: tc.req})
			if err == nil {
				t.Fatal("hostile call succeeded")
			}
			for _, want := range tc.want {
				if !errors.Is(err, want) {
					t.Errorf("error does not wrap %v: %v", want, err)
				}
			}
			mustContain(t, "error", err.Error(), `wasm module "hostile-rs"`, tc.msg)
			mustContain(t, "log", logs.String(), tc.log...)
			if strings.Contains(err.Error()+logs.String(), "secret-looking") {
				t.Errorf("a panic's message reached the error or the log:\n%v\n%s", err, logs)
			}
			if took := time.Since(start); took > 20*time.Second {
				t.Errorf("containment took %v", took)
			}
			before := m.Stats()
			stillServes(t, m, "value:again", "again")
			if after := m.Stats(); after.Created != before.Created+1 {
				t.Errorf("the failed instance was reused (created %d → %d)", before.Created, after.Created)
			}
		})
	}
}
