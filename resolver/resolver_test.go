package resolver

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchkey/latchkey/secret"
)

// memStore is an in-memory store that counts fetches and tracks how many run
// at once. It tests the resolver's own behaviour; stores are tested by the
// conformance kit against their real backends.
type memStore struct {
	data    map[string]string
	delay   time.Duration
	hang    bool // ignore ctx entirely
	calls   atomic.Int64
	running atomic.Int64
	peak    atomic.Int64
	mu      sync.Mutex
	seen    map[secret.Request]int
}

func (m *memStore) Get(ctx context.Context, req secret.Request) (secret.Result, error) {
	m.calls.Add(1)
	n := m.running.Add(1)
	defer m.running.Add(-1)
	for {
		p := m.peak.Load()
		if n <= p || m.peak.CompareAndSwap(p, n) {
			break
		}
	}
	m.mu.Lock()
	if m.seen == nil {
		m.seen = map[secret.Request]int{}
	}
	m.seen[req]++
	m.mu.Unlock()
	if m.hang {
		select {} // a broken store that never returns
	}
	if m.delay > 0 {
		select {
		case <-time.After(m.delay):
		case <-ctx.Done():
			return secret.Result{}, fmt.Errorf("mem: gave up on %q: %w", req.Name, ctx.Err())
		}
	}
	if req.Name == "panic" {
		panic("boom planted-panic-value")
	}
	if req.Name == "denied" {
		return secret.Result{}, fmt.Errorf("mem: %q: %w", req.Name, secret.ErrPermissionDenied)
	}
	v, ok := m.data[req.Name+"@"+req.Version]
	if !ok {
		return secret.Result{}, fmt.Errorf("mem: %q: %w", req.Name, secret.ErrNotFound)
	}
	return secret.Result{Value: secret.StringValue(v)}, nil
}

func (m *memStore) Close() error { return nil }

const planted = "pw-planted-4242"

func newMem() *memStore {
	return &memStore{data: map[string]string{
		"db@":       `{"username":"admin","password":"` + planted + `","nested":{"port":5432,"list":["a","b"]}}`,
		"db@v1":     `{"username":"old"}`,
		"token@":    "tok-planted-9999",
		"binary@":   "\xff\xfe\x00\x01",
		"notjson@":  "hunter-not-json",
		"document@": `{"host":"h1"}`,
	}}
}

func newResolver(t *testing.T, st secret.Store, mod func(*Config)) *Resolver {
	t.Helper()
	cfg := Config{Stores: map[string]StoreConfig{"mem": {Store: st, Secret: "document"}}}
	if mod != nil {
		mod(&cfg)
	}
	r, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func ref(s string) secret.Source {
	src, err := secret.ParseSource(s)
	if err != nil {
		panic(err)
	}
	return src
}

func wf(pairs ...string) Workflow {
	w := Workflow{Name: "test"}
	for i := 0; i < len(pairs); i += 2 {
		w.Fields = append(w.Fields, Field{Name: pairs[i], Source: ref(pairs[i+1])})
	}
	return w
}

func TestResolve(t *testing.T) {
	tests := []struct {
		name  string
		field string
		want  string
	}{
		{"literal", "plain text", "plain text"},
		{"escaped literal", "literal:secret://x/y", "secret://x/y"},
		{"raw secret", "secret://mem/token", "tok-planted-9999"},
		{"json key", "secret://mem/db#password", planted},
		{"nested number", "secret://mem/db#nested.port", "5432"},
		{"list index", "secret://mem/db#nested.list.1", "b"},
		{"object as json", "secret://mem/db#nested.list", `["a","b"]`},
		{"version", "secret://mem/db#username?version=v1", "old"},
		{"default store and document", "secret:///#host", "h1"},
		{"binary raw", "secret://mem/binary", "\xff\xfe\x00\x01"},
		{"default used when missing", "secret://mem/nope?default=fallback", "fallback"},
		{"default used when key missing", "secret://mem/db#nokey?default=", ""},
	}
	r := newResolver(t, newMem(), nil)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := r.Resolve(context.Background(), wf("f", tc.field))
			if err != nil {
				t.Fatal(err)
			}
			v, ok := res.Get("f")
			if !ok || v.RevealString() != tc.want {
				t.Fatalf("got %q (present %v), want %q", v.RevealString(), ok, tc.want)
			}
		})
	}
}

