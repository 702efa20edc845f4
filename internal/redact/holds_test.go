package redact

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// versionForms returns texts a version could hold v in: every form the
// redactor knows (base64 behind each prefix length, in both alphabets; of
// the value, its hex, its escaped forms and its base64), and the
// escapes of a layer of text.
func versionForms(v string) map[string]string {
	b64, url64 := base64.StdEncoding.EncodeToString, base64.RawURLEncoding.EncodeToString
	j, _ := json.Marshal(v)
	jf := string(j[1 : len(j)-1])
	texts := map[string]string{"plain": v, "hex": hex.EncodeToString([]byte(v)), "HEX": strings.ToUpper(hex.EncodeToString([]byte(v))),
		"json": jf, "json-slash": strings.ReplaceAll(jf, "/", `\/`), "query": url.QueryEscape(v), "path": url.PathEscape(v)}
	out := map[string]string{"upper": strings.ToUpper(v), "percent": pct(v, "%%%02x"), "PERCENT": pct(v, "%%%02X"),
		"json-u": pct(v, `\u%04x`), "html": pct(v, "&#%d;"), "x-escape": pct(v, `\x%02x`), "percent-twice": pct(pct(v, "%%%02x"), "%%%02x")}
	for name, t := range texts {
		out[name] = t
		for a, pre := range []string{"", "x", "xy"} {
			out[fmt.Sprintf("b64(%s)@%d", name, a)] = b64([]byte(pre + t))
			out[fmt.Sprintf("b64url(%s)@%d", name, a)] = url64([]byte(pre + t))
		}
	}
	for a, pre := range []string{"", "x", "xy"} {
		for a2, pre2 := range []string{"", "Q", "QR"} {
			out[fmt.Sprintf("b64(b64)@%d,%d", a, a2)] = b64([]byte(pre2 + b64([]byte(pre+v))))
			out[fmt.Sprintf("b64(b64url)@%d,%d", a, a2)] = url64([]byte(pre2 + url64([]byte(pre+v))))
		}
	}
	return out
}

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func pct(s, format string) string {
	var b strings.Builder
	for i := range len(s) {
		fmt.Fprintf(&b, format, s[i])
	}
	return b.String()
}

