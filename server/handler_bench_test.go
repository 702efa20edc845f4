package server

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/secret"
)

// BenchmarkHandlerCached is a cached resolve of a 3-secret workflow
// through the handler alone (no socket, no HTTP parsing): what the server
// adds to the resolver, next to BenchmarkResolveOverSocket's total.
//
//	go test ./server -run '^$' -bench HandlerCached
func BenchmarkHandlerCached(b *testing.B) {
	h := start(b, "", nil)
	const wf = "fields:\n  user: secret://mem/db#username\n  password: secret://mem/db#password\n  token: secret://mem/token\n  x: secret://other/x\n"
	c := &conn{transport: overUnix, caller: secret.Caller{Kind: secret.CallerUnix, UID: 1, GID: 1, PID: 1}}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest("POST", "http://latchkey/v1/resolve", strings.NewReader(wf))
			req = req.WithContext(connContext(req.Context(), c))
			w := httptest.NewRecorder()
			h.srv.http.Handler.ServeHTTP(w, req)
			if w.Code != 200 {
				b.Fatal(w.Code, w.Body)
			}
		}
	})
}
