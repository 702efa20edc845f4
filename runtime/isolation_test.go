package runtime_test

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"

	lkruntime "github.com/latchkey/latchkey/runtime"
	"github.com/latchkey/latchkey/secret"
)

// TestIsolation shows what a pooled instance keeps between fetches and
// that per_call keeps nothing, for a Go and a Rust guest: the guest answers
// "previous" with the value of its last "value:" call. It also checks that
// an instance's memory is overwritten before the instance is dropped,
// however it is dropped (per-call release, a crash, the module's Close),
// and that the scan would have found the secret otherwise.
func TestIsolation(t *testing.T) {
	const planted = "isolation-planted-secret-8c1f"
	for _, g := range []struct {
		lang  string
		build func(testing.TB) string
	}{{"go", behave}, {"rust", behaveRust}} {
		t.Run(g.lang, func(t *testing.T) {
			path := g.build(t)
			open := func(t *testing.T, iso lkruntime.Isolation) (*lkruntime.Module, func() [][]byte) {
				m := load(t, path, lkruntime.Options{Name: "iso-" + g.lang, Isolation: iso, Limits: lkruntime.Limits{MaxInstances: 1}})
				var mu sync.Mutex
				var dropped [][]byte
				lkruntime.SetDiscardHook(m, func(mem []byte) {
					mu.Lock()
					defer mu.Unlock()
					dropped = append(dropped, mem) // a view of the real memory, kept past Close
				})
				return m, func() [][]byte { mu.Lock(); defer mu.Unlock(); return dropped }
			}
			mustBeWiped := func(t *testing.T, dropped [][]byte, want int) {
				t.Helper()
				if len(dropped) != want {
					t.Fatalf("%d instances dropped, want %d", len(dropped), want)
				}
				for i, mem := range dropped {
					if bytes.Contains(mem, []byte(planted)) {
						t.Errorf("dropped instance %d still holds the secret", i)
					}
					if n := len(bytes.Trim(mem, "\x00")); n != 0 {
						t.Errorf("dropped instance %d: %d bytes of %d not overwritten", i, n, len(mem))
					}
				}
			}

			t.Run("pooled keeps state", func(t *testing.T) {
				m, dropped := open(t, lkruntime.IsolationPooled)
				stillServes(t, m, "value:"+planted, planted)
				stillServes(t, m, "previous", planted) // the documented trade-off
				found := 0
				m.ScanIdleMemory(func(mem []byte) {
					found += bytes.Count(mem, []byte(planted))
				})
				if found == 0 {
					t.Fatal("the scan did not find the secret in the pooled instance: it would not notice a leak either")
				}
				if err := m.Close(context.Background()); err != nil {
					t.Fatal(err)
				}
				mustBeWiped(t, dropped(), 1)
			})

			t.Run("per_call keeps nothing", func(t *testing.T) {
				m, dropped := open(t, lkruntime.IsolationPerCall)
				stillServes(t, m, "value:"+planted, planted)
				_, err := m.Get(context.Background(), lkruntime.Request{Name: "previous"})
				if !errors.Is(err, secret.ErrNotFound) {
					t.Fatalf("previous in per_call mode = %v, want not found (a fresh instance)", err)
				}
				if s := m.Stats(); s.Idle != 0 || s.Created != 2 {
					t.Errorf("per_call must never pool an instance: %+v", s)
				}
				if n := m.ScanIdleMemory(func([]byte) {}); n != 0 {
					t.Errorf("%d idle instances", n)
				}
				if err := m.Warm(context.Background(), 2); err != nil || m.Stats().Created != 2 {
					t.Errorf("Warm in per_call mode started instances: %v, %+v", err, m.Stats())
				}
				mustBeWiped(t, dropped(), 2)
			})

			t.Run("a crashed instance is wiped too", func(t *testing.T) {
				m, dropped := open(t, lkruntime.IsolationPooled)
				stillServes(t, m, "value:"+planted, planted)
				if _, err := m.Get(context.Background(), lkruntime.Request{Name: "big:2000000"}); err == nil { // over the result cap: the instance is discarded
					t.Fatal("an oversized result succeeded")
				}
				mustBeWiped(t, dropped(), 1)
			})
		})
	}
}

func TestParseIsolation(t *testing.T) {
	tests := []struct {
		in   string
		want lkruntime.Isolation
		err  bool
	}{
		{"", lkruntime.IsolationPooled, false},
		{"pooled", lkruntime.IsolationPooled, false},
		{"per_call", lkruntime.IsolationPerCall, false},
		{"per-call", 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := lkruntime.ParseIsolation(tc.in)
			if (err != nil) != tc.err || got != tc.want {
				t.Fatalf("ParseIsolation(%q) = %v, %v", tc.in, got, err)
			}
			if err == nil && tc.in != "" && got.String() != tc.in {
				t.Errorf("String() = %q", got.String())
			}
		})
	}
}
