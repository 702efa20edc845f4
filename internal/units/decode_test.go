package units

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

type inner struct {
	Depth int               `json:"depth"`
	Tags  map[string]string `json:"tags"`
}

// textish is a value with a parser of its own, whose error quotes the
// value as given.
type textish string

func (t *textish) UnmarshalText(b []byte) error {
	if !strings.HasPrefix(string(b), "ok") {
		return fmt.Errorf("%s is not ok", b)
	}
	*t = textish(b)
	return nil
}

type embedded struct {
	Shared string `json:"shared"`
}

type decodeTarget struct {
	embedded
	Name      string           `json:"name"`
	Count     int              `json:"count"`
	Small     int8             `json:"small"`
	Port      uint16           `json:"port"`
	Ratio     float64          `json:"ratio"`
	On        bool             `json:"on"`
	Wait      time.Duration    `json:"wait"`
	Delay     time.Duration    `json:"delay" units:"positive" eg:"500ms or 2s"`
	Limit     int64            `json:"limit" units:"size"`
	Max       int32            `json:"max" units:"size"`
	List      []string         `json:"list"`
	Inner     inner            `json:"inner"`
	Opt       *inner           `json:"opt"`
	Raw       json.RawMessage  `json:"raw"`
	Any       any              `json:"any"`
	Legacy    Duration         `json:"legacy"`
	Password  string           `json:"password"`
	Hidden    time.Duration    `json:"hidden" secret:"true"`
	APIKey    Size             `json:"api_key"`
	Creds     map[string]inner `json:"credentials"`
	Interval  *time.Duration   `json:"secs" units:"seconds,off"`
	Flag      bool             `json:"flag" units:"str"`
	Num       *int             `json:"num" units:"str"`
	Text      textish          `json:"text"`
	TextToken textish          `json:"text_token"`
	Prefix    netip.Prefix     `json:"prefix"`
	Skip      string           `json:"-"`
	//lint:ignore U1000 an unexported field the decoder must leave alone
	private string
}

