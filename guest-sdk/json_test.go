package latchkey

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestJSONLookup(t *testing.T) {
	doc := JSON(` {"data": {"password": "pw\u00e9\n", "n": -1.5e3, "list": [1, {"a": null}], "dup": 1, "dup": 2},
		"esc\"aped": true, "empty": {}} `)
	tests := []struct {
		name string
		path []string
		want string
		ok   bool
	}{
		{"whole document", nil, strings.TrimSpace(string(doc)), true},
		{"string", []string{"data", "password"}, `"pw\u00e9\n"`, true},
		{"number", []string{"data", "n"}, `-1.5e3`, true},
		{"array", []string{"data", "list"}, `[1, {"a": null}]`, true},
		{"last duplicate wins", []string{"data", "dup"}, `2`, true},
		{"escaped key", []string{`esc"aped`}, `true`, true},
		{"empty object", []string{"empty"}, `{}`, true},
		{"missing key", []string{"data", "nope"}, "", false},
		{"inside a non-object", []string{"data", "n", "x"}, "", false},
		{"inside an array", []string{"data", "list", "0"}, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok, err := doc.Lookup(tc.path...)
			if err != nil || ok != tc.ok || string(got) != tc.want {
				t.Fatalf("Lookup(%q) = %q, %v, %v; want %q, %v", tc.path, got, ok, err, tc.want, tc.ok)
			}
		})
	}
}

func TestJSONUnquote(t *testing.T) {
	tests := []struct {
		name, in, want string
		err            bool
	}{
		{"plain", `"abc"`, "abc", false},
		{"spaces around", " \"abc\"\n", "abc", false},
		{"escapes", `"a\"b\\c\/d\b\f\n\r\t"`, "a\"b\\c/d\b\f\n\r\t", false},
		{"unicode escape", `"\u00e9\u20AC"`, "é€", false},
		{"surrogate pair", `"\ud83d\ude00"`, "😀", false},
		{"lone high surrogate", `"\ud83dx"`, "\uFFFDx", false},
		{"lone low surrogate", `"\ude00"`, "\uFFFD", false},
		{"high surrogate then escape", `"\ud83d\n"`, "\uFFFD\n", false},
		{"raw UTF-8", `"héllo"`, "héllo", false},
		{"invalid UTF-8", "\"a\xffb\"", "a\uFFFDb", false},
		{"not a string", `12`, "", true},
		{"two values", `"a" "b"`, "", true},
		{"unterminated", `"abc`, "", true},
		{"control character", "\"a\nb\"", "", true},
		{"bad escape", `"\x"`, "", true},
		{"short unicode escape", `"\u12"`, "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := JSON(tc.in).Unquote()
			if (err != nil) != tc.err || got != tc.want {
				t.Fatalf("Unquote(%q) = %q, %v; want %q (error %v)", tc.in, got, err, tc.want, tc.err)
			}
		})
	}
}

func TestJSONMembers(t *testing.T) {
	var keys, values []string
	err := JSON(`{"a": 1, "b\u0021": "x", "c": [true, false]}`).Members(func(k string, v JSON) error {
		keys, values = append(keys, k), append(values, string(v))
		return nil
	})
	if err != nil || !reflect.DeepEqual(keys, []string{"a", "b!", "c"}) || !reflect.DeepEqual(values, []string{"1", `"x"`, "[true, false]"}) {
		t.Fatalf("Members: %q %q %v", keys, values, err)
	}
	stop := errors.New("stop")
	calls := 0
	if err := JSON(`{"a": 1, "b": 2}`).Members(func(string, JSON) error { calls++; return stop }); err != stop || calls != 1 {
		t.Fatalf("Members returns f's error at once: %v after %d calls", err, calls)
	}
	for _, bad := range []string{`[1]`, `{"a": 1,}`, `{"a" 1}`, `{"a": 1} x`, ``, `{"a": 1, "b": }`} {
		called := false
		var je *JSONError
		if err := JSON(bad).Members(func(string, JSON) error { called = true; return nil }); !errors.As(err, &je) || called {
			t.Errorf("Members(%q) = %v, called f: %v", bad, err, called)
		}
	}
}

func TestJSONErrorsHoldNoText(t *testing.T) {
	const planted = "s3cr3t-planted"
	for _, doc := range []string{`{"k": "` + planted + `"`, `["` + planted + `" "x"]`, `"` + planted + "\x01\"", `{"` + planted + `": x}`} {
		_, _, err := JSON(doc).Lookup("k")
		if err == nil || strings.Contains(err.Error(), planted) || strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("Lookup(%q): %v", doc, err)
		}
	}
}

func TestJSONDepth(t *testing.T) {
	deep := strings.Repeat("[", maxJSONDepth+1) + strings.Repeat("]", maxJSONDepth+1)
	if _, _, err := JSON(deep).Lookup(); err == nil {
		t.Fatal("nesting past the limit is accepted")
	}
	ok := strings.Repeat("[", maxJSONDepth) + strings.Repeat("]", maxJSONDepth)
	if _, _, err := JSON(ok).Lookup(); err != nil {
		t.Fatalf("nesting at the limit: %v", err)
	}
}

// FuzzJSON checks the reader against encoding/json: the same documents are
// valid, strings decode the same, and objects have the same members.
func FuzzJSON(f *testing.F) {
	for _, s := range []string{`{"a": {"b": "c"}}`, `[1, 2.5e-3, "x\u00e9", null, true]`, `"\ud83d\ude00\ud800"`,
		`-0`, `01`, `1.`, `{"a":1,"a":2}`, "\"\xff\"", `{"":""}`, ` "a\/b" `, `{"a" : [ ] , "b" : { } }`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v := JSON(b)
		_, _, err := v.Lookup()
		if valid := json.Valid(b); valid != (err == nil) {
			t.Fatalf("valid %q: encoding/json says %v, Lookup says %v", b, valid, err)
		}
		if err != nil {
			return
		}
		var s string
		if json.Unmarshal(b, &s) == nil {
			got, err := v.Unquote()
			if err != nil || got != s {
				t.Fatalf("Unquote(%q) = %q, %v; encoding/json gives %q", b, got, err, s)
			}
		}
		var m map[string]json.RawMessage
		if json.Unmarshal(b, &m) == nil {
			got := map[string]json.RawMessage{}
			if err := v.Members(func(k string, val JSON) error { got[k] = json.RawMessage(val); return nil }); err != nil {
				t.Fatalf("Members(%q): %v", b, err)
			}
			for k, want := range m {
				if !bytes.Equal(got[k], bytes.TrimSpace(want)) {
					t.Fatalf("Members(%q)[%q] = %q, encoding/json gives %q", b, k, got[k], want)
				}
				if val, ok, err := v.Lookup(k); err != nil || !ok || !bytes.Equal(val, got[k]) {
					t.Fatalf("Lookup(%q) in %q = %q, %v, %v", k, b, val, ok, err)
				}
			}
			if len(got) != len(m) {
				t.Fatalf("Members(%q): %d keys, encoding/json %d", b, len(got), len(m))
			}
		}
	})
}
