package server

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/server/api"
)

// rawPing sends GET /ping on c and reads the answer.
func rawPing(c net.Conn, br *bufio.Reader) (*http.Response, error) {
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, "GET /ping HTTP/1.1\r\nHost: l\r\n\r\n"); err != nil {
		return nil, err
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return nil, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp, nil
}

// closedByServer reports whether the server closed c within d.
func closedByServer(c net.Conn, br *bufio.Reader, d time.Duration) bool {
	_ = c.SetReadDeadline(time.Now().Add(d))
	_, err := br.ReadByte()
	return errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || err != nil && strings.Contains(err.Error(), "reset")
}

// TestStrangersCannotTakeSlots attacks the TCP listener as a local process
// with no token: it fills every connection slot, keeps its connections
// alive with /ping and opens new ones as fast as they are closed, some of
// them silent. A client with the token is answered within 100 ms all the
// while, and every stranger's connection ends after one answer.
func TestStrangersCannotTakeSlots(t *testing.T) {
	h := start(t, "  max_connections: 4\n", nil)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	var kept int // pings answered on a connection that already answered one
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(silent bool) {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				c, err := net.Dial("tcp", h.tcp)
				if err != nil {
					time.Sleep(5 * time.Millisecond)
					continue
				}
				br := bufio.NewReader(c)
				for n := 0; ; n++ {
					if silent {
						_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
						_, _ = br.ReadByte() // held until the server ends it
						break
					}
					if _, err = rawPing(c, br); err != nil {
						break
					}
					if n > 0 {
						mu.Lock()
						kept++
						mu.Unlock()
					}
					time.Sleep(20 * time.Millisecond)
				}
				c.Close()
				time.Sleep(5 * time.Millisecond) // holding, not flooding (a CPU fight, which nothing bounds)
			}
		}(i%2 == 0)
	}
	defer func() { close(stop); wg.Wait() }()
	time.Sleep(200 * time.Millisecond) // the strangers hold every slot

	authorized := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	var slowest time.Duration
	for i := 0; i < 20; i++ {
		begin := time.Now()
		r := h.do(authorized, "http://"+h.tcp, "GET", "/v1/secret?ref="+url.QueryEscape("secret://mem/db#username"), "", api.TokenHeader, testToken)
		took := time.Since(begin)
		if r.status != 200 || !strings.Contains(r.body, `"etl"`) {
			t.Fatalf("authorized request %d: %d %s", i, r.status, r.body)
		}
		slowest = max(slowest, took)
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("slowest of 20 authorized requests while strangers held the slots: %v", slowest)
	if slowest > 100*time.Millisecond {
		t.Errorf("an authorized request took %v while strangers held the slots; want ≤ 100ms", slowest)
	}
	mu.Lock()
	defer mu.Unlock()
	if kept != 0 {
		t.Errorf("%d pings were answered on a stranger's kept-alive connection: /ping must end an unauthenticated connection", kept)
	}
}

// TestUntrustedConnectionEnds: on TCP, a connection that has not presented
// a token answers one request and is closed; a silent one is closed within
// untrustedLife; a 401 closes the connection; one that presented the token
// is kept alive.
func TestUntrustedConnectionEnds(t *testing.T) {
	h := start(t, "", nil)
	dial := func() (net.Conn, *bufio.Reader) {
		c, err := net.Dial("tcp", h.tcp)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c, bufio.NewReader(c)
	}
	tests := []struct {
		name    string
		request string
		status  int
		closed  bool
	}{
		{"ping without a token", "GET /ping HTTP/1.1\r\nHost: l\r\n\r\n", 200, true},
		{"no token", "GET /healthz HTTP/1.1\r\nHost: l\r\n\r\n", 401, true},
		{"wrong token", "GET /healthz HTTP/1.1\r\nHost: l\r\n" + api.TokenHeader + ": " + testToken + "x\r\n\r\n", 401, true},
		{"the token", "GET /healthz HTTP/1.1\r\nHost: l\r\n" + api.TokenHeader + ": " + testToken + "\r\n\r\n", 200, false},
		{"ping after the token", "GET /healthz HTTP/1.1\r\nHost: l\r\n" + api.TokenHeader + ": " + testToken + "\r\n\r\nGET /ping HTTP/1.1\r\nHost: l\r\n\r\n", 200, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, br := dial()
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			io.WriteString(c, tc.request)
			for range strings.Count(tc.request, "HTTP/1.1\r\n") {
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					t.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != tc.status {
					t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
				}
			}
			if got := closedByServer(c, br, 500*time.Millisecond); got != tc.closed {
				t.Fatalf("connection closed by the server: %v, want %v", got, tc.closed)
			}
		})
	}
	t.Run("silent", func(t *testing.T) {
		c, br := dial()
		begin := time.Now()
		if !closedByServer(c, br, untrustedLife+2*time.Second) {
			t.Fatalf("a silent connection was still open after %v", time.Since(begin))
		}
		if took := time.Since(begin); took < untrustedLife-200*time.Millisecond {
			t.Errorf("a silent connection was closed after %v, before untrustedLife (%v): nothing else was competing for its slot", took, untrustedLife)
		}
	})
}

// TestStrangerUIDShare: a unix uid that no callers entry names (here the
// test's own) holds at most untrustedPerUID connections; more are closed at
// once; each of its connections answers one request, and a refused store
// read (403) ends it too.
func TestStrangerUIDShare(t *testing.T) {
	h := start(t, "callers:\n  other:\n    uids: [4242]\n    stores:\n      mem: {}\n", nil)
	var conns []net.Conn
	var readers []*bufio.Reader
	for range untrustedPerUID + 3 {
		c, err := net.Dial("unix", h.sock)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns, readers = append(conns, c), append(readers, bufio.NewReader(c))
	}
	var open []int
	for i, c := range conns {
		if !closedByServer(c, readers[i], 300*time.Millisecond) {
			open = append(open, i)
		}
	}
	if len(open) != untrustedPerUID {
		t.Fatalf("%d of %d connections of a stranger uid stayed open, want %d", len(open), len(conns), untrustedPerUID)
	}
	for n, i := range open {
		req := "GET /healthz HTTP/1.1\r\nHost: l\r\n\r\n"
		want := 200
		if n%2 == 1 {
			req, want = "GET /v1/secret?ref=secret%3A%2F%2Fmem%2Fdb HTTP/1.1\r\nHost: l\r\n\r\n", 403
		}
		_ = conns[i].SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(conns[i], req)
		resp, err := http.ReadResponse(readers[i], nil)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want || !closedByServer(conns[i], readers[i], time.Second) {
			t.Errorf("stranger request %d: status %d (want %d), and its connection must end after it", n, resp.StatusCode, want)
		}
	}
}
