package resolver

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/latchkey/latchkey/secret"
)

// versionedStore answers versions from a map and counts probes and fetches.
type versionedStore struct {
	versions       map[string]string
	probes, gets   atomic.Int32
	failProbesWith error
}

func (v *versionedStore) Get(_ context.Context, req secret.Request) (secret.Result, error) {
	v.gets.Add(1)
	return secret.Result{Value: secret.StringValue("value-of-" + req.Name)}, nil
}

func (v *versionedStore) CurrentVersion(_ context.Context, req secret.Request) (secret.FetchInfo, error) {
	var info secret.FetchInfo
	v.probes.Add(1)
	if v.failProbesWith != nil {
		return info, v.failProbesWith
	}
	if ver := v.versions[req.Name]; ver != "" {
		info.SetVersion(ver)
	}
	return info, nil
}

func (v *versionedStore) Close() error { return nil }

type unversionedStore struct{}

func (unversionedStore) Get(context.Context, secret.Request) (secret.Result, error) {
	return secret.Result{Value: secret.StringValue("x")}, nil
}
func (unversionedStore) Close() error { return nil }

func TestVersions(t *testing.T) {
	vs := &versionedStore{versions: map[string]string{"a": "1", "b": "7"}}
	denied := &versionedStore{failProbesWith: secret.ErrPermissionDenied}
	r, err := New(context.Background(), Config{Stores: map[string]StoreConfig{
		"v": {Store: vs}, "plain": {Store: unversionedStore{}}, "denied": {Store: denied},
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	wf := func(refs ...string) Workflow {
		w := Workflow{Name: "wf"}
		for i, ref := range refs {
			f, err := ParseField(string(rune('a'+i)), ref)
			if err != nil {
				t.Fatal(err)
			}
			w.Fields = append(w.Fields, f)
		}
		return w
	}
	tests := []struct {
		name     string
		wf       Workflow
		probed   int
		unprobed int
	}{
		{"every store probes", wf("secret://v/a", "secret://v/b", "secret://v/a#key", "literal:x"), 2, 0},
		{"a store without probes", wf("secret://v/a", "secret://plain/p"), 1, 1},
		{"a probe that fails", wf("secret://v/a", "secret://denied/d"), 1, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := r.Versions(context.Background(), tc.wf)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.ByFetch) != tc.probed || got.Unprobed != tc.unprobed {
				t.Errorf("probed %v, unprobed %d; want %d and %d", got.ByFetch, got.Unprobed, tc.probed, tc.unprobed)
			}
			if got.Same(got) != (tc.unprobed == 0) {
				t.Errorf("Same(self) = %v with %d unprobed", got.Same(got), got.Unprobed)
			}
		})
	}
	if vs.gets.Load() != 0 {
		t.Errorf("version probes fetched %d values", vs.gets.Load())
	}
	before, _ := r.Versions(context.Background(), wf("secret://v/a"))
	vs.versions["a"] = "2"
	after, _ := r.Versions(context.Background(), wf("secret://v/a"))
	if before.Same(after) {
		t.Error("a changed version reads as the same")
	}
	if _, err := r.Versions(context.Background(), wf("secret://nostore/a")); err == nil || errors.Is(err, secret.ErrNotFound) {
		t.Errorf("a plan error was not reported: %v", err)
	}
}
