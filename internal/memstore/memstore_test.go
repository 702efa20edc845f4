package memstore_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/memstore"
	"github.com/latchkey/latchkey/secret"
	"github.com/latchkey/latchkey/storetest"
)

// TestConformance: the store the generic layers are tested against
// behaves as every store must.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) *storetest.Fixture {
		st := memstore.New()
		st.Put("plain", "plain-planted-value")
		st.Put("doc", `{"username":"admin","password":"json-planted-pw"}`)
		st.Put("bin", "\xff\xfe\x00planted")
		st.Put("slow", "slow-planted-value")
		st.Slow("slow")
		return &storetest.Fixture{
			Store: st,
			Plain: secret.Request{Name: "plain"}, PlainValue: []byte("plain-planted-value"),
			JSON: secret.Request{Name: "doc"}, JSONValue: []byte(`{"username":"admin","password":"json-planted-pw"}`),
			JSONKey: "password", JSONKeyValue: "json-planted-pw",
			Binary: secret.Request{Name: "bin"}, BinaryValue: []byte("\xff\xfe\x00planted"),
			Missing:  secret.Request{Name: "missing"},
			Slow:     secret.Request{Name: "slow"},
			Upstream: func() int { return st.Count(memstore.Get) + st.Count(memstore.CurrentVersion) },
		}
	})
}

func TestVersions(t *testing.T) {
	st := memstore.New()
	if v := st.Put("db", "one"); v != "v1" {
		t.Fatalf("first version %q", v)
	}
	st.Put("db", "two")
	ctx := context.Background()
	tests := []struct {
		name, version, want, wantVersion string
		err                              error
	}{
		{"current", "", "two", "v2", nil},
		{"first", "v1", "one", "v1", nil},
		{"past the last", "v3", "", "", secret.ErrNotFound},
		{"not a version", "latest", "", "", secret.ErrNotFound},
		{"zero", "v0", "", "", secret.ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := secret.Request{Name: "db", Version: tc.version}
			v, err := st.Get(ctx, req)
			info, verr := st.CurrentVersion(ctx, req)
			ver := info.Version()
			if tc.err != nil {
				if !errors.Is(err, tc.err) || !errors.Is(verr, tc.err) {
					t.Fatalf("Get: %v, CurrentVersion: %v; want %v", err, verr, tc.err)
				}
				return
			}
			if err != nil || verr != nil || v.Value.RevealString() != tc.want || ver != tc.wantVersion {
				t.Fatalf("got %d bytes, %q, %v, %v; want %q at %q", v.Value.Len(), ver, err, verr, tc.want, tc.wantVersion)
			}
			if got := v.Version(); got != tc.wantVersion {
				t.Errorf("Get reported version %q, want %q (the one it answered with)", got, tc.wantVersion)
			}
		})
	}
}

func TestFaults(t *testing.T) {
	ctx := context.Background()
	st := memstore.New()
	st.Put("db", "planted-fault-value")
	st.FailNext("db", 2, memstore.Throttled(3*time.Second))
	for i := range 2 {
		_, err := st.Get(ctx, secret.Request{Name: "db"})
		var se *secret.StoreError
		if !errors.Is(err, secret.ErrUnavailable) || !errors.As(err, &se) || se.RetryAfter() != 3*time.Second {
			t.Fatalf("throttled call %d: %v; want unavailable with a Retry-After of 3s", i, err)
		}
		if !strings.Contains(err.Error(), `"db"`) || !strings.Contains(err.Error(), "Throttled") || strings.Contains(err.Error(), "planted") {
			t.Errorf("error %q does not name the secret and the code (or holds the value)", err)
		}
	}
	if _, err := st.Get(ctx, secret.Request{Name: "db"}); err != nil {
		t.Fatalf("after the queued faults: %v", err)
	}
	st.FailMethod(memstore.CurrentVersion, memstore.Denied())
	if _, err := st.CurrentVersion(ctx, secret.Request{Name: "db"}); !errors.Is(err, secret.ErrPermissionDenied) {
		t.Fatalf("probe: %v; want denied", err)
	}
	if _, err := st.Get(ctx, secret.Request{Name: "db"}); err != nil {
		t.Fatalf("a failing method fails only itself: %v", err)
	}
	st.FailMethod(memstore.CurrentVersion, nil)
	if _, err := st.CurrentVersion(ctx, secret.Request{Name: "db"}); err != nil {
		t.Fatalf("probe after FailMethod(nil): %v", err)
	}
	st.FailMethod(memstore.Get, memstore.Transient())
	if _, err := st.Get(ctx, secret.Request{Name: "db"}); !errors.Is(err, secret.ErrUnavailable) || !strings.Contains(err.Error(), "InternalError") {
		t.Fatalf("Get: %v; want the transient failure", err)
	}
	if g, p := st.Count(memstore.Get), st.Count(memstore.CurrentVersion); g != 5 || p != 2 {
		t.Errorf("counted %d Gets and %d probes; want 5 and 2", g, p)
	}
	_ = st.Close()
	st.FailMethod(memstore.Get, nil)
	if _, err := st.Get(ctx, secret.Request{Name: "db"}); !errors.Is(err, secret.ErrUnavailable) {
		t.Fatalf("Get after Close: %v; want unavailable", err)
	}
}
