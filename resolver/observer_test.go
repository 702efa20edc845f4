package resolver_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/latchkey/latchkey/resolver"
	"github.com/latchkey/latchkey/secret"
)

type recorder struct {
	mu       sync.Mutex
	fetches  []resolver.FetchEvent
	resolved []resolver.ResolutionEvent
	fail     error
}

func (r *recorder) Fetched(_ context.Context, ev resolver.FetchEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fetches = append(r.fetches, ev)
}

func (r *recorder) Resolved(_ context.Context, ev resolver.ResolutionEvent) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.resolved = append(r.resolved, ev)
	return r.fail
}

type noteStore struct{ vals map[string]string }

func (s noteStore) Get(ctx context.Context, req secret.Request) (secret.Result, error) {
	r := secret.Result{FetchInfo: secret.FetchInfo{Upstream: 1}}
	r.SetVersion("v-" + req.Name)
	v, ok := s.vals[req.Name]
	if !ok {
		return r, secret.ErrNotFound
	}
	r.Value = secret.StringValue(v)
	return r, nil
}

func (noteStore) Close() error { return nil }

func TestObserverSeesEveryFetchOnceAndTheResolution(t *testing.T) {
	rec := &recorder{}
	r, err := resolver.New(context.Background(), resolver.Config{
		Stores:   map[string]resolver.StoreConfig{"s": {Store: noteStore{vals: map[string]string{"db": `{"u":"x","p":"y"}`}}}},
		Observer: resolver.Observers(nil, rec),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := secret.WithCaller(context.Background(), secret.Caller{Kind: secret.CallerToken, Token: "ci"})
	wf := resolver.Workflow{Name: "orders", Fields: []resolver.Field{
		{Name: "user", Source: mustField(t, "secret://s/db#u")},
		{Name: "pass", Source: mustField(t, "secret://s/db#p")},
		{Name: "host", Source: mustField(t, "db.example")},
	}}
	if _, err := r.Resolve(ctx, wf); err != nil {
		t.Fatal(err)
	}
	if len(rec.fetches) != 1 {
		t.Fatalf("fetch events = %d, want 1 (one secret feeds two fields)", len(rec.fetches))
	}
	ev := rec.fetches[0]
	if ev.Workflow != "orders" || ev.Store != "s" || ev.Request.Name != "db" || ev.Caller.Token != "ci" {
		t.Errorf("fetch event = %+v", ev)
	}
	if len(ev.Fields) != 2 || ev.Keys[0] != "u" || ev.Keys[1] != "p" {
		t.Errorf("fields %v keys %v, want [user pass] [u p]", ev.Fields, ev.Keys)
	}
	if ev.Info == nil || ev.Info.Upstream != 1 {
		t.Errorf("what the store learned did not reach the observer: %+v", ev.Info)
	}
	if len(rec.resolved) != 1 || rec.resolved[0].Err != nil || rec.resolved[0].Fields != 3 {
		t.Errorf("resolution events = %+v", rec.resolved)
	}

	// An observer that refuses the resolution fails it (fail closed).
	rec.fail = errors.New("audit log unwritable")
	if _, err := r.Resolve(ctx, wf); err == nil || err.Error() != "audit log unwritable" {
		t.Fatalf("Resolve with a failing observer = %v, want its error", err)
	}

	// A failed fetch is classified.
	wf.Fields = []resolver.Field{{Name: "x", Source: mustField(t, "secret://s/nope")}}
	rec.fail = nil
	if _, err := r.Resolve(ctx, wf); err == nil {
		t.Fatal("missing secret resolved")
	}
	last := rec.fetches[len(rec.fetches)-1]
	if last.Kind != "not_found" {
		t.Errorf("kind = %q, want not_found", last.Kind)
	}
	// What the store learned reaches the observer beside the error.
	if last.Info == nil || last.Info.Upstream != 1 || last.Info.Version() != "v-nope" {
		t.Errorf("a failed fetch's info = %+v, want the store's call and version", last.Info)
	}
	if got := rec.resolved[len(rec.resolved)-1]; len(got.Failed) != 1 || got.Failed[0] != "x" || got.Kind != "not_found" {
		t.Errorf("failed resolution event = %+v", got)
	}
}

func mustField(t *testing.T, s string) secret.Source {
	t.Helper()
	src, err := secret.ParseSource(s)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// TestResolvedVersion checks that a field carries the version its store
// said it answered with, with or without an observer, and none for a
// literal.
func TestResolvedVersion(t *testing.T) {
	for _, obs := range []resolver.Observer{nil, &recorder{}} {
		r, err := resolver.New(context.Background(), resolver.Config{
			Stores:   map[string]resolver.StoreConfig{"s": {Store: noteStore{vals: map[string]string{"db": `{"u":"x"}`}}}},
			Observer: obs,
		})
		if err != nil {
			t.Fatal(err)
		}
		res, err := r.Resolve(context.Background(), resolver.Workflow{Fields: []resolver.Field{
			{Name: "user", Source: mustField(t, "secret://s/db#u")},
			{Name: "host", Source: mustField(t, "db.example")},
		}})
		if err != nil {
			t.Fatal(err)
		}
		if got := res.Fields[0].Version; got != "v-db" {
			t.Errorf("observer %T: user's version = %q, want v-db (the store's note)", obs, got)
		}
		if got := res.Fields[1].Version; got != "" {
			t.Errorf("a literal has version %q", got)
		}
	}
}
