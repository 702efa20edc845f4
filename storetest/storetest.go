// Package storetest is the conformance kit that every secret store runs, in
// the spirit of testing/slogtest: found, not found, key look-up through the
// resolver, binary values, cancellation, concurrent use, no secret value
// in any error, and the contract of the store's [secret.Description].
//
// A store's test builds a [Fixture] that names secrets the store holds and
// calls [Run]:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) *storetest.Fixture { … })
//	}
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/resolver"
	"github.com/latchkey/latchkey/secret"
)

// Fixture describes a store under test and the secrets it holds.
type Fixture struct {
	// Store is the store under test. Run closes it at the end of each test.
	Store secret.Store
	// Plain names a secret whose value is PlainValue (not JSON).
	Plain      secret.Request
	PlainValue []byte
	// JSON names a secret whose value is the JSON object JSONValue, whose
	// key JSONKey holds the string JSONKeyValue.
	JSON         secret.Request
	JSONValue    []byte
	JSONKey      string
	JSONKeyValue string
	// Binary names a secret holding BinaryValue, bytes that are not UTF-8.
	// Leave Binary.Name empty for a store that cannot hold binary values.
	Binary      secret.Request
	BinaryValue []byte
	// Missing names a secret the store does not hold.
	Missing secret.Request
	// Slow, if set, names a secret whose fetch blocks until its context
	// ends, so that the kit can check the store honours deadlines.
	Slow secret.Request
	// Upstream, if set, returns how many requests the store's backend has
	// received so far, so that the kit can check that Describe and the
	// functions of its Description do no I/O.
	Upstream func() int
}

// Run runs the conformance checks as subtests of t, calling newFixture for
// each so that every check starts from a fresh store.
func Run(t *testing.T, newFixture func(t *testing.T) *Fixture) {
	t.Helper()
	fresh := func(t *testing.T) *Fixture {
		fx := newFixture(t)
		t.Cleanup(func() {
			if err := fx.Store.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
		return fx
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) { c.run(t, fresh(t)) })
	}
}

var checks = []struct {
	name string
	run  func(*testing.T, *Fixture)
}{
	{"Found", found},
	{"NotFound", notFound},
	{"KeyLookup", keyLookup},
	{"Binary", binary},
	{"Canceled", canceled},
	{"Deadline", deadline},
	{"Concurrent", concurrent},
	{"Describe", func(t *testing.T, fx *Fixture) { describe(t, fx) }},
}

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// secretsOf returns every value of fx that must never appear in an error.
func secretsOf(fx *Fixture) [][]byte {
	out := [][]byte{fx.PlainValue, fx.JSONValue, []byte(fx.JSONKeyValue)}
	if fx.Binary.Name != "" {
		out = append(out, fx.BinaryValue)
	}
	return out
}

// NoLeak fails t if text contains any of values (ignoring values shorter than
// four bytes, which would match by chance).
func NoLeak(t testing.TB, what, text string, values ...[]byte) {
	t.Helper()
	for _, v := range values {
		if len(v) >= 4 && strings.Contains(text, string(v)) {
			t.Errorf("%s contains a secret value: %q", what, text)
		}
	}
}

func found(t *testing.T, fx *Fixture) {
	v, err := fx.Store.Get(ctx(t), fx.Plain)
	if err != nil {
		t.Fatalf("Get(%+v): %v", fx.Plain, err)
	}
	if !bytes.Equal(v.Value.Reveal(), fx.PlainValue) {
		t.Fatalf("Get(%+v) returned %d bytes, not the %d planted", fx.Plain, v.Value.Len(), len(fx.PlainValue))
	}
	j, err := fx.Store.Get(ctx(t), fx.JSON)
	if err != nil {
		t.Fatalf("Get(%+v): %v", fx.JSON, err)
	}
	if !bytes.Equal(j.Value.Reveal(), fx.JSONValue) {
		t.Fatalf("Get(%+v) did not return the JSON document raw", fx.JSON)
	}
}

func notFound(t *testing.T, fx *Fixture) {
	v, err := fx.Store.Get(ctx(t), fx.Missing)
	if err == nil {
		t.Fatalf("Get(%+v) of a missing secret returned %d bytes and no error", fx.Missing, v.Value.Len())
	}
	if v.Value.Len() != 0 {
		t.Errorf("Get(%+v) of a missing secret returned %d bytes beside its error; a failed Get's Result holds no value", fx.Missing, v.Value.Len())
	}
	if !errors.Is(err, secret.ErrNotFound) {
		t.Fatalf("Get(%+v) error does not wrap secret.ErrNotFound: %v", fx.Missing, err)
	}
	if !strings.Contains(err.Error(), lastPart(fx.Missing.Name)) {
		t.Errorf("not-found error does not name the secret %q: %v", fx.Missing.Name, err)
	}
	NoLeak(t, "not-found error", err.Error(), secretsOf(fx)...)
}

