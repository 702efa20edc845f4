package runtime_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
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
		{"echo again, fewer inputs", lkruntime.Request{Name: "echo"}, `name=echo key= version= config={"store_url":"https://x"}`, nil},
		{"echo, another name", lkruntime.Request{Name: "echo", Version: "8"}, `name=echo key= version=8 config={"store_url":"https://x"}`, nil},
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
			if err != nil || v.Value.RevealString() != tc.want {
				t.Fatalf("Get(%+v) = %q, %v; want %q", tc.req, v.Value.RevealString(), err, tc.want)
			}
		})
	}
	if s := m.Stats(); s.Created != 1 {
		t.Errorf("sequential calls should reuse one instance, created %d", s.Created)
	}
}

// TestHTTPResponseSizes reads responses whose header block and body fit the
// guest SDK's read buffer, and responses where either does not.
func TestHTTPResponseSizes(t *testing.T) {
	pattern := func(n int) string {
		var b strings.Builder
		for i := 0; b.Len() < n; i++ {
			b.WriteString(strings.Repeat(string(rune('a'+i%26)), 1+i%7))
		}
		return b.String()[:n]
	}
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		hdr, _ := strconv.Atoi(r.URL.Query().Get("h"))
		body, _ := strconv.Atoi(r.URL.Query().Get("b"))
		rw.Header().Set("X-Pattern", pattern(hdr))
		rw.Write([]byte(pattern(body)))
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	opts := lkruntime.Options{}
	opts.HTTP.AllowedHosts, opts.HTTP.AllowHTTP, opts.HTTP.AllowPrivateNetworks = []string{host}, []string{host}, true
	m := load(t, behave(t), opts)
	tests := []struct {
		name         string
		header, body int
	}{
		{"both fit", 100, 200},
		{"empty body", 10, 0},
		{"body does not fit", 100, 10000},
		{"header does not fit", 5000, 100},
		{"neither fits", 6000, 70000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			url := srv.URL + "/?h=" + strconv.Itoa(tc.header) + "&b=" + strconv.Itoa(tc.body)
			v, err := m.Get(context.Background(), lkruntime.Request{Name: "header:X-Pattern:" + url})
			if err != nil {
				t.Fatal(err)
			}
			want := pattern(tc.header) + "\n" + pattern(tc.body)
			if got := v.Value.Reveal(); !bytes.Equal(got, []byte(want)) {
				t.Fatalf("got %d bytes, want %d (header %d, body %d)", len(got), len(want), tc.header, tc.body)
			}
		})
	}
}