// TestDecode checks what Decode accepts and, for each way a settings map
// can be wrong, the key it names and what it says.
func TestDecode(t *testing.T) {
	tests := []struct {
		name string
		src  map[string]any
		want func(d decodeTarget) bool
		errs []string // each "KEY: text in the message"; nil: no error
	}{
		{name: "every kind", src: map[string]any{
			"name": "n", "count": 3, "small": float64(-128), "port": uint64(443), "ratio": 1.5, "on": true,
			"wait": "15m", "delay": "500ms", "limit": "64MiB", "max": 4096, "list": []any{"a", "b"},
			"inner": map[string]any{"depth": 2, "tags": map[string]any{"x": "y"}}, "opt": map[string]any{"depth": 1},
			"raw": map[string]any{"k": []any{1, "v"}}, "any": []any{1}, "legacy": "2s", "shared": "s", "password": "p",
			"credentials": map[string]any{"db": map[string]any{"depth": 4}}},
			want: func(d decodeTarget) bool {
				return d.Name == "n" && d.Count == 3 && d.Small == -128 && d.Port == 443 && d.Ratio == 1.5 && d.On &&
					d.Wait == 15*time.Minute && d.Delay == 500*time.Millisecond && d.Limit == 64<<20 && d.Max == 4096 &&
					reflect.DeepEqual(d.List, []string{"a", "b"}) && d.Inner.Depth == 2 && d.Inner.Tags["x"] == "y" &&
					d.Opt != nil && d.Opt.Depth == 1 && string(d.Raw) == `{"k":[1,"v"]}` && d.Legacy == Duration(2*time.Second) &&
					d.Shared == "s" && d.Password == "p" && d.Creds["db"].Depth == 4
			}},
		{name: "absent and null keep defaults", src: map[string]any{"name": nil},
			want: func(d decodeTarget) bool { return d.Name == "default" && d.Count == 7 }},
		{name: "seconds, off and strings", src: map[string]any{"secs": "30", "flag": "true", "num": "12"},
			want: func(d decodeTarget) bool { return *d.Interval == 30*time.Second && d.Flag && *d.Num == 12 }},
		{name: "off", src: map[string]any{"secs": "OFF"}, want: func(d decodeTarget) bool { return *d.Interval == -1 }},
		{name: "bare seconds", src: map[string]any{"secs": 90}, want: func(d decodeTarget) bool { return *d.Interval == 90*time.Second }},
		{name: "negative seconds", src: map[string]any{"secs": -5}, errs: []string{`secs: "-5" is not a duration`}},
		{name: "off only where tagged", src: map[string]any{"wait": "off"}, errs: []string{`wait: "off" is not a duration`}},
		{name: "strings only where tagged", src: map[string]any{"on": "true", "flag": "maybe", "num": "012"},
			errs: []string{"flag: must be a boolean (true or false), not a string", "num: must be a whole number, not a string", "on: must be a boolean (true or false), not a string"}},
		{name: "unknown key with suggestion", src: map[string]any{"nmae": "x"}, errs: []string{`nmae: unknown key`, `nmae: did you mean "name"?`}},
		{name: "unknown nested key", src: map[string]any{"inner": map[string]any{"dpeth": 1}}, errs: []string{`inner.dpeth: did you mean "depth"?`}},
		{name: "json-", src: map[string]any{"Skip": "x", "private": "y"}, errs: []string{"Skip: unknown key", "private: unknown key"}},
		{name: "string for an int", src: map[string]any{"count": "3"}, errs: []string{"count: must be a whole number, not a string"}},
		{name: "number for a string", src: map[string]any{"name": 1234567890123456789}, errs: []string{"name: must be a string, not a number: quote it"}},
		{name: "bool for a list", src: map[string]any{"list": true}, errs: []string{"list: must be a list of strings, not a boolean"}},
		{name: "number in a list", src: map[string]any{"list": []any{"a", 2}}, errs: []string{"list: must be a string, not a number"}},
		{name: "map where a scalar goes", src: map[string]any{"name": map[string]any{"a": 1}, "count": []any{1}, "wait": map[string]any{}},
			errs: []string{"count: must be a whole number, not a list", "name: must be a string, not a map", "wait: must be a duration (write e.g. 15m), not a map"}},
		{name: "scalar where a map goes", src: map[string]any{"inner": "x", "credentials": 3}, errs: []string{"credentials: must be a map, not a number", "inner: must be a map, not a string"}},
		{name: "duration without unit", src: map[string]any{"wait": 30, "delay": "30"}, errs: []string{`delay: "30" is not a positive duration (write e.g. 500ms or 2s)`, `wait: "30" is not a duration (write e.g. 15m)`}},
		{name: "duration not positive", src: map[string]any{"delay": "-1s"}, errs: []string{`delay: "-1s" is not a positive duration`}},
		{name: "negative size", src: map[string]any{"limit": -1, "max": "-1KiB"}, errs: []string{"limit: not a size", "max: not a size"}},
		{name: "size beyond the field", src: map[string]any{"max": "4GiB"}, errs: []string{"max: must be a size of at most 2147483647 bytes"}},
		{name: "huge numbers", src: map[string]any{"count": 1e300, "small": 200, "port": -1, "ratio": math.MaxFloat64},
			errs: []string{"count: must be a whole number, not a number with a fraction or beyond its range", "port: must be a whole number from 0 to 65535, not a negative number", "small: must be a whole number from -128 to 127, not a number beyond its range"}},
		{name: "fraction", src: map[string]any{"count": 2.5}, errs: []string{"count: must be a whole number, not a number with a fraction"}},
		{name: "NaN", src: map[string]any{"count": math.NaN(), "port": math.Inf(1)}, errs: []string{"count: must be a whole number", "port: must be a whole number from 0 to 65535"}},
		{name: "control characters quoted", src: map[string]any{"wait": "1\x00m\nlevel=ERROR"}, errs: []string{`wait: "1\x00m\nlevel=ERROR" is not a duration`}},
		{name: "long value shortened", src: map[string]any{"wait": strings.Repeat("é", 100)}, errs: []string{`wait: "` + strings.Repeat("é", 32) + `"…`}},
		{name: "text for a struct", src: map[string]any{"prefix": 24}, errs: []string{"prefix: must be a string, not a number"}},
		{name: "a parser's message", src: map[string]any{"text": "bad"}, errs: []string{"text: bad is not ok"}},
		{name: "a parser's message with a newline", src: map[string]any{"text": "x\nlevel=ERROR msg=forged"}, errs: []string{`text: "x\nlevel=ERROR msg=forged is not ok"`}},
		{name: "a parser's message for a secret", src: map[string]any{"text_token": "hunter2"}, errs: []string{"text_token: is not a valid value (it is not quoted here"}},
		{name: "every problem at once", src: map[string]any{"count": "x", "bogus": 1, "wait": "soon"}, errs: []string{"bogus: unknown key", "count: must be a whole number", `wait: "soon" is not a duration`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := decodeTarget{Name: "default", Count: 7}
			err := Decode(tc.src, &d)
			if tc.errs == nil {
				if err != nil {
					t.Fatalf("Decode: %v", err)
				}
				if !tc.want(d) {
					t.Fatalf("decoded %+v", d)
				}
				return
			}
			var list []*DecodeError
			if err != nil {
				for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
					var de *DecodeError
					if !errors.As(e, &de) {
						t.Fatalf("%T is not a *DecodeError", e)
					}
					list = append(list, de)
				}
			}
			keys := map[string]bool{}
			for _, de := range list {
				keys[de.Key] = true
			}
			for _, want := range tc.errs {
				key, text, _ := strings.Cut(want, ": ")
				found := false
				for _, de := range list {
					found = found || de.Key == key && strings.Contains(de.Msg, text)
				}
				if !found {
					t.Errorf("no error for %q saying %q in %v", key, text, err)
				}
				delete(keys, key)
			}
			if len(keys) > 0 {
				t.Errorf("unexpected errors for %v: %v", keys, err)
			}
		})
	}
}

