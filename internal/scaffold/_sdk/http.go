package latchkey

import (
	"strings"
	"unsafe"
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
//
// Go code in Wasm pays dearly for every allocation and every byte it
// scans, so Do passes strings to the host without copying them, encodes
// the header into a reused buffer (once, while it does not change) and
// reads the response through another: a fetch costs two allocations, the
// response and its bytes.
func Do(req HTTPRequest) (*HTTPResponse, error) {
	method := req.Method
	if method == "" {
		method = "GET"
	}
	status := httpRequest(method, req.URL, encodeHeader(req.Header), req.Body)
	if status < 0 {
		return nil, &HostError{Op: opName(method, req.URL), Code: HostCode(status)}
	}
	header, body, c := readResponse()
	if c != 0 {
		return nil, &HostError{Op: opName(method, req.URL) + ": reading the response", Code: c}
	}
	return &HTTPResponse{Status: int(status), Body: body, header: header}, nil
}

// opName names a request in errors, without the query, which may carry
// credentials.
func opName(method, url string) string {
	shown, _, _ := strings.Cut(url, "?")
	return "http " + method + " " + shown
}

// Get is Do with method GET and no body.
func Get(url string, header map[string]string) (*HTTPResponse, error) {
	return Do(HTTPRequest{Method: "GET", URL: url, Header: header})
}

var (
	hdrBuf    = make([]byte, 0, 512)
	hdrFields = make([][2]string, 0, 8) // the header hdrBuf holds
	respBuf   = make([]byte, 4096)
)

// readResponse reads the header block and the body of the last response
// into one allocation, through respBuf: two host calls when both fit, up to
// four otherwise. The header is a string over the front of that
// allocation, which nothing else can reach (the body starts after it).
func readResponse() (header string, body []byte, c HostCode) {
	h := httpResponseRead(partHeader, respBuf)
	if h < 0 {
		return "", nil, HostCode(h)
	}
	rest := respBuf[min(int(h), len(respBuf)):]
	b := httpResponseRead(partBody, rest)
	if b < 0 {
		return "", nil, HostCode(b)
	}
	if h == 0 && b == 0 {
		return "", nil, 0
	}
	buf := make([]byte, int(h)+int(b))
	if int(h) <= len(respBuf) {
		copy(buf, respBuf[:h])
	} else if n := httpResponseRead(partHeader, buf[:h]); n < 0 {
		return "", nil, HostCode(n)
	}
	if int(b) <= len(rest) {
		copy(buf[h:], rest[:b])
	} else if n := httpResponseRead(partBody, buf[h:]); n < 0 {
		return "", nil, HostCode(n)
	}
	if h > 0 {
		header = unsafe.String(&buf[0], h)
	}
	if b > 0 {
		body = buf[h:]
	}
	return header, body, 0
}

// encodeHeader returns h as "Name: value\n" lines, sorted by name, in
// hdrBuf. A store sends the same header with every request, so h is first
// checked against the previous one (hdrFields) by look-ups, which in Wasm
// cost a fraction of ranging over h: a range draws a random start and
// visits every slot, and each loop iteration is a check of the call's time
// limit.
func encodeHeader(h map[string]string) []byte {
	if len(h) == len(hdrFields) {
		same := true
		for _, f := range hdrFields {
			if v, ok := h[f[0]]; !ok || v != f[1] {
				same = false
				break
			}
		}
		if same { // the same number of names, each with the same value
			return hdrBuf
		}
	}
	hdrFields = hdrFields[:0]
	for k, v := range h {
		hdrFields = append(hdrFields, [2]string{k, v})
	}
	for i := 1; i < len(hdrFields); i++ { // a header has a few fields
		for j := i; j > 0 && hdrFields[j][0] < hdrFields[j-1][0]; j-- {
			hdrFields[j], hdrFields[j-1] = hdrFields[j-1], hdrFields[j]
		}
	}
	hdrBuf = hdrBuf[:0]
	for _, f := range hdrFields {
		hdrBuf = append(hdrBuf, f[0]...)
		hdrBuf = append(hdrBuf, ": "...)
		hdrBuf = append(hdrBuf, f[1]...)
		hdrBuf = append(hdrBuf, '\n')
	}
	return hdrBuf
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
