package hostfuncs

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/logbuf"
	"github.com/latchkey/latchkey/internal/wasmtest"
	"github.com/latchkey/latchkey/secret"

	"github.com/latchkey/latchkey/internal/egress"
)

// echoServer is a loopback server bound to the credential that echoes the
// X-Token header back as a hostile guest would wish: in the encoding named
// by ?enc= (see wasmtest.EchoEncodings) behind the prefix ?pre=, compressed when
// asked (Accept-Encoding) or not, cut to the asked Range, reflected into
// a redirect's Location or a malformed header line.
func startEchoServer(t testing.TB) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := r.Header.Get("X-Token")
		q := r.URL.Query()
		echo := tok
		if enc := wasmtest.EchoEncodings[q.Get("enc")]; enc != nil {
			echo = enc(q.Get("pre"), tok)
		}
		body := []byte(`{"echo":"` + echo + `"}`)
		switch r.URL.Path {
		case "/redirect":
			http.Redirect(w, r, "/landing?t="+url.QueryEscape(tok), http.StatusFound)
			return
		case "/redirect-path":
			http.Redirect(w, r, "/x/"+tok, http.StatusFound)
			return
		case "/malformed":
			conn, buf, err := w.(http.Hijacker).Hijack()
			if err != nil {
				return
			}
			fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nX-Echo%s\r\nContent-Length: 0\r\n\r\n", tok)
			buf.Flush()
			conn.Close()
			return
		case "/br":
			w.Header().Set("Content-Encoding", "br")
			w.Write(body)
			return
		case "/utf16":
			w.Header().Set("Content-Type", "text/plain; charset=utf-16le")
			w.Write(body)
			return
		case "/partial":
			w.Header().Set("Content-Range", "bytes 0-9/100")
			w.WriteHeader(http.StatusPartialContent)
			w.Write(body[:10])
			return
		case "/big":
			// A 256 KiB document with the echo once, in the middle.
			w.Write(bigBody[:len(bigBody)/2])
			w.Write(body)
			w.Write(bigBody[len(bigBody)/2:])
			return
		case "/header":
			w.Header().Set("X-Echo", echo)
			return
		case "/chunked":
			// Flush in pieces of 3 bytes: the credential straddles them.
			f := w.(http.Flusher)
			for i := 0; i < len(body); i += 3 {
				w.Write(body[i:min(i+3, len(body))])
				f.Flush()
			}
			return
		}
		if rg := r.Header.Get("Range"); strings.HasPrefix(rg, "bytes=") {
			a, b, _ := strings.Cut(strings.TrimPrefix(rg, "bytes="), "-")
			from, _ := strconv.Atoi(a)
			to, _ := strconv.Atoi(b)
			if from < len(body) && to >= from {
				to = min(to, len(body)-1)
				w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", from, to, len(body)))
				w.WriteHeader(http.StatusPartialContent)
				w.Write(body[from : to+1])
				return
			}
		}
		if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			w.Header().Set("Content-Encoding", "gzip")
			zw := gzip.NewWriter(w)
			zw.Write(body)
			zw.Close()
			return
		}
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

var bigBody = bytes.Repeat([]byte(`{"name":"item","value":"value-0001-abcdefghijklmnop"},`), 256<<10/54)

// echoClient is a client for srv with the credential "tok" bound to it.
func echoClient(t *testing.T, srv *httptest.Server, opts HTTPOptions) *egress.Client {
	t.Helper()
	c := newEchoClient(t, srv, opts)
	t.Cleanup(c.Close)
	return c
}

// echoClientB is echoClient for a benchmark; the caller closes it.
func echoClientB(b *testing.B, srv *httptest.Server) *egress.Client {
	return newEchoClient(b, srv, HTTPOptions{})
}

