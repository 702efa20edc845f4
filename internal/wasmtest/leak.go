package wasmtest

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
)

// Encodings returns the value v in the encodings a test scan looks for,
// by name: raw, hex (both cases), base64 (both alphabets, behind prefixes
// of 0, 1 and 2 bytes: only the characters that depend on v alone), URL-
// escaped (query, path, every byte in both cases) and JSON-escaped (as Go
// writes it, with \/, with \uXXXX for every character). It is built
// independently of the host's redactor, as the oracle of leak tests.
func Encodings(v []byte) map[string][]byte {
	out := map[string][]byte{
		"raw":       v,
		"hex":       []byte(hex.EncodeToString(v)),
		"HEX":       []byte(strings.ToUpper(hex.EncodeToString(v))),
		"query":     []byte(url.QueryEscape(string(v))),
		"path":      []byte(url.PathEscape(string(v))),
		"pct-lower": pctAll(v, "%%%02x"),
		"pct-upper": pctAll(v, "%%%02X"),
		"json-u":    pctAll(v, `\u%04x`),
	}
	j, _ := json.Marshal(string(v))
	out["json"] = j[1 : len(j)-1]
	out["json-slash"] = bytes.ReplaceAll(j[1:len(j)-1], []byte("/"), []byte(`\/`))
	for a := range 3 {
		enc := base64.StdEncoding.EncodeToString(append(make([]byte, a), v...))
		// Skip the characters that hold prefix bits and the last group,
		// which holds bits of what follows or padding.
		core := enc[4 : len(enc)-4]
		out[fmt.Sprintf("base64-align%d", a)] = []byte(core)
		out[fmt.Sprintf("base64url-align%d", a)] = []byte(strings.NewReplacer("+", "-", "/", "_").Replace(core))
	}
	return out
}

func pctAll(v []byte, format string) []byte {
	var b strings.Builder
	for _, c := range v {
		fmt.Fprintf(&b, format, c)
	}
	return []byte(b.String())
}

// FindLeak returns the name of an encoding of v (see [Encodings]) that
// occurs in text, or "" when none does.
func FindLeak(text, v []byte) string {
	for name, f := range Encodings(v) {
		if bytes.Contains(text, f) {
			return name
		}
	}
	return ""
}
