package runtime_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	w "github.com/latchkey/latchkey/internal/wasmtest"
	lkruntime "github.com/latchkey/latchkey/runtime"
	"github.com/latchkey/latchkey/secret"
)

// storeBytes writes s into memory at addr, one byte at a time.
func storeBytes(addr int32, s string) []byte {
	var out []byte
	for i := range len(s) {
		out = append(out, w.Code(w.I32Const(addr+int32(i)), w.I32Const(int32(s[i])), w.I32Store8(0))...)
	}
	return out
}

// expectStatus runs call (which leaves an i32) and traps unless it is want.
func expectStatus(call []byte, want int32) []byte {
	return w.Code(w.Block, call, w.I32Const(want), w.I32Eq, w.BrIf(0), w.Unreachable, w.End)
}

// setResult returns code that sets the result to s (stored at 0) and
// returns 0.
func setResult(s string) []byte {
	return w.Code(storeBytes(0, s), w.I32Const(0), w.I32Const(int32(len(s))), w.Call(w.FnResultSet), w.Drop, w.I32Const(0))
}

// versioned returns a guest whose latchkey_get records version "v7" and
// returns "value", and whose latchkey_version runs body.
func versioned(body []byte) w.Module {
	get := w.Code(storeBytes(100, "v7"),
		expectStatus(w.Code(w.I32Const(100), w.I32Const(2), w.Call(w.FnVersionSet)), 0),
		// A second version_set is out of order.
		expectStatus(w.Code(w.I32Const(100), w.I32Const(2), w.Call(w.FnVersionSet)), -7),
		setResult("value"))
	m := w.Guest(get)
	m.Funcs = append(m.Funcs, w.Func{Export: "latchkey_version", Results: []byte{w.I32}, Body: body})
	return m
}