func newEchoClient(t testing.TB, srv *httptest.Server, opts HTTPOptions) *egress.Client {
	t.Helper()
	host := strings.TrimPrefix(srv.URL, "http://")
	opts.AllowedHosts, opts.AllowHTTP, opts.AllowPrivateNetworks = []string{host}, []string{host}, true
	creds, err := NewCredentials([]Credential{{Name: "tok", Value: secret.StringValue(wasmtest.EchoCred), Hosts: []string{"http://" + host}}})
	if err != nil {
		t.Fatal(err)
	}
	creds.Install(&opts)
	c, err := egress.NewClient(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// noLeak fails when any encoding of the credential the oracle knows is in
// one of texts.
func noLeak(t *testing.T, what string, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if leak := wasmtest.FindLeak([]byte(s), []byte(wasmtest.EchoCred)); leak != "" {
			t.Errorf("%s holds the credential (%s form): %.300s", what, leak, s)
		}
	}
}

// TestHostOwnsNegotiation sends hostile headers on a credential-bearing
// hop: compression, ranges and charsets the guest asks for are dropped,
// what comes back encoded or partial is refused, and what the guest could
// read, the refusal and the log hold no form of the credential.
func TestHostOwnsNegotiation(t *testing.T) {
	srv := startEchoServer(t)
	client := echoClient(t, srv, HTTPOptions{})
	tests := []struct {
		name    string
		path    string
		header  string
		status  int32
		refusal string
	}{
		{name: "gzip asked by the guest", path: "/echo", header: "Accept-Encoding: gzip\n", status: 200},
		{name: "range asked by the guest", path: "/echo", header: "Range: bytes=9-14\nIf-Range: x\n", status: 200},
		{name: "TE and charset", path: "/echo", header: "TE: gzip\nAccept-Charset: utf-16\n", status: 200},
		{name: "unsolicited brotli", path: "/br", status: StatusNotAllowed, refusal: `Content-Encoding "br"`},
		{name: "unsolicited partial content", path: "/partial", status: StatusNotAllowed, refusal: "partial content"},
		{name: "utf-16 charset", path: "/utf16", status: StatusNotAllowed, refusal: `charset "utf-16le"`},
		{name: "chunks straddling the value", path: "/chunked", status: 200},
		{name: "credential reflected into a redirect's query", path: "/redirect", status: StatusCredential, refusal: "its URL holds a credential's value"},
		{name: "credential reflected into a redirect's path", path: "/redirect-path", status: StatusCredential, refusal: "redirect to http://"},
		{name: "credential reflected into a malformed header line", path: "/malformed", status: StatusNetwork},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var logs logbuf.Buffer
			call := &Call{Module: "echo", HTTP: client, Logger: slog.New(slog.NewTextHandler(&logs, nil))}
			resp, status := doOn(client, context.Background(), call, "GET", srv.URL+tc.path,
				tc.header+"X-Token: {{latchkey.credential:tok}}\n", nil)
			if status != tc.status {
				t.Fatalf("status %d, want %d (refusal %q)", status, tc.status, call.Refusal())
			}
			if !strings.Contains(call.Refusal(), tc.refusal) {
				t.Errorf("refusal %q lacks %q", call.Refusal(), tc.refusal)
			}
			var got string
			if resp != nil {
				got = string(resp.Header) + string(resp.Body)
				if !strings.Contains(got, "[REDACTED:tok]") {
					t.Errorf("the guest would read no redaction: %q", got)
				}
			}
			if tc.status < 0 && !strings.Contains(logs.String(), "store=echo") {
				t.Errorf("the refusal is not logged under the store's name: %s", logs.String())
			}
			noLeak(t, "the response, the refusal or the log", got, call.Refusal(), logs.String())
			if testing.Verbose() {
				t.Logf("refusal %q\nlog %s", call.Refusal(), logs.String())
			}
		})
	}
}

// TestEchoEveryEncoding drives the echo server through every encoding
// and prefix, in the body and in a response header.
func TestEchoEveryEncoding(t *testing.T) {
	srv := startEchoServer(t)
	client := echoClient(t, srv, HTTPOptions{})
	for name := range wasmtest.EchoEncodings {
		for _, path := range []string{"/echo", "/header"} {
			for _, pre := range []string{"", "a", "ab"} {
				call := &Call{Module: "echo", HTTP: client}
				resp, status := doOn(client, context.Background(), call, "GET",
					srv.URL+path+"?enc="+name+"&pre="+pre, "X-Token: {{latchkey.credential:tok}}\n", nil)
				if status != 200 {
					t.Fatalf("%s%s: status %d (%s)", name, path, status, call.Refusal())
				}
				got := string(resp.Header) + string(resp.Body)
				noLeak(t, name+" "+path+" prefix "+pre, got)
			}
		}
	}
}

