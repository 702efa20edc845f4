package egress

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// PlaceholderPrefix and PlaceholderSuffix delimit a credential placeholder,
// {{latchkey.credential:NAME}} (hostfuncs.PlaceholderPrefix documents the
// syntax; guest-sdk/ABI.md too).
const (
	PlaceholderPrefix = "{{latchkey.credential:"
	PlaceholderSuffix = "}}"
)

// ContainsPlaceholder reports whether s holds the start of a placeholder.
func ContainsPlaceholder(s string) bool { return strings.Contains(s, PlaceholderPrefix) }

// Unescape returns s query-unescaped, or s when it is not well escaped: a
// placeholder is looked for in both forms.
func Unescape(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}

// ValidCredentialName reports whether s is a credential's name: 1 to 64
// ASCII letters, digits, '_' and '-'.
func ValidCredentialName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// strayPlaceholder says why req, about to be sent, must be refused because
// it still holds a credential placeholder, or "". It runs on every hop
// after the request hook, whatever the hook is (none when the store
// declares no credentials): a placeholder the hook did not substitute is
// one that names no credential, and sending it verbatim would tell the
// server the module's intent and break ABI.md's promise that an unknown
// placeholder is refused. It looks where the credential hook looks: the
// URL (path and query, raw and percent-decoded), every header name and
// value, and the body. body is the guest's body; when the hook ran and
// that body held a placeholder, the body the hook left is read instead.
func strayPlaceholder(req *http.Request, body []byte, hooked bool) string {
	u := req.URL
	for _, s := range []string{u.Path, u.RawPath, u.RawQuery, Unescape(u.RawQuery), Unescape(u.EscapedPath())} {
		if ContainsPlaceholder(s) {
			return placeholderReason(s, "the URL")
		}
	}
	for name, vs := range req.Header {
		if ContainsPlaceholder(name) {
			return placeholderReason(name, "a header name")
		}
		for _, v := range vs {
			if ContainsPlaceholder(v) {
				return placeholderReason(v, "header "+name)
			}
		}
	}
	if !bytes.Contains(body, []byte(PlaceholderPrefix)) {
		return ""
	}
	if hooked && req.GetBody != nil {
		rc, err := req.GetBody()
		if err != nil {
			return "its body cannot be read to check it for credential placeholders"
		}
		sent, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return "its body cannot be read to check it for credential placeholders"
		}
		body = sent
	}
	if i := bytes.Index(body, []byte(PlaceholderPrefix)); i >= 0 {
		return placeholderReason(string(body[i:min(len(body), i+len(PlaceholderPrefix)+80)]), "the body")
	}
	return ""
}

// placeholderReason names the first placeholder in s and where it sat.
// The name is the guest's text, so only a well-formed one is quoted.
func placeholderReason(s, where string) string {
	rest := s[strings.Index(s, PlaceholderPrefix)+len(PlaceholderPrefix):]
	end := strings.Index(rest, PlaceholderSuffix)
	if end >= 0 && end <= 72 {
		name, _, _ := strings.Cut(rest[:end], "|")
		if ValidCredentialName(name) {
			return fmt.Sprintf("credential placeholder %s%s%s in %s names no credential of the store, so it was not substituted; it is never sent as is (declare the credential in the store's credentials)",
				PlaceholderPrefix, name, PlaceholderSuffix, where)
		}
	}
	return fmt.Sprintf("malformed credential placeholder in %s: want %sNAME%s; it is never sent as is", where, PlaceholderPrefix, PlaceholderSuffix)
}
