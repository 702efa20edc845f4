package redact

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/wasmtest"
)

// echoCreds is the redactor of the echo credential, labelled tok, as
// hostfuncs.NewCredentials builds it for one credential.
func echoCreds(testing.TB) *Redactor {
	return New([]string{"tok"}, [][]byte{[]byte(echoCred)})
}

// The echo forms are shared with hostfuncs' end-to-end echo tests.
var (
	echoCred      = wasmtest.EchoCred
	echoEncodings = wasmtest.EchoEncodings
	jsonEsc       = wasmtest.JSONEscape
)

// TestRedactEncodings plants the credential in every encoding, behind
// prefixes of 0 to 2 bytes (the three base64 alignments) and in context:
// what comes out holds no encoding the leak oracle knows, and says where
// the value was.
func TestRedactEncodings(t *testing.T) {
	creds := echoCreds(t)
	for name, enc := range echoEncodings {
		for _, pre := range []string{"", "x", "xy", "xyz"} {
			t.Run(fmt.Sprintf("%s/prefix%d", name, len(pre)), func(t *testing.T) {
				echo := enc(pre, echoCred)
				in := `{"before":"ok","echo":"` + echo + `","after":"ok"}`
				out := creds.Redact([]byte(in))
				if leak := wasmtest.FindLeak(out, []byte(echoCred)); leak != "" {
					t.Fatalf("the %s form survives: %s", leak, out)
				}
				if !bytes.Contains(out, []byte("[REDACTED:tok]")) {
					t.Fatalf("nothing redacted: %s", out)
				}
				if !bytes.HasPrefix(out, []byte(`{"before":"ok","echo":"`)) || !bytes.HasSuffix(out, []byte(`","after":"ok"}`)) {
					t.Errorf("redaction spilled over its context: %s", out)
				}
				// Nothing of the value survives after the label; before
				// it, only the prefix's own encoding may.
				if name != "jwt-claim" && !bytes.HasSuffix(out, []byte(`[REDACTED:tok]","after":"ok"}`)) {
					t.Errorf("Redact left the end of the %s form: %s", name, out)
				}
				// Without a prefix, a whole encoding goes: not one byte of
				// it may survive at either edge.
				whole := pre == "" && name != "jwt-claim" && name != "truncated" && name != "tail"
				if want := `{"before":"ok","echo":"[REDACTED:tok]","after":"ok"}`; whole && string(out) != want {
					t.Errorf("Redact left part of the %s form: %s", name, out)
				}
			})
		}
	}
}

