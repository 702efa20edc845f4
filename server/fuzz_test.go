package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/secret"
	"github.com/latchkey/latchkey/server/api"
)

// FuzzAPI sends arbitrary bodies and queries to every endpoint. No input
// may reach the handler's panic guard (a 500) or hang, and every error is
// the JSON error body.
func FuzzAPI(f *testing.F) {
	seeds := []struct{ path, query, body string }{
		{"/v1/resolve", "name=wf.yaml", "fields:\n  a: secret://mem/db#password\n"},
		{"/v1/resolve", "name=wf.json", `{"fields":{"a":{"store":"mem","secret":"db","key":"password"}}}`},
		{"/v1/resolve", "format=toml", "[fields]\na = \"secret://mem/token\"\n"},
		{"/v1/resolve", "", "fields:\n  a: &x [*x]\n"},
		{"/v1/resolve", "refresh=true", "fields: {a: {ref: 'secret://mem/db?version=%zz'}}"},
		{"/v1/check", "offline=true", "fields:\n  a: secret:///#k\n"},
		{"/v1/secret", "ref=" + url.QueryEscape("secret://mem/db#a.b.0"), ""},
		{"/v1/secret", "ref=secret%3A", ""},
		{"/v1/invalidate", "", `{"store":"mem","secret":"db","version":"v"}`},
		{"/v1/invalidate", "", `{"all":true,"all":false}`},
		{"/secretsmanager/get", "secretId=db&versionStage=AWSCURRENT&refreshNow=true", ""},
		{"/secretsmanager/get", "secretId=&versionId=x&versionStage=y", ""},
		{"/v1/watch", "since=" + strings.Repeat("ab", 32) + "&interval=1s&wait=1s", "fields:\n  a: secret://mem/db#password\n"},
		{"/v1/watch", "since=%00&interval=-1s&wait=99h", "fields:\n  a: secret://other/x\n"},
	}
	for _, s := range seeds {
		f.Add(s.path, s.query, []byte(s.body))
	}
	h := start(f, "", nil)
	f.Fuzz(func(t *testing.T, path, query string, body []byte) {
		i := slices.IndexFunc(endpoints, func(e endpoint) bool { return e.path == path })
		if i < 0 {
			return
		}
		rt := endpoints[i]
		u := &url.URL{Path: path, RawQuery: query}
		req := httptest.NewRequest(rt.method, "http://latchkey/", bytes.NewReader(body))
		req.URL = u
		req = req.WithContext(connContext(req.Context(), &conn{transport: overUnix,
			caller: secret.Caller{Kind: secret.CallerUnix, UID: 1, GID: 1, PID: 1}}))
		w := httptest.NewRecorder()
		h.srv.http.Handler.ServeHTTP(w, req)
		if w.Code == http.StatusInternalServerError {
			t.Fatalf("%s?%s with %q: 500 %s", path, query, body, w.Body)
		}
		if w.Code != http.StatusOK && !strings.HasPrefix(path, "/secretsmanager") {
			var eb api.ErrorBody
			if err := json.Unmarshal(w.Body.Bytes(), &eb); err != nil || eb.Error.Code == "" || eb.Error.Message == "" {
				t.Fatalf("%s: %d, not the error body: %s", path, w.Code, w.Body)
			}
		}
	})
}
