package wasm

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/latchkey/latchkey/cache"
	"github.com/latchkey/latchkey/internal/wasmtest"
	"github.com/latchkey/latchkey/providers/wasm/wasmstoretest"
	lkruntime "github.com/latchkey/latchkey/runtime"
	"github.com/latchkey/latchkey/secret"
)

// TestOldModuleIsNoVersioner: a module built before ABI 1.1 (no
// latchkey_version export, as the http-json guests) makes a store that
// answers no version probes (secret.VersionerOf says so), so a cache in front of it fetches again when an
// entry expires instead of asking for a version, and serves the new value.
func TestOldModuleIsNoVersioner(t *testing.T) {
	for _, g := range wasmstoretest.Guests() {
		t.Run(g.Lang, func(t *testing.T) {
			srv := wasmstoretest.Start(t, planted)
			raw, err := fromSpec(context.Background(), secret.Spec{Name: "old", Type: "wasm", Settings: settingsFor(t, srv, g.Build(t), nil)}, sharedCache)
			if err != nil {
				t.Fatal(err)
			}
			var st secret.Store = raw
			if _, ok := secret.VersionerOf(st); ok {
				t.Fatal("a module without latchkey_version answers version probes (secret.VersionerOf)")
			}
			if !raw.Describe().NoProbe {
				t.Fatal("a module without latchkey_version: Description.NoProbe is false")
			}
			if _, err := raw.mod.Version(context.Background(), lkruntime.Request{Name: "plain"}); !errors.Is(err, errors.ErrUnsupported) {
				t.Fatalf("Module.Version = %v, want errors.ErrUnsupported", err)
			}
			now := time.Unix(1_700_000_000, 0)
			c := cache.New(st, cache.Options{Name: "old", TTL: time.Minute, Now: func() time.Time { return now }})
			defer c.Close()
			get := func(want string) {
				t.Helper()
				v, err := c.Get(context.Background(), secret.Request{Name: "plain"})
				if err != nil || v.Value.RevealString() != want {
					t.Fatalf("Get = %q, %v; want %q", v.Value.RevealString(), err, want)
				}
			}
			get(string(planted["plain"]))
			srv.Set("plain", []byte("rotated-plain-value"))
			get(string(planted["plain"])) // fresh: from the cache
			now = now.Add(2 * time.Minute)
			get("rotated-plain-value")
			if s := c.Stats(); s.VersionChecks != 0 || srv.Requests.Load() != 2 {
				t.Fatalf("version checks %d, server requests %d; want 0 and 2 (two fetches)", s.VersionChecks, srv.Requests.Load())
			}
			if _, err := c.CurrentVersion(context.Background(), secret.Request{Name: "plain"}); !errors.Is(err, errors.ErrUnsupported) {
				t.Fatalf("cache CurrentVersion = %v, want errors.ErrUnsupported", err)
			}
		})
	}
}

// TestVersionedShape: a module exporting latchkey_version makes a store
// that answers version probes (secret.VersionerOf) and still describes
// itself and shows its module.
func TestVersionedShape(t *testing.T) {
	get := wasmtest.Code(wasmtest.I32Const(0), wasmtest.I32Const(0), wasmtest.Call(wasmtest.FnResultSet), wasmtest.Drop, wasmtest.I32Const(0))
	mod := wasmtest.Guest(get)
	mod.Funcs = append(mod.Funcs, wasmtest.Func{Export: "latchkey_version", Results: []byte{wasmtest.I32},
		Body: wasmtest.Code(wasmtest.I32Const(1), wasmtest.I32Const(0), wasmtest.I32Const(0), wasmtest.Call(wasmtest.FnErrorSet), wasmtest.Drop, wasmtest.I32Const(0))})
	raw, err := NewFromBytes(context.Background(), "ver", mod.Encode(), lkruntime.Options{AllowUnpinned: true, Cache: sharedCache})
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var st secret.Store = raw
	v, ok := secret.VersionerOf(st)
	if !ok {
		t.Fatal("a module with latchkey_version answers no version probes (secret.VersionerOf)")
	}
	if _, ok := st.(secret.Describer); !ok {
		t.Fatal("the versioned store lost Describe")
	}
	if _, ok := st.(interface{ Module() *lkruntime.Module }); !ok {
		t.Fatal("the versioned store lost Module")
	}
	if st.(secret.Describer).Describe().Pool == nil {
		t.Fatal("the versioned store lost its pool's counters (Description.Pool)")
	}
	if _, err := v.CurrentVersion(context.Background(), secret.Request{Name: "absent"}); !errors.Is(err, secret.ErrNotFound) {
		t.Fatalf("CurrentVersion of a missing secret = %v, want ErrNotFound", err)
	}
}
