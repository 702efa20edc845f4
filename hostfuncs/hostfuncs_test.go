package hostfuncs

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/latchkey/latchkey/internal/wasmtest"

	"github.com/latchkey/latchkey/internal/egress"
)

// TestHookAndHeaders checks what reaches the server: the hook runs after
// the allow list for every hop, hop-by-hop and Host headers are dropped,
// and a hook refusal becomes the refusal's status.
func TestHookAndHeaders(t *testing.T) {
	var got http.Header
	var gotHost string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hop" {
			http.Redirect(w, r, "/final", http.StatusTemporaryRedirect)
			return
		}
		got, gotHost = r.Header.Clone(), r.Host
		w.Header().Set("X-Answer", "42")
		w.Write([]byte("body"))
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	var hops []string
	opts := HTTPOptions{
		AllowedHosts: []string{host}, AllowHTTP: []string{host}, AllowPrivateNetworks: true,
		Hook: func(_ context.Context, req *http.Request) error {
			hops = append(hops, req.URL.Path)
			if req.Header.Get("X-Placeholder") == "refuse" {
				return &Refusal{Status: StatusCredential, Reason: "credential not bound to " + req.URL.Host}
			}
			if req.Header.Get("X-Placeholder") != "" {
				req.Header.Set("X-Placeholder", "substituted")
			}
			return nil
		},
	}
	c, err := egress.NewClient(opts)
	if err != nil {
		t.Fatal(err)
	}
	call := &Call{Module: "m", HTTP: c}
	hdr := "X-Placeholder: {{cred}}\r\nHost: evil.example\nConnection: close\nTransfer-Encoding: chunked\nAccept: */*\n"
	resp, status := doOn(c, context.Background(), call, "POST", srv.URL+"/hop", hdr, []byte("payload"))
	if status != 200 {
		t.Fatalf("status %d (%s)", status, call.Refusal())
	}
	if string(resp.Body) != "body" || !strings.Contains(string(resp.Header), "X-Answer: 42\n") {
		t.Errorf("response: %q %q", resp.Header, resp.Body)
	}
	if strings.Join(hops, ",") != "/hop,/final" {
		t.Errorf("the hook must run once per hop: %v", hops)
	}
	if got.Get("X-Placeholder") != "substituted" || got.Get("Connection") != "" || got.Get("Transfer-Encoding") != "" || gotHost != host || got.Get("Accept") != "*/*" {
		t.Errorf("server saw Host %q, headers %v", gotHost, got)
	}
	_, status = doOn(c, context.Background(), call, "GET", srv.URL+"/final", "X-Placeholder: refuse\n", nil)
	if status != StatusCredential || !strings.Contains(call.Refusal(), "not bound") {
		t.Errorf("hook refusal: status %d, %q", status, call.Refusal())
	}
	for _, bad := range []string{"X: a\x00b\n", "Bad Name: x\n", "NoColon\n"} {
		if _, status := doOn(c, context.Background(), call, "GET", srv.URL, bad, nil); status != StatusArgument {
			t.Errorf("header %q: status %d, want StatusArgument", bad, status)
		}
	}
	if _, status := doOn(c, context.Background(), call, "CONNECT", srv.URL, "", nil); status != StatusArgument {
		t.Errorf("CONNECT: status %d", status)
	}
}

// FuzzHostCalls drives every host function with arbitrary pointers and
// lengths through a real guest: no call may trap or panic the host, and
// every answer is a length or a documented status.
func FuzzHostCalls(f *testing.F) {
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer r.Close(ctx)
	if _, err := Instantiate(ctx, r); err != nil {
		f.Fatal(err)
	}
	mod, err := r.InstantiateWithConfig(ctx, wasmtest.Forwarders().Encode(), wazero.NewModuleConfig().WithName("fuzz"))
	if err != nil {
		f.Fatal(err)
	}
	client, err := egress.NewClient(HTTPOptions{}) // refuses every host: no network in a fuzz run
	if err != nil {
		f.Fatal(err)
	}
	names := []string{"input_read", "result_set", "error_set", "log", "http_request", "http_response_read"}
	f.Add(uint8(0), uint32(1), uint32(0xfffffff0), uint32(16), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0))
	f.Add(uint8(1), uint32(65530), uint32(100), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0))
	f.Add(uint8(2), uint32(1), uint32(0), uint32(0xffffffff), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0))
	f.Add(uint8(4), uint32(0), uint32(3), uint32(100), uint32(20), uint32(0), uint32(0), uint32(65535), uint32(2))
	f.Fuzz(func(t *testing.T, fn uint8, a, b, c, d, e, g, h, i uint32) {
		name := names[int(fn)%len(names)]
		fwd := mod.ExportedFunction("fwd_" + name)
		args := []uint64{uint64(a), uint64(b), uint64(c), uint64(d), uint64(e), uint64(g), uint64(h), uint64(i)}
		args = args[:len(fwd.Definition().ParamTypes())]
		call := &Call{Module: "fuzz", Input: Input{Config: []byte(`{"a":1}`), Name: "n"}, HTTP: client}
		res, err := fwd.Call(WithCall(ctx, call), args...)
		if err != nil {
			t.Fatalf("%s%v trapped: %v", name, args, err)
		}
		status := api.DecodeI32(res[0])
		if status < StatusCredential {
			t.Fatalf("%s%v = %d, not a documented status", name, args, status)
		}
	})
}
