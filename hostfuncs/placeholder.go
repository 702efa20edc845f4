package hostfuncs

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
)

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
	for _, s := range []string{u.Path, u.RawPath, u.RawQuery, unescape(u.RawQuery), unescape(u.EscapedPath())} {
		if placeholderIn(s) {
			return placeholderReason(s, "the URL")
		}
	}
	for name, vs := range req.Header {
		if placeholderIn(name) {
			return placeholderReason(name, "a header name")
		}
		for _, v := range vs {
			if placeholderIn(v) {
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
	end := strings.Index(rest, placeholderSuffix)
	if end >= 0 && end <= 72 {
		name, _, _ := strings.Cut(rest[:end], "|")
		if validCredentialName(name) {
			return fmt.Sprintf("credential placeholder %s%s%s in %s names no credential of the store, so it was not substituted; it is never sent as is (declare the credential in the store's credentials)",
				PlaceholderPrefix, name, placeholderSuffix, where)
		}
	}
	return fmt.Sprintf("malformed credential placeholder in %s: want %sNAME%s; it is never sent as is", where, PlaceholderPrefix, placeholderSuffix)
}