func lastPart(name string) string {
	if i := strings.LastIndexAny(name, "/:"); i >= 0 && i < len(name)-1 {
		return name[i+1:]
	}
	return name
}

// keyLookup resolves through the resolver core, as a workflow would.
func keyLookup(t *testing.T, fx *Fixture) {
	r, err := resolver.New(ctx(t), resolver.Config{Stores: map[string]resolver.StoreConfig{"s": {Store: fx.Store}}})
	if err != nil {
		t.Fatal(err)
	}
	ref := func(req secret.Request, key ...string) secret.Source {
		rf := secret.Ref{Store: "s", Name: req.Name, Version: req.Version}
		if len(key) > 0 {
			rf.Key = key
		}
		return secret.Source{Ref: &rf}
	}
	wf := resolver.Workflow{Name: "conformance", Fields: []resolver.Field{
		{Name: "key", Source: ref(fx.JSON, fx.JSONKey)},
		{Name: "whole", Source: ref(fx.JSON)},
		{Name: "key-again", Source: ref(fx.JSON, fx.JSONKey)},
	}}
	res, err := r.Resolve(ctx(t), wf)
	if err != nil {
		t.Fatalf("Resolve: %v", err)
	}
	if v, _ := res.Get("key"); v.RevealString() != fx.JSONKeyValue {
		t.Errorf("key %q resolved to %d bytes, not the planted value", fx.JSONKey, v.Len())
	}
	if v, _ := res.Get("whole"); !bytes.Equal(v.Reveal(), fx.JSONValue) {
		t.Errorf("JSON secret without key was not used raw")
	}
	// A missing key and a key asked of a plain secret both fail, naming the
	// field, and list no value.
	bad := resolver.Workflow{Name: "conformance", Fields: []resolver.Field{
		{Name: "absent-key", Source: ref(fx.JSON, "no_such_key_xyz")},
		{Name: "plain-key", Source: ref(fx.Plain, "k")},
	}}
	_, err = r.Resolve(ctx(t), bad)
	var rerr *resolver.Error
	if !errors.As(err, &rerr) || len(rerr.Fields) != 2 {
		t.Fatalf("want a *resolver.Error with 2 fields, got %v", err)
	}
	for _, name := range []string{"absent-key", "plain-key", "no_such_key_xyz"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %q: %v", name, err)
		}
	}
	if !strings.Contains(err.Error(), fx.JSONKey) {
		t.Errorf("missing-key error does not list the key names present: %v", err)
	}
	NoLeak(t, "key error", err.Error(), secretsOf(fx)...)
}

func binary(t *testing.T, fx *Fixture) {
	if fx.Binary.Name == "" {
		t.Skip("the store cannot hold binary values")
	}
	v, err := fx.Store.Get(ctx(t), fx.Binary)
	if err != nil {
		t.Fatalf("Get(%+v): %v", fx.Binary, err)
	}
	if !bytes.Equal(v.Value.Reveal(), fx.BinaryValue) {
		t.Fatalf("binary secret came back altered (%d bytes, want %d)", v.Value.Len(), len(fx.BinaryValue))
	}
}

func canceled(t *testing.T, fx *Fixture) {
	c, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := fx.Store.Get(c, fx.Plain)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Get with a canceled context: want an error wrapping context.Canceled, got %v", err)
	}
}

func deadline(t *testing.T, fx *Fixture) {
	req := fx.Slow
	if req.Name == "" {
		req = fx.Plain
	}
	c, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if fx.Slow.Name == "" {
		// Without a slow secret, a deadline already past must be honoured.
		var cancel2 context.CancelFunc
		c, cancel2 = context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
		defer cancel2()
	}
	start := time.Now()
	_, err := fx.Store.Get(c, req)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Get past its deadline: want an error wrapping context.DeadlineExceeded, got %v", err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Fatalf("Get returned %v after its deadline", took)
	}
}

func concurrent(t *testing.T, fx *Fixture) {
	const n = 32
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, want := fx.Plain, fx.PlainValue
			if i%2 == 1 {
				req, want = fx.JSON, fx.JSONValue
			}
			v, err := fx.Store.Get(ctx(t), req)
			if err != nil {
				errs <- err
				return
			}
			if !bytes.Equal(v.Value.Reveal(), want) {
				errs <- fmt.Errorf("goroutine %d got the wrong value for %q", i, req.Name)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