// TestDecodeNeverQuotesASecret gives each secret setting a bad value that
// a parser would quote, and checks the value stays out of the error.
func TestDecodeNeverQuotesASecret(t *testing.T) {
	const value = "hunter2-s3cr3t"
	tests := []struct {
		name string
		src  map[string]any
	}{
		{"tagged secret duration", map[string]any{"hidden": value}},
		{"secret by name (size)", map[string]any{"api_key": value}},
		{"inside a secret map", map[string]any{"credentials": map[string]any{"db": map[string]any{"depth": value, "tags": value}}}},
		{"unknown key inside a secret map", map[string]any{"credentials": map[string]any{"db": map[string]any{"nope": value}}}},
		{"wrong type", map[string]any{"password": []any{value}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var d decodeTarget
			err := Decode(tc.src, &d)
			if err == nil {
				t.Fatal("no error")
			}
			if strings.Contains(err.Error(), value) || strings.Contains(err.Error(), "hunter2") {
				t.Fatalf("error quotes the secret: %v", err)
			}
		})
	}
	// The same value in a setting that is not a secret is quoted, so the
	// test above is not vacuous.
	var d decodeTarget
	if err := Decode(map[string]any{"wait": value}, &d); err == nil || !strings.Contains(err.Error(), value) {
		t.Errorf("a plain duration's value is not quoted: %v", err)
	}
}

// TestDecodeSetsAPointerOnlyWhenItsValueDecodes: a refused value leaves
// a pointer nil ("not set"), not pointing at a zero.
func TestDecodeSetsAPointerOnlyWhenItsValueDecodes(t *testing.T) {
	var d decodeTarget
	if err := Decode(map[string]any{"num": "x", "secs": "soon", "opt": map[string]any{"depth": "deep"}}, &d); err == nil {
		t.Fatal("no error")
	}
	if d.Num != nil || d.Interval != nil || d.Opt != nil {
		t.Errorf("refused values set pointers: %v %v %v", d.Num, d.Interval, d.Opt)
	}
}

func TestDecodePanicsOnABadDestination(t *testing.T) {
	for _, dst := range []any{nil, decodeTarget{}, new(int), (*decodeTarget)(nil)} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Decode(%T) did not panic", dst)
				}
			}()
			_ = Decode(nil, dst)
		}()
	}
}

