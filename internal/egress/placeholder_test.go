package egress

import (
	"net/http"
	"strings"
	"testing"
)

// FuzzStrayPlaceholder: whatever URL, header and body a guest builds, a
// request the check lets through to the server holds no placeholder in
// any place the substitution recognises.
func FuzzStrayPlaceholder(f *testing.F) {
	f.Add("/a/%7B%7Blatchkey.credential:x%7D%7D", "{{latchkey.credential:x}}", "{{latchkey.credential:")
	f.Add("/a?q=%7b%7blatchkey.credential%3ax", "v", "b")
	f.Fuzz(func(t *testing.T, path, header, body string) {
		req, err := http.NewRequest("POST", "http://h.example"+path, strings.NewReader(body))
		if err != nil {
			t.Skip()
		}
		req.Header["X-A"] = []string{header}
		if strayPlaceholder(req, []byte(body), false) != "" {
			return
		}
		u := req.URL
		for _, s := range []string{u.Path, u.RawQuery, Unescape(u.RawQuery), Unescape(u.EscapedPath()), header, body} {
			if strings.Contains(s, PlaceholderPrefix) {
				t.Fatalf("a placeholder got through in %q", s)
			}
		}
	})
}
