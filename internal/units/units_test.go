package units

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		name string
		in   any
		want int64
		ok   bool
	}{
		{"bytes", 4096, 4096, true},
		{"json number", float64(512), 512, true},
		{"digits", "4096", 4096, true},
		{"KiB", "4KiB", 4096, true},
		{"MiB spaced", "64 MiB", 64 << 20, true},
		{"GiB", "2GiB", 2 << 30, true},
		{"B", "10B", 10, true},
		{"negative", -1, 0, false},
		{"negative unit", "-1KiB", 0, false},
		{"fraction", 1.5, 0, false},
		{"decimal unit", "4KB", 0, false},
		{"overflow", strconv.FormatInt(math.MaxInt64/1024+1, 10) + "KiB", 0, false},
		{"bool", true, 0, false},
		{"padded", " 40", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseSize(tc.in)
			if (err == nil) != tc.ok || got != tc.want {
				t.Fatalf("ParseSize(%v) = %d, %v; want %d, ok=%v", tc.in, got, err, tc.want, tc.ok)
			}
		})
	}
}

func TestParseDurationOrSeconds(t *testing.T) {
	tests := []struct {
		name string
		in   any
		want time.Duration
		ok   bool
	}{
		{"duration", "5m", 5 * time.Minute, true},
		{"millis", "500ms", 500 * time.Millisecond, true},
		{"seconds", 30, 30 * time.Second, true},
		{"seconds string", "30", 30 * time.Second, true},
		{"negative duration", "-1s", 0, false},
		{"negative seconds", -3, 0, false},
		{"word", "soon", 0, false},
		{"bool", true, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseDurationOrSeconds(tc.in)
			if (err == nil) != tc.ok || got != tc.want {
				t.Fatalf("ParseDurationOrSeconds(%v) = %v, %v; want %v, ok=%v", tc.in, got, err, tc.want, tc.ok)
			}
		})
	}
}

func TestParseDurationNeedsUnit(t *testing.T) {
	if _, err := ParseDuration(30); err == nil {
		t.Fatal("a bare number was read as a duration")
	}
	if d, err := ParseDuration("2m"); err != nil || d != 2*time.Minute {
		t.Fatalf("ParseDuration(2m) = %v, %v", d, err)
	}
}

func TestJSON(t *testing.T) {
	var v struct {
		D Duration `json:"d"`
		S Size     `json:"s"`
	}
	if err := json.Unmarshal([]byte(`{"d":"10s","s":"64MiB"}`), &v); err != nil {
		t.Fatal(err)
	}
	if v.D.Std() != 10*time.Second || v.S != 64<<20 {
		t.Fatalf("decoded %v %d", v.D, v.S)
	}
	for _, bad := range []string{`{"d":10}`, `{"d":"ten"}`, `{"s":"1KB"}`, `{"s":-1}`} {
		if err := json.Unmarshal([]byte(bad), &v); err == nil {
			t.Errorf("%s was accepted", bad)
		}
	}
	if b, _ := json.Marshal(Duration(90 * time.Second)); string(b) != `"1m30s"` {
		t.Errorf("marshal: %s", b)
	}
}

// FuzzParseSize checks the size parser never panics, never returns a
// negative size and reads back what it accepts.
func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"64MiB", "1GiB", "0B", "12 KiB", "-1MiB", "9223372036854775807B", "4611686018427387904GiB", "MiB", "1.5MiB", "１MiB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseSize(s)
		if err != nil {
			return
		}
		if n < 0 {
			t.Fatalf("ParseSize(%q) = %d", s, n)
		}
		if m, err := ParseSize(strconv.FormatInt(n, 10) + "B"); err != nil || m != n {
			t.Fatalf("ParseSize(%q) = %d does not read back: %d %v", s, n, m, err)
		}
	})
}

func TestDistance(t *testing.T) {
	long := strings.Repeat("abcdefgh", 5) // past the stack rows
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"abc", "", 3}, {"", "abc", 3},
		{"secret", "secret", 0}, {"secert", "secret", 1}, {"scret", "secret", 1},
		{"secrets", "secret", 1}, {"sekret", "secret", 1}, {"ltieral", "literal", 1},
		{"tls", "ttl", 2}, {long, long, 0}, {long[1:], long, 1}, {long + "x", long, 1},
	}
	for _, tc := range tests {
		if got := Distance(tc.a, tc.b); got != tc.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if got := Distance([]byte(tc.a), tc.b); got != tc.want {
			t.Errorf("Distance([]byte(%q), %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