func TestFields(t *testing.T) {
	got := Fields(decodeTarget{})
	if !reflect.DeepEqual(got[:4], []string{"any", "api_key", "count", "credentials"}) || len(got) != 27 ||
		!slices.Contains(got, "shared") || slices.Contains(got, "Skip") || slices.Contains(got, "private") {
		t.Errorf("Fields: %v", got)
	}
	if Fields(3) != nil {
		t.Error("Fields of an int")
	}
}

// FuzzDecode feeds JSON documents as settings maps: Decode never panics,
// and its errors never hold what was given to a secret setting.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"name":"x","count":3,"wait":"15m","limit":"64MiB"}`,
		`{"inner":{"depth":1e400,"tags":{"a":[1]}},"opt":null}`,
		`{"password":{"x":1},"hidden":"S3CR3TVALUE","api_key":"S3CR3TVALUE","text_token":"S3CR3TVALUE"}`,
		`{"credentials":{"db":{"depth":"S3CR3TVALUE","x":"S3CR3TVALUE"}}}`,
		`{"small":-129,"port":65536,"max":"3GiB","delay":"0s","list":[null,"a"]}`,
	} {
		f.Add(s, "S3CR3TVALUE")
	}
	f.Fuzz(func(t *testing.T, doc, mark string) {
		var src map[string]any
		if json.Unmarshal([]byte(doc), &src) != nil {
			return
		}
		var d decodeTarget
		err := Decode(src, &d)
		if err == nil || len(mark) < 8 {
			return
		}
		// Plant mark as the value of every secret setting; it must not
		// come back.
		for _, k := range []string{"password", "hidden", "api_key", "text_token"} {
			if _, ok := src[k]; ok {
				src[k] = mark
			}
		}
		if c, ok := src["credentials"].(map[string]any); ok {
			for k := range c {
				c[k] = map[string]any{"depth": mark, "tags": mark, "bad": mark}
			}
		}
		secretKeys := map[string]bool{"password": true, "hidden": true, "api_key": true, "text_token": true, "credentials": true}
		for k, v := range src {
			b, _ := json.Marshal(v)
			if strings.Contains(k, mark) || !secretKeys[k] && strings.Contains(string(b), mark) {
				delete(src, k) // a key is a name, and a plain setting may quote its value
			}
		}
		if c, ok := src["credentials"].(map[string]any); ok {
			for k := range c {
				if strings.Contains(k, mark) {
					delete(c, k)
				}
			}
		}
		if err := Decode(src, &decodeTarget{}); err != nil && strings.Contains(err.Error(), mark) {
			t.Fatalf("error quotes a secret setting's value %q: %v", mark, err)
		}
	})
}

// TestDecodePath: Path keeps a key that holds a dot in one piece, so that
// a caller dispatching on it is not fooled by "tokens.a" written as a key.
func TestDecodePath(t *testing.T) {
	err := Decode(map[string]any{"inner.depth": 1, "credentials": map[string]any{"a.b": map[string]any{"depth": "x"}}}, &decodeTarget{})
	var got [][]string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		got = append(got, e.(*DecodeError).Path)
	}
	want := [][]string{{"credentials", "a.b", "depth"}, {"inner.depth"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("paths %q, want %q", got, want)
	}
}

// TestTypeName: a type error names the setting's values as a config author
// writes them, never as Go spells the type.
func TestTypeName(t *testing.T) {
	tests := []struct {
		v    any
		want string
	}{
		{"", "a string"},
		{true, "a boolean (true or false)"},
		{int64(0), "a whole number"},
		{int16(0), "a whole number from -32768 to 32767"},
		{uint(0), "a whole number of 0 or more"},
		{uint8(0), "a whole number from 0 to 255"},
		{float32(0), "a number"},
		{new(int), "a whole number"},
		{[]string{}, "a list of strings"},
		{[]bool{}, "a list of booleans"},
		{[]uint8{}, "a list of whole numbers from 0 to 255"},
		{[][]string{}, "a list of lists of strings"},
		{[]map[string]any{}, "a list of maps"},
		{map[string]int{}, "a map"},
		{inner{}, "a map"},
	}
	for _, tc := range tests {
		if got := typeName(reflect.TypeOf(tc.v)); got != tc.want {
			t.Errorf("typeName(%T) = %q, want %q", tc.v, got, tc.want)
		}
	}
}
