package secret

import (
	"context"
	"errors"
	"testing"
)

// base is a store at the bottom of a chain; keyed and versioned add a
// capability to it (keyed describes itself with a Key).
type base struct{}

func (base) Get(context.Context, Request) (Result, error) {
	return Result{Value: StringValue("x")}, nil
}
func (base) Close() error { return nil }

type keyed struct{ base }

func (keyed) Describe() Description {
	return Description{Key: func(req Request) string { return "key:" + req.Name }}
}

type versioned struct{ base }

func (versioned) CurrentVersion(context.Context, Request) (FetchInfo, error) {
	var f FetchInfo
	f.SetVersion("base")
	return f, nil
}

// noProbe implements Versioner but says its backend answers no probes,
// as a Wasm module without latchkey_version does.
type noProbe struct{ versioned }

func (noProbe) Describe() Description { return Description{NoProbe: true} }

// decorator forwards the data path, CurrentVersion included, as protect
// and cache do; it declares no other capability.
type decorator struct{ inner Store }

func (d decorator) Get(ctx context.Context, req Request) (Result, error) {
	return d.inner.Get(ctx, req)
}
func (d decorator) Close() error  { return d.inner.Close() }
func (d decorator) Unwrap() Store { return d.inner }
func (d decorator) CurrentVersion(ctx context.Context, req Request) (FetchInfo, error) {
	if v, ok := VersionerOf(d.inner); ok {
		return v.CurrentVersion(ctx, req)
	}
	return FetchInfo{}, errors.ErrUnsupported
}

// opaque wraps without Unwrap: nothing beneath it is reachable.
type opaque struct{ Store }

func TestAs(t *testing.T) {
	tests := []struct {
		name    string
		st      Store
		keyer   bool
		version bool
		base    Store
	}{
		{"bare", base{}, false, false, base{}},
		{"keyed", keyed{}, true, false, keyed{}},
		{"keyed under two decorators", decorator{decorator{keyed{}}}, true, false, keyed{}},
		{"versioned under a decorator", decorator{versioned{}}, false, true, versioned{}},
		{"decorator over a store without versions", decorator{base{}}, false, false, base{}},
		{"a Versioner whose Description says NoProbe", decorator{noProbe{}}, false, false, noProbe{}},
		{"opaque hides what is beneath", opaque{keyed{}}, false, false, opaque{keyed{}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, ok := As[Describer](tc.st)
			if _, np := tc.base.(noProbe); np {
				ok = false // described, but without a Key
			}
			if ok != tc.keyer {
				t.Fatalf("As[Describer] ok = %v; want %v", ok, tc.keyer)
			}
			if ok && d.Describe().SecretKey(Request{Name: "n"}) != "key:n" {
				t.Error("As[Describer] found the wrong store")
			}
			if got := Base(tc.st); got != tc.base {
				t.Errorf("Base = %#v; want %#v", got, tc.base)
			}
			v, ok := VersionerOf(tc.st)
			if ok != tc.version {
				t.Fatalf("VersionerOf ok = %v; want %v", ok, tc.version)
			}
			if ok && v.(Store) != tc.st {
				t.Error("VersionerOf skipped the decorators' CurrentVersion")
			}
		})
	}
	// A decorator that unwraps to nil ends the chain: no panic, no loop.
	if _, ok := As[Describer](decorator{nil}); ok || Base(decorator{nil}) != (decorator{nil}) {
		t.Error("a nil Unwrap is not the end of the chain")
	}
}
