package runtime_test

import (
	"context"
	"errors"
	"os"
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

// TestRustVersionProbe: a Rust guest exported with export_store!(T,
// versioned) answers version probes and records the version of what it
// fetches; a probe that panics or returns an oversized or empty version is
// a clear error naming the module, and the module serves on. A Rust guest
// exported the 1.0 way has no latchkey_version and imports no
// version_set.
func TestRustVersionProbe(t *testing.T) {
	m, err := lkruntime.Load(context.Background(), wasmtest.BuildRust(t, "runtime/testdata/guests/version-rs"),
		lkruntime.Options{Name: "version-rs", AllowUnpinned: true, Cache: sharedCache, Limits: lkruntime.Limits{CallTimeout: 2 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close(context.Background())
	if !m.CanVersion() {
		t.Fatal("export_store!(T, versioned) exported no latchkey_version")
	}
	if vr, err := m.Version(context.Background(), lkruntime.Request{Name: "db"}); err != nil || vr.Version != "v-db" {
		t.Fatalf("Version = %q, %v", vr.Version, err)
	}
	for _, name := range []string{"db", "twice"} {
		v, err := m.Get(context.Background(), lkruntime.Request{Name: name})
		if err != nil || v.Value.RevealString() != "value of "+name || v.Version != "v-"+name {
			t.Fatalf("Get(%s) = %q, %v, version %q", name, v.Value.RevealString(), err, v.Version)
		}
	}
	tests := []struct {
		name string
		want error
		msg  string
	}{
		{"panic", lkruntime.ErrCrashed, "instance discarded"},
		{"big", lkruntime.ErrCrashed, "a version of 300 bytes, over the limit of 256 bytes"},
		{"empty", secret.ErrUnavailable, "empty version"},
		{"absent", secret.ErrNotFound, `secret "absent"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := m.Version(context.Background(), lkruntime.Request{Name: tc.name})
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), `wasm module "version-rs": version "`+tc.name+`"`) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("Version(%s) = %v; want %v naming the module, with %q", tc.name, err, tc.want, tc.msg)
			}
			if vr, err := m.Version(context.Background(), lkruntime.Request{Name: "db"}); err != nil || vr.Version != "v-db" {
				t.Fatalf("after it, Version = %q, %v", vr.Version, err)
			}
		})
	}

	b, err := os.ReadFile(behaveRust(t))
	if err != nil {
		t.Fatal(err)
	}
	info, err := lkruntime.Inspect(context.Background(), b, lkruntime.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range append(info.Imports, info.Exports...) {
		if f.Name == "version_set" || f.Name == "latchkey_version" {
			t.Fatalf("a Rust guest exported with export_store!(T) has %s", f)
		}
	}
}
