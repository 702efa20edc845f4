package wasmtest

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"net/url"
	"strings"
)

// EchoCred is the value the redaction tests plant: it holds the characters
// that escapes treat specially (/, +, ", \, =, &, <).
const EchoCred = `Ech0/Pl4nted+"tok"\en=&<9f3Kz`

// EchoEncodings are the transforms the echo server applies to what it
// echoes, each a plausible server behaviour. pre is a prefix the guest
// chose, placed before the value inside the encoding.
var EchoEncodings = map[string]func(pre, v string) string{
	"raw":            func(pre, v string) string { return pre + v },
	"upper":          func(pre, v string) string { return strings.ToUpper(pre + v) },
	"hex":            func(pre, v string) string { return hex.EncodeToString([]byte(pre + v)) },
	"HEX":            func(pre, v string) string { return strings.ToUpper(hex.EncodeToString([]byte(pre + v))) },
	"base64":         func(pre, v string) string { return base64.StdEncoding.EncodeToString([]byte(pre + v)) },
	"base64url":      func(pre, v string) string { return base64.URLEncoding.EncodeToString([]byte(pre + v)) },
	"base64raw":      func(pre, v string) string { return base64.RawStdEncoding.EncodeToString([]byte(pre + v)) },
	"base64rawurl":   func(pre, v string) string { return base64.RawURLEncoding.EncodeToString([]byte(pre + v)) },
	"base64mime":     func(pre, v string) string { return wrap(base64.StdEncoding.EncodeToString([]byte(pre+v)), 8) },
	"base64pct":      func(pre, v string) string { return url.QueryEscape(base64.StdEncoding.EncodeToString([]byte(pre + v))) },
	"base64jsonpre":  func(pre, v string) string { return JSONEscape(base64.StdEncoding.EncodeToString([]byte(pre+v)), true) },
	"query":          func(pre, v string) string { return url.QueryEscape(pre + v) },
	"path":           func(pre, v string) string { return url.PathEscape(pre + v) },
	"pct-all-lower":  func(pre, v string) string { return pctEvery(pre+v, "%%%02x", 1) },
	"pct-all-upper":  func(pre, v string) string { return pctEvery(pre+v, "%%%02X", 1) },
	"pct-partial":    func(pre, v string) string { return pctEvery(pre+v, "%%%02x", 2) },
	"pct-mixed-case": func(pre, v string) string { return mixCase(pctEvery(pre+v, "%%%02x", 1)) },
	"json":           func(pre, v string) string { return JSONEscape(pre+v, false) },
	"json-slash":     func(pre, v string) string { return JSONEscape(pre+v, true) },
	"json-u-all":     func(pre, v string) string { return pctEvery(pre+v, `\u%04x`, 1) },
	"json-u-upper":   func(pre, v string) string { return pctEvery(pre+v, `\u%04X`, 1) },
	"json-u-mixed":   func(pre, v string) string { return jsonMixed(pre + v) },
	"json-in-pct":    func(pre, v string) string { return url.QueryEscape(JSONEscape(pre+v, true)) },
	"html":           func(pre, v string) string { return html.EscapeString(pre + v) },
	"html-numeric":   func(pre, v string) string { return pctEvery(pre+v, "&#%d;", 2) },
	"python-bytes":   func(pre, v string) string { return pctEvery(pre+v, `\x%02x`, 1) },
	"base64-twice": func(pre, v string) string {
		return base64.StdEncoding.EncodeToString([]byte(pre + "Basic " + base64.StdEncoding.EncodeToString([]byte(v))))
	},
	"base64-twice-inner": func(pre, v string) string {
		return base64.URLEncoding.EncodeToString([]byte(base64.URLEncoding.EncodeToString([]byte(pre + v))))
	},
	"jwt-claim": func(pre, v string) string {
		claims, _ := json.Marshal(map[string]string{"sub": pre + v})
		return "eyJhbGciOiJub25lIn0." + base64.RawURLEncoding.EncodeToString(claims) + "."
	},
	"truncated": func(pre, v string) string { return (pre + v)[:len(pre)+len(v)/2+1] },
	"tail":      func(pre, v string) string { return v[len(v)/2-1:] },
}

// wrap breaks s into lines of n bytes, as MIME base64 does.
func wrap(s string, n int) string {
	var b strings.Builder
	for len(s) > n {
		b.WriteString(s[:n] + "\r\n")
		s = s[n:]
	}
	return b.String() + s
}

// JSONEscape returns s as the inside of a JSON string, with / escaped
// too when slash is set.
func JSONEscape(s string, slash bool) string {
	j, _ := json.Marshal(s)
	out := string(j[1 : len(j)-1])
	if slash {
		out = strings.ReplaceAll(out, "/", `\/`)
	}
	return out
}

// pctEvery writes every step-th byte of s with format, the others as is.
func pctEvery(s, format string, step int) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if i%step == 0 {
			fmt.Fprintf(&b, format, s[i])
		} else {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// jsonMixed writes every third character as \uXXXX and the others as a
// JSON encoder would: a valid JSON string, mixing both kinds of escape.
func jsonMixed(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if i%3 == 0 {
			fmt.Fprintf(&b, `\u%04x`, s[i])
		} else {
			b.WriteString(JSONEscape(s[i:i+1], false))
		}
	}
	return b.String()
}

// mixCase alternates upper and lower case.
func mixCase(s string) string {
	b := []byte(s)
	for i := range b {
		if i%2 == 0 {
			b[i] = bytes.ToUpper(b[i : i+1])[0]
		} else {
			b[i] = bytes.ToLower(b[i : i+1])[0]
		}
	}
	return string(b)
}