func TestOptionalOmits(t *testing.T) {
	r := newResolver(t, newMem(), nil)
	res, err := r.Resolve(context.Background(), wf("a", "secret://mem/nope?optional", "b", "x"))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := res.Get("a"); ok || len(res.Fields) != 1 {
		t.Fatalf("optional missing field must be omitted: %+v", res.Fields)
	}
}

func TestDefaultDoesNotHideDenied(t *testing.T) {
	r := newResolver(t, newMem(), nil)
	_, err := r.Resolve(context.Background(), wf("a", "secret://mem/denied?default=x&optional"))
	if !errors.Is(err, secret.ErrPermissionDenied) {
		t.Fatalf("a default must not hide a permission error: %v", err)
	}
}

func TestFetchOncePerSecret(t *testing.T) {
	m := newMem()
	r := newResolver(t, m, nil)
	_, err := r.Resolve(context.Background(), wf(
		"u", "secret://mem/db#username", "p", "secret://mem/db#password", "w", "secret://mem/db",
		"old", "secret://mem/db#username?version=v1", "t", "secret://mem/token", "h", "secret:///#host"))
	if err != nil {
		t.Fatal(err)
	}
	if got := m.calls.Load(); got != 4 {
		t.Fatalf("fetched %d times, want 4 (db, db@v1, token, document)", got)
	}
	for req, n := range m.seen {
		if n != 1 {
			t.Errorf("%+v fetched %d times", req, n)
		}
	}
}

func TestConcurrencyBounded(t *testing.T) {
	m := &memStore{data: map[string]string{}, delay: 20 * time.Millisecond}
	var pairs []string
	for i := range 20 {
		m.data[fmt.Sprintf("s%d@", i)] = "v"
		pairs = append(pairs, fmt.Sprintf("f%d", i), fmt.Sprintf("secret://mem/s%d", i))
	}
	r := newResolver(t, m, func(c *Config) { c.Concurrency = 3 })
	if _, err := r.Resolve(context.Background(), wf(pairs...)); err != nil {
		t.Fatal(err)
	}
	if p := m.peak.Load(); p > 3 || p < 2 {
		t.Fatalf("peak concurrent fetches %d, want 2..3 with Concurrency 3", p)
	}
}

func TestAllFailuresReported(t *testing.T) {
	r := newResolver(t, newMem(), nil)
	_, err := r.Resolve(context.Background(), wf(
		"ok", "secret://mem/token",
		"missing", "secret://mem/absent",
		"badkey", "secret://mem/db#passwd",
		"notjson", "secret://mem/notjson#k",
		"denied", "secret://mem/denied",
		"panics", "secret://mem/panic",
	))
	var rerr *Error
	if !errors.As(err, &rerr) {
		t.Fatalf("want *Error, got %T %v", err, err)
	}
	got := map[string]error{}
	for _, f := range rerr.Fields {
		got[f.Field] = f.Err
	}
	if len(got) != 5 {
		t.Fatalf("want 5 failed fields, got %d: %v", len(got), err)
	}
	if !errors.Is(got["missing"], secret.ErrNotFound) || !errors.Is(got["badkey"], secret.ErrNotFound) ||
		!errors.Is(got["denied"], secret.ErrPermissionDenied) || !errors.Is(got["notjson"], secret.ErrInvalidConfig) ||
		!errors.Is(got["panics"], secret.ErrUnavailable) {
		t.Fatalf("wrong causes: %v", err)
	}
	var ke *KeyError
	if !errors.As(got["badkey"], &ke) || strings.Join(ke.Present, ",") != "nested,password,username" {
		t.Fatalf("key error must list the key names: %v", got["badkey"])
	}
	var nj *NotJSONError
	if !errors.As(got["notjson"], &nj) {
		t.Fatalf("want NotJSONError: %v", got["notjson"])
	}
	msg := err.Error()
	for _, want := range []string{`field "badkey"`, `store "mem"`, `secret "db"`, `"passwd"`, "keys present: nested, password, username"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	for _, leak := range []string{planted, "tok-planted", "hunter-not-json", "planted-panic-value", "admin"} {
		if strings.Contains(msg, leak) {
			t.Errorf("error leaks %q:\n%s", leak, msg)
		}
	}
}

func TestPlanErrors(t *testing.T) {
	r := newResolver(t, newMem(), func(c *Config) {
		c.Stores["other"] = StoreConfig{Store: newMem()}
		c.DefaultStore = ""
	})
	w := wf("a", "secret://nostore/x", "a", "y", "", "z", "b", "secret:///x", "c", "secret://other/#k")
	_, err := r.Plan(w)
	if err == nil {
		t.Fatal("want plan errors")
	}
	for _, want := range []string{`uses store "nostore"`, "declared: mem, other", `"a" is defined twice`, "empty field name",
		"no default_store", `store "other" has no "secret" document`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("plan error lacks %q:\n%v", want, err)
		}
	}
}

