package runtime_test

import (
	"context"
	"errors"
	"testing"

	lkruntime "github.com/latchkey/latchkey/runtime"
	"github.com/latchkey/latchkey/secret"
)

func TestGet(t *testing.T) {
	m := load(t, behave(t), lkruntime.Options{Config: []byte(`{"store_url":"https://x"}`)})
	ctx := context.Background()
	tests := []struct {
		name string
		req  lkruntime.Request
		want string
		err  error
	}{
		{"echo", lkruntime.Request{Name: "echo", Key: "a.b", Version: "7"}, `name=echo key=a.b version=7 config={"store_url":"https://x"}`, nil},
		{"value", lkruntime.Request{Name: "value:s3cr3t-planted"}, "s3cr3t-planted", nil},
		{"missing", lkruntime.Request{Name: "missing"}, "", secret.ErrNotFound},
		{"denied", lkruntime.Request{Name: "denied"}, "", secret.ErrPermissionDenied},
		{"unknown", lkruntime.Request{Name: "nonsense"}, "", secret.ErrInvalidConfig},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := m.Get(ctx, tc.req)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("Get(%+v) = %v, want %v", tc.req, err, tc.err)
				}
				var ge *lkruntime.GuestError
				if !errors.As(err, &ge) {
					t.Errorf("want a *GuestError inside: %v", err)
				}
				mustContain(t, "error", err.Error(), `"test-module"`, tc.req.Name)
				return
			}
			if err != nil || v.RevealString() != tc.want {
				t.Fatalf("Get(%+v) = %q, %v; want %q", tc.req, v.RevealString(), err, tc.want)
			}
		})
	}
	if s := m.Stats(); s.Created != 1 {
		t.Errorf("sequential calls should reuse one instance, created %d", s.Created)
	}
}