// TestHoldsValueMatchesRedactor: HoldsValue, which decodes the version,
// answers what a redactor built for the value answers (the definition),
// for every form of several values, whole and cut to just under half,
// alone and inside other text, and for versions that merely look alike.
// Each whole form of an ASCII value is found (byte-wise escapes and upper
// case of UTF-8 are not forms the redactor knows).
func TestHoldsValueMatchesRedactor(t *testing.T) {
	values := []string{"pw-S3cret-77aa11bb", "12345678", "db.internal.example", "p@ss w0rd/<&>\"x", "line\none-2ab",
		"\xff\xfeinvalid-utf8", "ünïcødé-sécret", "abcdefgh", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", strings.Repeat("k9/+", 40)}
	rng := rand.New(rand.NewPCG(1, 2))
	checked := 0
	for _, v := range values {
		for name, form := range versionForms(v) {
			for _, cut := range []int{len(form), len(form)/2 - 1} {
				if cut < 0 {
					continue
				}
				for _, wrap := range [][2]string{{"", ""}, {"v1-", "-x9"}} {
					for _, from := range []int{0, len(form) - cut} {
						text := wrap[0] + form[from:from+cut] + wrap[1]
						if len(text) > tabledVersion {
							text = text[:tabledVersion]
						}
						want := holdsValueExact([]byte(text), []byte(v))
						if got := HoldsValue([]byte(text), [][]byte{[]byte(v)}); got != want {
							t.Errorf("value %q, %s form cut to %d from %d, version %q: HoldsValue = %v, the redactor says %v", v, name, cut, from, text, got, want)
						}
						if cut == len(form) && len(form) <= tabledVersion-6 && isASCII(v) && !want {
							t.Errorf("value %q: the redactor misses its whole %s form %q", v, name, text)
						}
						checked++
					}
				}
			}
		}
		// Random look-alikes: the form with bytes changed.
		for range 100 {
			forms := versionForms(v)
			keys := make([]string, 0, len(forms))
			for k := range forms {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			b := []byte(forms[keys[rng.IntN(len(keys))]])
			for range rng.IntN(4) {
				b[rng.IntN(len(b))] = byte('!' + rng.IntN(94))
			}
			b = b[:min(len(b), tabledVersion)]
			if got, want := HoldsValue(b, [][]byte{[]byte(v)}), holdsValueExact(b, []byte(v)); got != want {
				t.Errorf("value %q, version %q: HoldsValue = %v, the redactor says %v", v, b, got, want)
			}
			checked++
		}
	}
	t.Logf("%d versions checked", checked)
}

// FuzzHoldsValueMatchesRedactor cross-checks HoldsValue against the
// redactor built for the value on arbitrary versions and values:
// anything the redactor finds, HoldsValue finds, and nothing more.
func FuzzHoldsValueMatchesRedactor(f *testing.F) {
	for _, v := range []string{"pw-S3cret-77aa11bb", "p@ss w0rd/<&>\"x", "line\none-2ab"} {
		for _, form := range versionForms(v) {
			f.Add(form[:min(len(form), tabledVersion)], v)
		}
	}
	f.Add("3f2a9c1e-0b7d-4e55-9a61-2c8d1e0f4b3a", "pw-S3cret-77aa11bb")
	f.Fuzz(func(t *testing.T, v, value string) {
		if len(v) > tabledVersion || len(value) > 2*tabledVersion+1 {
			return
		}
		got := HoldsValue([]byte(v), [][]byte{[]byte(value)})
		if want := holdsValueExact([]byte(v), []byte(value)); got != want {
			t.Fatalf("version %q, value %q: HoldsValue = %v, the redactor says %v", v, value, got, want)
		}
	})
}

// TestThresholdsFitTheIndex: for every value HoldsValue's callers look
// for (MinLen bytes or more), every run a form's match implies
// is at least a window long, so no value skips the index and goes to the
// redactor unasked; and the table agrees with the computation.
func TestThresholdsFitTheIndex(t *testing.T) {
	for n := MinLen; n <= 4*tabledVersion; n++ {
		th := thresholdsFor(n)
		if th != computeThresholds(n) {
			t.Fatalf("length %d: table %+v, computed %+v", n, th, computeThresholds(n))
		}
		if th.tooShort || th.text < vwin || th.hex < vwin || th.b64 < vwin || th.b64hex < vwin || th.b64b64 < vwin {
			t.Fatalf("length %d: thresholds %+v under the window of %d bytes", n, th, vwin)
		}
	}
}

// TestHoldsValueFailsClosed: a value that only comes near the version (the
// base64 of another letter case of it: the index folds case, the
// redactor's base64 forms do not) is confirmed by the redactor and let
// through; past maxConfirms such values, HoldsValue answers true rather
// than build a redactor for each.
func TestHoldsValueFailsClosed(t *testing.T) {
	text := []byte(base64.StdEncoding.EncodeToString([]byte("SECRETVALUE-XYZ")))
	var values [][]byte
	for i := range maxConfirms + 1 {
		v := []byte("secretvalue-xyz")
		v[i] -= 'a' - 'A' // another case, never the version's
		if holdsValueExact(text, v) {
			t.Fatalf("the redactor finds %q in %q: not a near value", v, text)
		}
		values = append(values, v)
	}
	if HoldsValue(text, values[:maxConfirms]) {
		t.Errorf("HoldsValue refused %d near values the redactor clears", maxConfirms)
	}
	if !HoldsValue(text, values) {
		t.Errorf("HoldsValue cleared %d near values without confirming each", len(values))
	}
}