// TestRedactLeavesOtherText checks that text sharing short runs with the
// value (a token of the same family, as Vault's hvs. prefix or a JWT's
// header) is left alone.
func TestRedactLeavesOtherText(t *testing.T) {
	const cred = "hvs.CAESIJ3xkPl4ntedZ8wq1RtYvBn5mK0aLs9dEf"
	c := New([]string{"vault"}, [][]byte{[]byte(cred)})
	tests := []string{
		`{"auth":{"client_token":"hvs.CAESIJ9qQ2hildTokenOther7Yy","accessor":"x"}}`,
		"plain text, nothing to see",
		strings.Repeat("a", 10000),
		`%zz \u12 &#; &#xZZ; \x \`,
	}
	for _, in := range tests {
		if out := c.Redact([]byte(in)); string(out) != in {
			t.Errorf("Redact(%.60q) changed it: %.80q", in, out)
		}
	}
}

// FuzzRedact plants the credential, encoded as the echo server would, in
// arbitrary context: no encoding the oracle knows may survive, and
// redaction never panics on arbitrary text.
func FuzzRedact(f *testing.F) {
	creds := echoCreds(f)
	names := make([]string, 0, len(echoEncodings))
	for n := range echoEncodings {
		names = append(names, n)
	}
	slicesSort(names)
	f.Add("", "", uint8(0), "", false)
	f.Add(`{"a":"`, `"}`, uint8(4), "xy", true)
	f.Add(`\u00`, `%`, uint8(9), "x", true)
	f.Add("&#", ";", uint8(20), "", true)
	f.Fuzz(func(t *testing.T, before, after string, enc uint8, pre string, plant bool) {
		if len(pre) > 2 {
			pre = pre[:2]
		}
		in := before + after
		if plant {
			in = before + echoEncodings[names[int(enc)%len(names)]](pre, echoCred) + after
		}
		out := creds.Redact([]byte(in))
		if !plant {
			return
		}
		if leak := wasmtest.FindLeak(out, []byte(echoCred)); leak != "" && wasmtest.FindLeak([]byte(before+after), []byte(echoCred)) == "" {
			t.Fatalf("%s form survives in %q", leak, out)
		}
	})
}

func slicesSort(s []string) {
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
}

// TestFold8 checks the eight-byte folds against the byte-wise ones.
func TestFold8(t *testing.T) {
	var buf [8]byte
	for i := range 1 << 16 {
		for k := range buf {
			buf[k] = byte((i*131 + k*977 + (i>>3)*k) % 256)
		}
		if i < 256 {
			buf = [8]byte{byte(i), 'A', 'Z', '+', '-', '_', '@', '['}
		}
		x := binary.LittleEndian.Uint64(buf[:])
		var wantT, wantB [8]byte
		for k, c := range buf {
			wantT[k], wantB[k] = foldText(c), foldB64(c)
		}
		if got := fold8Text(x); got != binary.LittleEndian.Uint64(wantT[:]) {
			t.Fatalf("fold8Text(%q) = %x, want %q", buf, got, wantT)
		}
		if got := fold8B64(x); got != binary.LittleEndian.Uint64(wantB[:]) {
			t.Fatalf("fold8B64(%q) = %x, want %q", buf, got, wantB)
		}
	}
}

// FuzzRedactValue redacts arbitrary text for an arbitrary value: it never
// panics, and neither the value nor its base64 at any alignment survives
// when planted.
func FuzzRedactValue(f *testing.F) {
	f.Add([]byte("\x00\xff\r\nabcdefgh"), []byte("%41\\u0041&#65;"), uint8(1))
	f.Add([]byte("aaaaaaaaaaaaaaaaaaaa"), []byte(strings.Repeat("a", 100)), uint8(2))
	f.Fuzz(func(t *testing.T, value, text []byte, align uint8) {
		if len(value) < MinLen || bytes.ContainsAny(value, "\r\n") {
			t.Skip("a value shorter than MinLen, or holding a line break, is not redacted by design")
		}
		r := New([]string{"v"}, [][]byte{value})
		_ = r.Redact(text)
		pre := bytes.Repeat([]byte{'q'}, int(align%3))
		for _, planted := range [][]byte{value, []byte(base64.StdEncoding.EncodeToString(append(pre, value...)))} {
			in := append(append(bytes.Clone(text), planted...), text...)
			out := r.Redact(in)
			if bytes.Contains(out, value) {
				t.Fatalf("the value survives in %q", out)
			}
			if core := b64Core(value, len(pre)); len(core) > 0 && bytes.Contains(out, core) {
				t.Fatalf("its base64 survives in %q", out)
			}
		}
	})
}

// TestRedactBoundary pins down what redaction does not do, as ABI.md's
// threat model states it: a run of the value shorter than half of it, and
// transforms outside the list (reversal, base64 three times over), pass.
func TestRedactBoundary(t *testing.T) {
	creds := echoCreds(t)
	half := (len(echoCred) + 1) / 2
	reversed := []byte(echoCred)
	for i, j := 0, len(reversed)-1; i < j; i, j = i+1, j-1 {
		reversed[i], reversed[j] = reversed[j], reversed[i]
	}
	triple := echoCred
	for range 3 {
		triple = base64.StdEncoding.EncodeToString([]byte(triple))
	}
	// Invalid JSON: the value's own backslash left bare before an escape
	// reads as an escaped backslash, which splits the echo in two runs.
	ambiguous := strings.Replace(jsonEsc(echoCred, false), `\\en`, `\u005c\u0065n`, 1)
	ambiguous = strings.Replace(ambiguous, `\u005c`, `\`, 1)
	tests := []struct {
		name     string
		in       string
		redacted bool
		survives string // what is left of the value, if anything
	}{
		{"a run of half the value", "<" + echoCred[:half] + ">", true, ""},
		{"a run one byte shorter", "<" + echoCred[:half-1] + ">", false, echoCred[:half-1]},
		{"reversed", string(reversed), false, string(reversed)},
		{"base64 of base64 of base64", triple, false, triple},
		{"ambiguous escapes split the value", ambiguous, true, `u0065n=\u0026\u003c9f3Kz`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := string(creds.Redact([]byte(tc.in)))
			if got := out != tc.in; got != tc.redacted {
				t.Errorf("Redact(%q) = %q: redacted %v, want %v", tc.in, out, got, tc.redacted)
			}
			if tc.survives != "" && !strings.Contains(out, tc.survives) {
				t.Errorf("Redact(%q) = %q: the boundary moved (%q no longer survives): update ABI.md", tc.in, out, tc.survives)
			}
		})
	}
}
