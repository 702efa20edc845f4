package resolver

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchkey/latchkey/protect"
	"github.com/latchkey/latchkey/secret"
)

// downStore is always unavailable and counts its calls.
type downStore struct{ calls atomic.Int32 }

func (d *downStore) Get(context.Context, secret.Request) (secret.Value, error) {
	d.calls.Add(1)
	return secret.Value{}, fmt.Errorf("backend down: %w", secret.ErrUnavailable)
}
func (d *downStore) Close() error { return nil }

func TestProtectionInTheStack(t *testing.T) {
	down := &downStore{}
	set := protect.Defaults("wasm")
	set.Retry.Max = 0
	set.Breaker = protect.Breaker{Threshold: 2, CoolOff: time.Minute}
	r, err := New(context.Background(), Config{Stores: map[string]StoreConfig{
		"ext": {Store: down, Protection: &set},
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	f, _ := ParseField("pw", "secret://ext/db")
	wf := Workflow{Name: "wf", Fields: []Field{f}}
	for range 2 {
		if _, err := r.Resolve(context.Background(), wf); !errors.Is(err, secret.ErrUnavailable) {
			t.Fatalf("err = %v", err)
		}
	}
	_, err = r.Resolve(context.Background(), wf)
	if !errors.Is(err, secret.ErrUnavailable) || !strings.Contains(err.Error(), `store "ext": failing fast for another`) {
		t.Fatalf("third resolution: %v; want the breaker's error", err)
	}
	if n := down.calls.Load(); n != 2 {
		t.Errorf("the store was called %d times; want 2 (the breaker refused the third)", n)
	}

	bad := protect.Defaults("wasm")
	bad.Burst = 0
	if _, err := New(context.Background(), Config{Stores: map[string]StoreConfig{"ext": {Store: down, Protection: &bad}}}); err == nil ||
		!strings.Contains(err.Error(), "protection.burst") {
		t.Errorf("invalid protection accepted: %v", err)
	}
}