func TestDeadlineWithHangingStore(t *testing.T) {
	r := newResolver(t, &memStore{hang: true}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { _, err := r.Resolve(ctx, wf("a", "secret://mem/x")); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), `field "a"`) ||
			!strings.Contains(err.Error(), "did not answer before the deadline") {
			t.Fatalf("want a deadline error naming the field, got %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Resolve hung on a store that ignores its context")
	}
}

func TestCanceledWithHangingStore(t *testing.T) {
	r := newResolver(t, &memStore{hang: true}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err := r.Resolve(ctx, wf("a", "secret://mem/x"))
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), `field "a"`) ||
		!strings.Contains(err.Error(), "canceled while waiting") || strings.Contains(err.Error(), "deadline") {
		t.Fatalf("want a cancellation error naming the field, not a deadline, got %v", err)
	}
}

func TestNewErrors(t *testing.T) {
	_, err := New(context.Background(), Config{
		DefaultStore: "zzz",
		Stores: map[string]StoreConfig{
			"a":     {Type: "no-such-type"},
			"b":     {},
			"bad.n": {Store: newMem()},
		},
	})
	for _, want := range []string{`unknown store type "no-such-type"`, `store "b": setting "type": missing`, `store name "bad.n"`, `default_store "zzz"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("New error lacks %q: %v", want, err)
		}
	}
}

func TestParseField(t *testing.T) {
	f, err := ParseField("pw", "secret://aws/db#password")
	if err != nil || f.Name != "pw" || f.Source.Ref == nil || f.Source.Ref.Store != "aws" {
		t.Fatalf("ParseField: %+v, %v", f, err)
	}
	if _, err := ParseField("pw", "secret:/typo"); err == nil || !strings.Contains(err.Error(), `field "pw"`) {
		t.Fatalf("a bad reference must fail naming the field: %v", err)
	}
}

// TestDeadlineKeepsStoreError checks that a store which honours its context
// gets to report its own error, which says more than the resolver's.
func TestDeadlineKeepsStoreError(t *testing.T) {
	r := newResolver(t, &memStore{data: map[string]string{"x@": "v"}, delay: time.Hour}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := r.Resolve(ctx, wf("a", "secret://mem/x"))
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), `mem: gave up on "x"`) {
		t.Fatalf("want the store's own deadline error, got %v", err)
	}
}

func TestCheck(t *testing.T) {
	r := newResolver(t, newMem(), nil)
	statuses, err := r.Check(context.Background(), wf(
		"lit", "x", "found", "secret://mem/db#username", "def", "secret://mem/nope?default=d",
		"opt", "secret://mem/nope?optional", "bad", "secret://mem/db#nokey", "denied", "secret://mem/denied?optional"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Outcome{Found, Found, Defaulted, Omitted, Failed, Failed}
	if len(statuses) != len(want) {
		t.Fatalf("%d statuses, want %d", len(statuses), len(want))
	}
	for i, st := range statuses {
		if st.Outcome != want[i] || (st.Outcome == Failed) != (st.Err != nil) {
			t.Errorf("field %q: outcome %d (err %v), want %d", st.Step.Field, st.Outcome, st.Err, want[i])
		}
	}
	if _, err := r.Check(context.Background(), wf("a", "secret://nostore/x")); err == nil {
		t.Fatal("a plan error must be Check's error")
	}
}