func TestVersionExport(t *testing.T) {
	m, err := loadBytes(t, "versioned", versioned(setResult("v7")).Encode(), lkruntime.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !m.CanVersion() {
		t.Fatal("CanVersion = false for a module exporting latchkey_version")
	}
	for wasm, want := range map[string]bool{string(versioned(setResult("v7")).Encode()): true, string(w.Guest(setResult("v")).Encode()): false} {
		if info, err := lkruntime.Inspect(context.Background(), []byte(wasm), lkruntime.Limits{}); err != nil || info.VersionProbe != want {
			t.Fatalf("Inspect: VersionProbe = %v, %v; want %v", info.VersionProbe, err, want)
		}
	}
	vr, err := m.Version(context.Background(), lkruntime.Request{Name: "db"})
	v := vr.Version
	if err != nil || v != "v7" {
		t.Fatalf("Version = %q, %v; want v7", v, err)
	}
	val, err := m.Get(context.Background(), lkruntime.Request{Name: "db"})
	note := val
	if err != nil || val.Value.RevealString() != "value" {
		t.Fatalf("Get = %q, %v", val.Value.RevealString(), err)
	}
	if note.Version != "v7" {
		t.Fatalf("the fetch recorded version %q, want the v7 the guest set with version_set", note.Version)
	}
}

// TestOldModuleHasNoVersion: a module of ABI 1.0 (no latchkey_version)
// loads and serves as before, and Version says it cannot answer with an
// error wrapping errors.ErrUnsupported, without running the guest.
func TestOldModuleHasNoVersion(t *testing.T) {
	m, err := loadBytes(t, "old", w.Guest(setResult("value")).Encode(), lkruntime.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if m.CanVersion() {
		t.Fatal("CanVersion = true for a module without latchkey_version")
	}
	stillServes(t, m, "db", "value")
	_, err = m.Version(context.Background(), lkruntime.Request{Name: "db"})
	if !errors.Is(err, errors.ErrUnsupported) || !errors.Is(err, lkruntime.ErrNoVersion) || !strings.Contains(err.Error(), `wasm module "old"`) {
		t.Fatalf("Version of an old module = %v; want ErrNoVersion naming the module", err)
	}
	if s := m.Stats(); s.Created != 1 || s.Calls != 1 {
		t.Fatalf("stats %+v: Version ran the guest", s)
	}
}

// TestHostileVersionExport: a version export that traps, loops, returns an
// oversized, empty or unprintable version, or no result, fails with an
// error naming the module and the call, within the call's time limit, and
// the module then serves a fetch from a fresh instance.
func TestHostileVersionExport(t *testing.T) {
	limits := lkruntime.Limits{CallTimeout: 300 * time.Millisecond}
	tests := []struct {
		name string
		body []byte
		want []error
		msg  string
	}{
		{"trap", w.Code(w.Unreachable, w.I32Const(0)), []error{lkruntime.ErrCrashed, secret.ErrUnavailable}, "instance discarded"},
		{"infinite loop", w.Code(w.Loop, w.Br(0), w.End, w.I32Const(0)),
			[]error{lkruntime.ErrCrashed, context.DeadlineExceeded, secret.ErrUnavailable}, "time limit of 300ms"},
		{"oversized version", w.Code(w.I32Const(0), w.I32Const(4096), w.Call(w.FnResultSet), w.Drop, w.I32Const(0)),
			[]error{lkruntime.ErrCrashed, secret.ErrUnavailable}, "latchkey_version returned a version of 4096 bytes, over the limit of 256 bytes"},
		{"empty version", w.Code(w.I32Const(0), w.I32Const(0), w.Call(w.FnResultSet), w.Drop, w.I32Const(0)),
			[]error{secret.ErrUnavailable, secret.ErrBadVersion}, "it is empty"},
		{"control characters", w.Code(w.I32Const(0), w.I32Const(4), w.Call(w.FnResultSet), w.Drop, w.I32Const(0)),
			[]error{secret.ErrUnavailable, secret.ErrBadVersion}, "printable ASCII"},
		{"no result", w.I32Const(0), []error{secret.ErrUnavailable}, "latchkey_version returned without setting a result"},
		{"not found", w.Code(w.I32Const(1), w.I32Const(0), w.I32Const(0), w.Call(w.FnErrorSet), w.Drop, w.I32Const(0)),
			[]error{secret.ErrNotFound}, "not found"},
		{"version_set in a version call", w.Code(
			expectStatus(w.Code(w.I32Const(0), w.I32Const(1), w.Call(w.FnVersionSet)), -7), setResult("v1")), nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := loadBytes(t, "hostile-version", versioned(tc.body).Encode(), lkruntime.Options{Limits: limits})
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			vr, err := m.Version(context.Background(), lkruntime.Request{Name: "db"})
			v := vr.Version
			if took := time.Since(start); took > 5*time.Second {
				t.Fatalf("Version took %v", took)
			}
			if tc.want == nil {
				if err != nil || v != "v1" {
					t.Fatalf("Version = %q, %v", v, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Version = %q, want an error", v)
			}
			for _, want := range tc.want {
				if !errors.Is(err, want) {
					t.Errorf("error %v does not wrap %v", err, want)
				}
			}
			if msg := err.Error(); !strings.Contains(msg, `wasm module "hostile-version": version "db"`) || !strings.Contains(msg, tc.msg) {
				t.Fatalf("error %q does not name the module and the call, or lacks %q", msg, tc.msg)
			}
			stillServes(t, m, "db", "value")
		})
	}
}

// TestVersionSetRefusals: version_set refuses an oversized version (-3), an
// empty one or one with control characters (-2) and a bad range (-1); the
// fetch then records no version.
func TestVersionSetRefusals(t *testing.T) {
	get := w.Code(
		expectStatus(w.Code(w.I32Const(0), w.I32Const(257), w.Call(w.FnVersionSet)), -3),
		expectStatus(w.Code(w.I32Const(0), w.I32Const(0), w.Call(w.FnVersionSet)), -2),
		expectStatus(w.Code(w.I32Const(0), w.I32Const(4), w.Call(w.FnVersionSet)), -2),
		expectStatus(w.Code(w.I32Const(65530), w.I32Const(10), w.Call(w.FnVersionSet)), -1),
		setResult("value"))
	m, err := loadBytes(t, "refusals", w.Guest(get).Encode(), lkruntime.Options{})
	if err != nil {
		t.Fatal(err)
	}
	note, err := m.Get(context.Background(), lkruntime.Request{Name: "db"})
	if err != nil {
		t.Fatal(err)
	}
	if note.Version != "" {
		t.Fatalf("recorded version %q after refusals", note.Version)
	}
}

// TestVersionSharesTheBudget: a version call makes its requests through the
// same host functions as a fetch, under the same per-call request budget
// and network policy: with max_requests 2, the third attempt is refused
// with LIMIT.
func TestVersionSharesTheBudget(t *testing.T) {
	req := w.Code(w.I32Const(0), w.I32Const(3), w.I32Const(0), w.I32Const(0),
		w.I32Const(0), w.I32Const(0), w.I32Const(0), w.I32Const(0), w.Call(w.FnHTTPRequest))
	body := w.Code(storeBytes(0, "GET"),
		expectStatus(req, -2), expectStatus(req, -2), expectStatus(req, -5), setResult("v1"))
	opts := lkruntime.Options{}
	opts.HTTP.MaxRequests = 2
	m, err := loadBytes(t, "budget", versioned(body).Encode(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if vr, err := m.Version(context.Background(), lkruntime.Request{Name: "db"}); err != nil || vr.Version != "v1" {
		t.Fatalf("Version = %q, %v (a trap means a request was not refused as expected)", vr.Version, err)
	}
}

// TestVersionExportSignature: a latchkey_version with the wrong signature
// is refused at load, naming the export.
func TestVersionExportSignature(t *testing.T) {
	mod := w.Guest(setResult("value"))
	mod.Funcs = append(mod.Funcs, w.Func{Export: "latchkey_version"})
	_, err := loadBytes(t, "badsig", mod.Encode(), lkruntime.Options{})
	if !errors.Is(err, lkruntime.ErrIncompatible) || !strings.Contains(err.Error(), `exports "latchkey_version" with the wrong signature`) {
		t.Fatalf("load = %v", err)
	}
}

// TestVersionLengthBoundary: a version of exactly 256 bytes passes, one of
// 257 fails the probe; version_set takes 256 and refuses 257.
func TestVersionLengthBoundary(t *testing.T) {
	long := strings.Repeat("x", 257)
	for _, n := range []int{256, 257} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			get := w.Code(storeBytes(0, long[:n]),
				expectStatus(w.Code(w.I32Const(0), w.I32Const(int32(n)), w.Call(w.FnVersionSet)), map[int]int32{256: 0, 257: -3}[n]),
				setResult("value"))
			mod := w.Guest(get)
			mod.Funcs = append(mod.Funcs, w.Func{Export: "latchkey_version", Results: []byte{w.I32},
				Body: w.Code(storeBytes(0, long[:n]), w.I32Const(0), w.I32Const(int32(n)), w.Call(w.FnResultSet), w.Drop, w.I32Const(0))})
			m, err := loadBytes(t, "boundary", mod.Encode(), lkruntime.Options{})
			if err != nil {
				t.Fatal(err)
			}
			vr, err := m.Version(context.Background(), lkruntime.Request{Name: "db"})
			v := vr.Version
			if n == 256 && (err != nil || v != long[:256]) {
				t.Fatalf("a 256-byte version: %d bytes, %v", len(v), err)
			}
			if n == 257 && !errors.Is(err, lkruntime.ErrCrashed) {
				t.Fatalf("a 257-byte version: %v, want ErrCrashed", err)
			}
			note, err := m.Get(context.Background(), lkruntime.Request{Name: "db"})
			if err != nil {
				t.Fatal(err)
			}
			if want := map[int]string{256: long[:256], 257: ""}[n]; note.Version != want {
				t.Fatalf("recorded a %d-byte version, want %d", len(note.Version), len(want))
			}
		})
	}
}

// TestVersionInputLimit: a probe's request is held to the input limit of
// a fetch, before the guest runs.
func TestVersionInputLimit(t *testing.T) {
	m, err := loadBytes(t, "input", versioned(setResult("v1")).Encode(), lkruntime.Options{Limits: lkruntime.Limits{MaxInput: 64}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.Version(context.Background(), lkruntime.Request{Name: strings.Repeat("n", 100)})
	if !errors.Is(err, secret.ErrInvalidConfig) || !strings.Contains(err.Error(), "exceeds the input limit of 64 bytes") {
		t.Fatalf("Version with an oversized request = %v", err)
	}
	if s := m.Stats(); s.Created != 0 {
		t.Fatalf("the guest ran: %+v", s)
	}
}
