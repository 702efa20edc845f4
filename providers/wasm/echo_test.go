package wasm

import (
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/logbuf"
	"github.com/latchkey/latchkey/internal/wasmtest"
	"github.com/latchkey/latchkey/secret"
)

// echoes are what a hostile guest may ask a reflecting bound server for:
// the header it received, encoded, behind a prefix the guest chose.
var echoes = map[string]func(pre, v string) string{
	"raw":       func(pre, v string) string { return pre + v },
	"upper":     func(pre, v string) string { return strings.ToUpper(pre + v) },
	"hex":       func(pre, v string) string { return hex.EncodeToString([]byte(pre + v)) },
	"HEX":       func(pre, v string) string { return strings.ToUpper(hex.EncodeToString([]byte(pre + v))) },
	"base64":    func(pre, v string) string { return base64.StdEncoding.EncodeToString([]byte(pre + v)) },
	"base64url": func(pre, v string) string { return base64.RawURLEncoding.EncodeToString([]byte(pre + v)) },
	"pct-all": func(pre, v string) string {
		var b strings.Builder
		for _, c := range []byte(pre + v) {
			fmt.Fprintf(&b, "%%%02X", c)
		}
		return b.String()
	},
	"json-u": func(pre, v string) string {
		var b strings.Builder
		for _, c := range []byte(pre + v) {
			fmt.Fprintf(&b, `\u%04x`, c)
		}
		return b.String()
	},
	"query": func(pre, v string) string { return url.QueryEscape(pre + v) },
}

// startReflector answers with the X-Token header encoded as ?enc= asks,
// gzip-compressed when the request accepts it, cut to a Range when asked.
func startReflector(t *testing.T) (*httptest.Server, string) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		body := `{"echo":"` + echoes[q.Get("enc")](q.Get("pre"), r.Header.Get("X-Token")) + `"}`
		if rg := r.Header.Get("Range"); rg != "" {
			w.Header().Set("Content-Range", "bytes 0-9/"+fmt.Sprint(len(body)))
			w.WriteHeader(http.StatusPartialContent)
			w.Write([]byte(body[:10]))
			return
		}
		if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			w.Header().Set("Content-Encoding", "gzip")
			zw := gzip.NewWriter(w)
			zw.Write([]byte(body))
			zw.Close()
			return
		}
		w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv, strings.TrimPrefix(srv.URL, "http://")
}

// TestEchoesNeverReachTheGuest runs the credprobe guest against a bound
// server that reflects the credential in each encoding, behind prefixes
// of 0, 1 and 2 bytes, with the guest asking for gzip or a range too.
// After every call, the guest's whole linear memory, the log and the
// errors hold no encoding of the credential the leak oracle knows.
func TestEchoesNeverReachTheGuest(t *testing.T) {
	srv, host := startReflector(t)
	bound := &echoServer{host: host}
	for _, extra := range []map[string]any{{}, {"Accept-Encoding": "gzip"}, {"Range": "bytes=0-9"}} {
		header := map[string]any{"X-Token": "{{latchkey.credential:tok}}"}
		for k, v := range extra {
			header[k] = v
		}
		var logs logbuf.Buffer
		st := probeStore(t, srv.URL, bound, bound, header, &logs)
		for enc := range echoes {
			for _, pre := range []string{"", "a", "ab"} {
				name := fmt.Sprintf("/echo?enc=%s&pre=%s", enc, pre)
				v, err := st.Get(context.Background(), secret.Request{Name: name})
				if err != nil {
					t.Fatalf("%v %s: %v", extra, name, err)
				}
				out := v.Value.RevealString()
				if !strings.Contains(out, "[REDACTED:tok]") {
					t.Errorf("%v %s: the guest read no redaction: %s", extra, name, out)
				}
				for what, s := range map[string]string{"the guest's result": out, "the log": logs.String()} {
					if leak := wasmtest.FindLeak([]byte(s), []byte(plantedCred)); leak != "" {
						t.Errorf("%v %s: %s holds the credential (%s form)", extra, name, what, leak)
					}
				}
				assertNoEncodingInGuest(t, st)
			}
		}
	}
}

// assertNoEncodingInGuest scans the store's only idle instance for any
// encoding of the credential.
func assertNoEncodingInGuest(t *testing.T, st *Store) {
	t.Helper()
	n := st.Module().ScanIdleMemory(func(mem []byte) {
		if leak := wasmtest.FindLeak(mem, []byte(plantedCred)); leak != "" {
			t.Errorf("the guest's linear memory holds the credential (%s form)", leak)
		}
	})
	if n != 1 {
		t.Fatalf("scanned %d instances, want 1", n)
	}
}

// TestOutboundInResult checks that a fetch through a real module returns
// its requests in its Result: method, host, path without the query,
// status and the credentials substituted, never a value.
func TestOutboundInResult(t *testing.T) {
	srv, host := startReflector(t)
	bound := &echoServer{host: host}
	st := probeStore(t, srv.URL, bound, bound, map[string]any{"X-Token": "{{latchkey.credential:tok}}"}, nil)
	note, err := st.Get(context.Background(), secret.Request{Name: "/echo?enc=raw&pre=q"})
	if err != nil {
		t.Fatal(err)
	}
	got := note.Outbound
	want := secret.Outbound{Method: "GET", Host: host, Path: "/echo", Status: 200, Credentials: []string{"tok"}}
	if len(got) != 1 || fmt.Sprint(got[0]) != fmt.Sprint(want) {
		t.Errorf("outbound %+v, want [%+v]", got, want)
	}
}
