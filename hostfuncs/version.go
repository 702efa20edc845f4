package hostfuncs

import "bytes"

// HoldsValue reports whether text holds one of values, or a run of at
// least half of one (and at least 8 bytes), in any of the forms
// [Credentials.Redact] recognises for a credential: letter case, hex,
// base64 at every alignment, JSON, percent, \x and HTML escapes. Values
// shorter than [MinCredentialLen] are not looked for. The runtime uses
// it to refuse a version that carries the value its fetch returned; it
// builds the forms on every call, so keep values few and short (a
// version is at most [MaxVersion] bytes, so a run of half a value can
// only be in it when the value is at most 2*MaxVersion bytes).
func HoldsValue(text []byte, values [][]byte) bool {
	if len(values) == 0 || len(text) < minGram {
		return false
	}
	names := make([]string, len(values))
	for i := range names {
		names[i] = "value"
	}
	return !bytes.Equal(newRedactor(names, values).redact(text), text)
}
