package storetest

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/latchkey/latchkey/internal/memstore"
	"github.com/latchkey/latchkey/secret"
)

// recorder is a testing.TB that records failures instead of failing the
// test, so that the kit's own checks can be shown to catch a bad store.
type recorder struct {
	testing.TB // nil: only the methods below are called
	mu         sync.Mutex
	failures   []string
	cleanups   []func()
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failures = append(r.failures, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	runtime.Goexit()
}
func (r *recorder) Error(args ...any) { r.Errorf("%s", fmt.Sprint(args...)) }
func (r *recorder) Fatal(args ...any) { r.Fatalf("%s", fmt.Sprint(args...)) }
func (r *recorder) Cleanup(f func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cleanups = append(r.cleanups, f)
}

// runDescribe runs the kit's Describe check on fx and returns its failures.
func runDescribe(fx *Fixture) []string {
	r := &recorder{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		describe(r, fx)
	}()
	<-done
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
	return r.failures
}

// described is a memstore whose Description is what the test says.
type described struct {
	*memstore.Store
	desc func(st *memstore.Store) secret.Description
}

func (d described) Describe() secret.Description { return d.desc(d.Store) }

func TestDescribeCatchesBadStores(t *testing.T) {
	const planted = "plain-planted-value-7f3a"
	env := []string{"STORE_TOKEN"}
	var calls atomic.Int64
	tests := []struct {
		name string
		desc func(st *memstore.Store) secret.Description
		want string // "" for a store that keeps the contract
	}{
		{"keeps the contract", func(*memstore.Store) secret.Description {
			return secret.Description{Summary: "memory", Key: func(r secret.Request) string { return strings.ToLower(r.Name) + "\x00" + r.Version },
				UsedEnv: func() []string { return []string{"STORE_TOKEN"} }}
		}, ""},
		{"Key changes between calls", func(*memstore.Store) secret.Description {
			return secret.Description{Key: func(r secret.Request) string { return fmt.Sprint(r.Name, calls.Add(1)) }}
		}, "differs between equal requests"},
		{"Key merges two secrets", func(*memstore.Store) secret.Description {
			return secret.Description{Key: func(secret.Request) string { return "one" }}
		}, "two secrets, one key"},
		{"Check refuses what Get serves", func(*memstore.Store) secret.Description {
			return secret.Description{Check: func(r secret.Request) error { return fmt.Errorf("no: %w", secret.ErrInvalidConfig) }}
		}, "refuses a request the store serves"},
		{"UsedEnv hands out its own slice", func(*memstore.Store) secret.Description {
			return secret.Description{UsedEnv: func() []string { return env }}
		}, "a caller's change shows"},
		{"Key asks the backend", func(st *memstore.Store) secret.Description {
			return secret.Description{Key: func(r secret.Request) string {
				_, _ = st.Get(context.Background(), r)
				return r.Name
			}}
		}, "must do no I/O"},
		{"Summary names a value", func(*memstore.Store) secret.Description {
			return secret.Description{Summary: "memory, last value " + planted}
		}, "contains a secret value"},
		{"Summary changes between calls", func(*memstore.Store) secret.Description {
			return secret.Description{Summary: fmt.Sprint("call ", calls.Add(1))}
		}, "two Describe calls differ"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env = []string{"STORE_TOKEN"}
			st := memstore.New()
			st.Put("plain", planted)
			st.Put("doc", `{"password":"json-planted-pw"}`)
			fx := &Fixture{
				Store: described{Store: st, desc: tc.desc},
				Plain: secret.Request{Name: "plain"}, PlainValue: []byte(planted),
				JSON: secret.Request{Name: "doc"}, JSONValue: []byte(`{"password":"json-planted-pw"}`),
				JSONKey: "password", JSONKeyValue: "json-planted-pw",
				Missing:  secret.Request{Name: "missing"},
				Upstream: func() int { return st.Count(memstore.Get) + st.Count(memstore.CurrentVersion) },
			}
			got := runDescribe(fx)
			if tc.want == "" {
				if len(got) > 0 {
					t.Fatalf("a store that keeps the contract failed: %q", got)
				}
				return
			}
			if !strings.Contains(strings.Join(got, "\n"), tc.want) {
				t.Fatalf("failures %q do not say %q", got, tc.want)
			}
		})
	}
}
