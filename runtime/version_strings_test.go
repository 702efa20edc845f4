package runtime

import (
	"slices"
	"testing"
)

// FuzzValueStrings: the strings the version check looks for include every
// string the call log's redaction finds in the same value (secretsIn), so
// walking the literals in place drops none — escaped, non-ASCII, nested,
// duplicate keys, trailing text or no JSON at all.
func FuzzValueStrings(f *testing.F) {
	for _, s := range []string{
		`{"username":"etl","password":"pw-S3cret-77aa11bb","host":"db.internal.example","port":5432}`,
		`{"a":{"b":["x\u0041y-12345678",1.5e+300,-12345678901]},"k\"ey":"v\\al\/ue-9"}`,
		`{"d":"first-value-1","d":"second-value-2"}`,
		`"top-level-string"`, `12345678901234`, `{"a":"trailing"} junk`, `not json at all`,
		"{\"u\":\"\xff\xfe-invalid-utf8\"}", `{"e":"ünïcødé-sécret"}`, ` [ "spaced" , "list-value-8" ] `,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, value string) {
		got := valueStrings([]byte(value))
		for _, want := range secretsIn([]byte(value)) {
			if !slices.ContainsFunc(got, func(g []byte) bool { return string(g) == want }) {
				t.Fatalf("value %q: secretsIn finds %q, valueStrings only %q", value, want, got)
			}
		}
	})
}
