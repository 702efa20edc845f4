package latchkey

import (
	"errors"
	"reflect"
	"testing"
)

func TestEncodeHeader(t *testing.T) {
	tests := []struct {
		name string
		in   map[string]string
		want string
	}{
		{"empty", nil, ""},
		{"sorted", map[string]string{"X-B": "2", "Accept": "application/json"}, "Accept: application/json\nX-B: 2\n"},
		{"the same again", map[string]string{"X-B": "2", "Accept": "application/json"}, "Accept: application/json\nX-B: 2\n"},
		{"a value changed", map[string]string{"X-B": "3", "Accept": "application/json"}, "Accept: application/json\nX-B: 3\n"},
		{"a name changed", map[string]string{"X-C": "3", "Accept": "application/json"}, "Accept: application/json\nX-C: 3\n"},
		{"one", map[string]string{"Authorization": "Bearer t"}, "Authorization: Bearer t\n"},
		{"an empty value", map[string]string{"Authorization": ""}, "Authorization: \n"},
		{"empty again", map[string]string{}, ""},
		{"more than a few", map[string]string{"J": "9", "B": "1", "I": "8", "A": "0", "H": "7", "C": "2", "G": "6", "D": "3", "F": "5", "E": "4"},
			"A: 0\nB: 1\nC: 2\nD: 3\nE: 4\nF: 5\nG: 6\nH: 7\nI: 8\nJ: 9\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(encodeHeader(tc.in)); got != tc.want {
				t.Fatalf("encodeHeader = %q, want %q", got, tc.want)
			}
			var back []HeaderField
			for k, v := range tc.in {
				back = append(back, HeaderField{k, v})
			}
			got := decodeHeader(tc.want)
			if len(got) != len(back) {
				t.Fatalf("decodeHeader(%q) = %v", tc.want, got)
			}
		})
	}
	r := &HTTPResponse{header: "Content-Type: text/plain\nX-A:  b \nbroken\n"}
	if r.HeaderValue("content-type") != "text/plain" || r.HeaderValue("X-A") != "b" || r.HeaderValue("broken") != "" || len(r.Header()) != 2 {
		t.Fatalf("decodeHeader: %+v", r.Header())
	}
}

func TestToError(t *testing.T) {
	tests := []struct {
		name string
		err  error
		code Code
	}{
		{"typed", NotFound("x"), CodeNotFound},
		{"host refusal", &HostError{Op: "http", Code: HostErrNotAllowed}, CodeNotAllowed},
		{"host network", &HostError{Op: "http", Code: HostErrNetwork}, CodeUnavailable},
		{"wrapped", wrapped{NotFound("y")}, CodeNotFound},
		{"plain", errors.New("boom"), CodeUnavailable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if c, _ := toError(tc.err); c != tc.code {
				t.Fatalf("toError(%v) = %v, want %v", tc.err, c, tc.code)
			}
		})
	}
	if !errors.Is(&HostError{Op: "x", Code: HostErrLimit}, ErrLimit) || errors.Is(&HostError{Code: HostErrLimit}, ErrNotAllowed) {
		t.Fatal("HostError.Is matches by code")
	}
	if !reflect.DeepEqual(itoa(-120), "-120") {
		t.Fatal("itoa")
	}
}

type wrapped struct{ err error }

func (w wrapped) Error() string { return "ctx: " + w.err.Error() }
func (w wrapped) Unwrap() error { return w.err }

func TestHandleConfig(t *testing.T) {
	defer func() { handler = nil }()
	parseErr := errors.New("boom")
	tests := []struct {
		name    string
		config  string
		parse   func(JSON) (string, error)
		want    string
		code    Code
		message string
	}{
		{"parsed", `{"a": "x"}`, func(doc JSON) (string, error) {
			v, _, err := doc.Lookup("a")
			if err != nil {
				return "", err
			}
			return v.Unquote()
		}, "x", 0, ""},
		{"empty config is {}", ``, func(doc JSON) (string, error) { return string(doc), nil }, "{}", 0, ""},
		{"typed error kept", `{}`, func(JSON) (string, error) { return "", NotFound("nope") }, "", CodeNotFound, "nope"},
		{"other error is invalid config", `{}`, func(JSON) (string, error) { return "", parseErr }, "", CodeInvalidConfig, "the store's config: boom"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			parses := 0
			HandleConfig(func(doc JSON) (string, error) { parses++; return tc.parse(doc) },
				func(cfg string, req Request) ([]byte, error) { return []byte(cfg + req.Name), nil })
			for range 2 {
				out, err := handler(Request{Config: []byte(tc.config)})
				if tc.code != 0 {
					var e *Error
					if !errors.As(err, &e) || e.Code != tc.code || e.Msg != tc.message {
						t.Fatalf("handler = %v, want %v %q", err, tc.code, tc.message)
					}
					continue
				}
				if err != nil || string(out) != tc.want {
					t.Fatalf("handler = %q, %v; want %q", out, err, tc.want)
				}
			}
			if parses != 1 {
				t.Errorf("config parsed %d times, want once", parses)
			}
		})
	}
}
