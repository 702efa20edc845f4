package latchkey

import (
	"sort"
	"strings"
)

// HTTPRequest is a request the host makes on the module's behalf.
type HTTPRequest struct {
	Method string            // "GET" when empty
	URL    string            // absolute http or https URL
	Header map[string]string // sent in sorted order; Host and hop-by-hop headers are dropped by the host
	Body   []byte
}

// HTTPResponse is what the host received, after any redirects it followed.
type HTTPResponse struct {
	Status int
	Body   []byte
	// header is the raw header block, decoded on demand: most stores look
	// at one header or none, and Go code in Wasm pays for every byte it
	// scans.
	header string
}

// Header returns the response's header lines, in the order the host wrote
// them (sorted by name).
func (r *HTTPResponse) Header() []HeaderField { return decodeHeader(r.header) }

// HeaderField is one response header line. Name is in canonical form
// ("Content-Type").
type HeaderField struct {
	Name, Value string
}

// HeaderValue returns the first value of the response header name, compared
// without regard to letter case, or "".
func (r *HTTPResponse) HeaderValue(name string) string {
	for s := r.header; s != ""; {
		var line string
		line, s, _ = strings.Cut(s, "\n")
		if n, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(n, name) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// Response parts of http_response_read; part of the ABI.
const (
	partHeader = 0
	partBody   = 1
)

// Do asks the host to make req. The host checks the URL against the store's
// allow list (and every redirect it follows), refuses private addresses
// unless the operator allowed them, and caps sizes and counts; a refusal is
// a [*HostError] matching [ErrNotAllowed], [ErrTooLarge] or [ErrLimit].
func Do(req HTTPRequest) (*HTTPResponse, error) {
	method := req.Method
	if method == "" {
		method = "GET"
	}
	// The query may carry credentials: keep it out of error messages.
	shown, _, _ := strings.Cut(req.URL, "?")
	op := "http " + method + " " + shown
	status := httpRequest([]byte(method), []byte(req.URL), encodeHeader(req.Header), req.Body)
	if status < 0 {
		return nil, &HostError{Op: op, Code: HostCode(status)}
	}
	hdr, c := readPart(partHeader)
	if c != 0 {
		return nil, &HostError{Op: op + ": reading headers", Code: c}
	}
	body, c := readPart(partBody)
	if c != 0 {
		return nil, &HostError{Op: op + ": reading body", Code: c}
	}
	return &HTTPResponse{Status: int(status), Body: body, header: string(hdr)}, nil
}

// Get is Do with method GET and no body.
func Get(url string, header map[string]string) (*HTTPResponse, error) {
	return Do(HTTPRequest{Method: "GET", URL: url, Header: header})
}

// readPart reads one part of the last response into a slice of its own.
func readPart(part int32) ([]byte, HostCode) {
	n := httpResponseRead(part, nil)
	if n < 0 {
		return nil, HostCode(n)
	}
	if n == 0 {
		return nil, 0
	}
	b := make([]byte, n)
	if m := httpResponseRead(part, b); m < 0 {
		return nil, HostCode(m)
	}
	return b, 0
}

// encodeHeader writes "Name: value\n" lines, sorted by name.
func encodeHeader(h map[string]string) []byte {
	if len(h) == 0 {
		return nil
	}
	names := make([]string, 0, len(h))
	size := 0
	for k, v := range h {
		names = append(names, k)
		size += len(k) + len(v) + 3
	}
	sort.Strings(names)
	b := make([]byte, 0, size)
	for _, k := range names {
		b = append(b, k...)
		b = append(b, ": "...)
		b = append(b, h[k]...)
		b = append(b, '\n')
	}
	return b
}

func decodeHeader(s string) []HeaderField {
	var out []HeaderField
	for s != "" {
		line, rest, _ := strings.Cut(s, "\n")
		s = rest
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		out = append(out, HeaderField{Name: name, Value: strings.TrimSpace(value)})
	}
	return out
}