// TestOutboundNotes checks that each hop is recorded into the call's
// outbound list with the credentials substituted, refusals included; that
// each call's list is its own; and that AddOutbound records a brokered
// exchange into the call its context serves, and nothing without one.
func TestOutboundNotes(t *testing.T) {
	srv := startEchoServer(t)
	client := echoClient(t, srv, HTTPOptions{})
	host := strings.TrimPrefix(srv.URL, "http://")
	ctx := context.Background()
	call := &Call{Module: "echo", HTTP: client}
	doOn(client, ctx, call, "GET", srv.URL+"/echo?q=secret-query", "X-Token: {{latchkey.credential:tok}}\n", nil)
	doOn(client, ctx, call, "GET", srv.URL+"/redirect", "X-Token: {{latchkey.credential:tok}}\n", nil)
	doOn(client, ctx, call, "GET", "https://elsewhere.example/x", "", nil)
	srv.CloseClientConnections()
	doOn(client, ctx, call, "GET", srv.URL+"/malformed", "", nil) // fails: no refusal to record
	got := call.Outbound()
	want := []secret.Outbound{
		{Method: "GET", Host: host, Path: "/echo", Status: 200, Credentials: []string{"tok"}},
		{Method: "GET", Host: host, Path: "/redirect", Status: 302, Credentials: []string{"tok"}},
		{Method: "GET", Host: host, Path: "/landing", Refused: "redirect to http://" + host + "/landing: its URL holds a credential's value; not followed"},
		{Method: "GET", Host: "elsewhere.example", Path: "/x", Refused: "host elsewhere.example:443 is not in the store's allow list (add it to allowed_hosts)"},
		{Method: "GET", Host: host, Path: "/malformed"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("outbound notes:\n got %+v\nwant %+v", got, want)
	}
	noLeak(t, "the notes", fmt.Sprint(got))
	// Another call records into itself, not into the first, and nothing
	// fails.
	other := &Call{Module: "echo", HTTP: client}
	if _, status := doOn(client, context.Background(), other, "GET", srv.URL+"/echo", "", nil); status != 200 {
		t.Errorf("another call: status %d", status)
	}
	if len(call.Outbound()) != len(want) || len(other.Outbound()) != 1 || other.Outbound()[0].Path != "/echo" {
		t.Errorf("the calls' lists mixed: %+v and %+v", call.Outbound(), other.Outbound())
	}
	// A brokered exchange is recorded into the call its context serves;
	// without one, nowhere, and nothing fails.
	login := secret.Outbound{Method: "POST", Host: "login.example", Path: "/token", Status: 200, Credentials: []string{"login"}}
	AddOutbound(WithCall(ctx, other), login)
	AddOutbound(ctx, login)
	if o := other.Outbound(); len(o) != 2 || fmt.Sprint(o[1]) != fmt.Sprint(login) || len(call.Outbound()) != len(want) {
		t.Errorf("AddOutbound: %+v, %+v", o, call.Outbound())
	}
}

// TestRefusalBudget checks that refused attempts count against the
// call's budget and that refusal log lines are capped, with a summary.
func TestRefusalBudget(t *testing.T) {
	client, err := egress.NewClient(HTTPOptions{MaxRequests: 100})
	if err != nil {
		t.Fatal(err)
	}
	var logs logbuf.Buffer
	call := &Call{Module: "flood", HTTP: client, Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	statuses := map[int32]int{}
	for range 1000 {
		if !call.spend(context.Background(), "GET", nil) {
			statuses[StatusLimit]++
			continue
		}
		_, st := doOn(client, context.Background(), call, "BREW", "x", "", nil)
		statuses[st]++
	}
	call.Finish()
	if statuses[StatusArgument] != 100 || statuses[StatusLimit] != 900 {
		t.Errorf("statuses %v: want 100 refused as bad arguments, then the budget spent", statuses)
	}
	lines := strings.Count(logs.String(), "\n")
	if lines != MaxRefusalLogs+1 || !strings.Contains(logs.String(), "suppressed=") {
		t.Errorf("%d log lines, want %d and a summary:\n%s", lines, MaxRefusalLogs+1, logs.String())
	}
}
