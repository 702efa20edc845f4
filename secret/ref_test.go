package secret

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseRef(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Ref
	}{
		{"default store", "secret:///db", Ref{Name: "db"}},
		{"store and key", "secret://aws/prod/db#password", Ref{Store: "aws", Name: "prod/db", Key: []string{"password"}}},
		{"aws arn", "secret://aws/arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf#username",
			Ref{Store: "aws", Name: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf", Key: []string{"username"}}},
		{"azure url", "secret://kv/https://myvault.vault.azure.net/secrets/db/0123abcd",
			Ref{Store: "kv", Name: "https://myvault.vault.azure.net/secrets/db/0123abcd"}},
		{"gcp name", "secret://gcp/projects/p-1/secrets/db/versions/latest",
			Ref{Store: "gcp", Name: "projects/p-1/secrets/db/versions/latest"}},
		{"at sign in name", "secret://aws/team@corp/db", Ref{Store: "aws", Name: "team@corp/db"}},
		{"nested key", "secret://s/doc#db.primary.password", Ref{Store: "s", Name: "doc", Key: []string{"db", "primary", "password"}}},
		{"escaped dot in key", "secret://s/doc#a%2Eb.c", Ref{Store: "s", Name: "doc", Key: []string{"a.b", "c"}}},
		{"escaped hash in name", "secret://s/a%23b%3Fc%25", Ref{Store: "s", Name: "a#b?c%"}},
		{"store document", "secret://aws/#password", Ref{Store: "aws", Key: []string{"password"}}},
		{"version", "secret://aws/db?version=AWSPREVIOUS", Ref{Store: "aws", Name: "db", Version: "AWSPREVIOUS"}},
		{"query before key", "secret://aws/db?version=v1#user", Ref{Store: "aws", Name: "db", Version: "v1", Key: []string{"user"}}},
		{"optional", "secret://aws/db#k?optional", Ref{Store: "aws", Name: "db", Key: []string{"k"}, Optional: true}},
		{"optional false", "secret://aws/db?optional=false", Ref{Store: "aws", Name: "db"}},
		{"default", "secret://aws/db?default=a%26b=c", Ref{Store: "aws", Name: "db", HasDefault: true, Default: "a&b=c"}},
		{"empty default", "secret://aws/db?default=", Ref{Store: "aws", Name: "db", HasDefault: true}},
		{"upper prefix", "SECRET://aws/db", Ref{Store: "aws", Name: "db"}},
		{"unicode", "secret://s/пароль", Ref{Store: "s", Name: "пароль"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseRef(tc.in)
			if err != nil {
				t.Fatalf("ParseRef(%q): %v", tc.in, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("ParseRef(%q) = %#v, want %#v", tc.in, got, tc.want)
			}
			again, err := ParseRef(got.String())
			if err != nil || !reflect.DeepEqual(again, got) {
				t.Fatalf("round trip through %q: %#v, %v", got.String(), again, err)
			}
		})
	}
}

func TestParseRefErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"no slashes", "secret:db", `expected "//"`},
		{"no store slash", "secret://aws", `expected "/" after the store name`},
		{"bad store", "secret://a.b/x", "only letters"},
		{"empty key", "secret://a/x#", "empty key"},
		{"empty key segment", "secret://a/x#a..b", "empty segment"},
		{"two keys", "secret://a/x#a#b", "may appear only once"},
		{"unknown param", "secret://a/x?verison=2", `unknown parameter "verison"`},
		{"dup param", "secret://a/x?version=1&version=2", "given twice"},
		{"version without value", "secret://a/x?version", "needs a value"},
		{"bad escape", "secret://a/x%zz", "bad escape"},
		{"short escape", "secret://a/x%2", "incomplete escape"},
		{"space", "secret://a/x y", "raw control character or space"},
		{"newline inside", "secret://a/x\ny", "raw control character"},
		{"trailing newline", "secret://a/x\n", "whitespace after the reference"},
		{"trailing space", "secret://a/x ", "whitespace after the reference"},
		{"one slash", "Secret:/aws/db", `or literal:Secret:/aws/db`},
		{"bad optional", "secret://a/x?optional=yes", "true or false"},
		{"stray amp", "secret://a/x?optional&", "empty parameter"},
		{"empty query", "secret://a/x?", "empty parameter list"},
		{"invalid utf8", "secret://a/%FF", "UTF-8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseRef(tc.in)
			if err == nil {
				t.Fatalf("ParseRef(%q) succeeded, want error containing %q", tc.in, tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("ParseRef(%q) error %q, want it to contain %q", tc.in, err, tc.want)
			}
			var se *RefSyntaxError
			if !errors.As(err, &se) || !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("error %T is not a *RefSyntaxError matching ErrInvalidConfig", err)
			}
		})
	}
}

func TestParseSource(t *testing.T) {
	tests := []struct {
		in      string
		literal string
		isRef   bool
		wantErr bool
	}{
		{"plain", "plain", false, false},
		{"", "", false, false},
		{"literal:secret://x", "secret://x", false, false},
		{"LITERAL:literal:y", "literal:y", false, false},
		{"secret://aws/x", "", true, false},
		{"Secret:/typo", "", false, true},
		{"mysecret://x", "mysecret://x", false, false},
	}
	for _, tc := range tests {
		src, err := ParseSource(tc.in)
		if (err != nil) != tc.wantErr {
			t.Errorf("ParseSource(%q) error = %v, want error %v", tc.in, err, tc.wantErr)
			continue
		}
		if err != nil {
			continue
		}
		if (src.Ref != nil) != tc.isRef || src.Literal != tc.literal {
			t.Errorf("ParseSource(%q) = %+v, want literal %q ref %v", tc.in, src, tc.literal, tc.isRef)
		}
		if !tc.isRef {
			back, err := ParseSource(QuoteLiteral(src.Literal))
			if err != nil || back.Ref != nil || back.Literal != src.Literal {
				t.Errorf("QuoteLiteral(%q) does not read back: %+v %v", src.Literal, back, err)
			}
		}
	}
}

// FuzzParseRef checks that every accepted reference re-encodes to a canonical
// form that parses back to the same Ref, and that the parser never panics.
func FuzzParseRef(f *testing.F) {
	for _, s := range []string{
		"secret:///db", "secret://aws/prod/db#password?version=AWSCURRENT",
		"secret://aws/arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf#a.b",
		"secret://kv/https://v.vault.azure.net/secrets/x?optional&default=a%26b",
		"secret://s/a%23b#k%2E1", "secret:", "secret://", "SECRET://x/?optional=false",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRef(s)
		if err != nil {
			return
		}
		if err := r.Validate(); err != nil {
			t.Fatalf("ParseRef(%q) returned an invalid Ref: %v", s, err)
		}
		canon := r.String()
		r2, err := ParseRef(canon)
		if err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v", canon, s, err)
		}
		if !reflect.DeepEqual(r, r2) {
			t.Fatalf("round trip of %q via %q: %#v != %#v", s, canon, r, r2)
		}
		if canon2 := r2.String(); canon2 != canon {
			t.Fatalf("canonical form not stable: %q then %q", canon, canon2)
		}
	})
}

// FuzzRefString checks the other direction: any valid Ref built from
// arbitrary parts survives String then ParseRef.
func FuzzRefString(f *testing.F) {
	f.Add("aws", "arn:aws:x:y", "v1", "a.b", "d", true, true)
	f.Add("", "", "", "", "", false, false)
	f.Fuzz(func(t *testing.T, store, name, version, key, def string, opt, hasDef bool) {
		r := Ref{Store: store, Name: name, Version: version, Optional: opt, HasDefault: hasDef}
		if hasDef {
			r.Default = def
		}
		if key != "" {
			r.Key = strings.Split(key, "\x00")
		}
		if r.Validate() != nil {
			return
		}
		got, err := ParseRef(r.String())
		if err != nil {
			t.Fatalf("%#v: String() = %q does not parse: %v", r, r.String(), err)
		}
		if !reflect.DeepEqual(got, r) {
			t.Fatalf("round trip via %q: got %#v want %#v", r.String(), got, r)
		}
	})
}

// TestRefStringEscapesInvisible: a name holding a non-ASCII space or an
// invisible format character is written percent-encoded, so that the
// canonical form parses back (a trailing U+00A0 written raw read as
// whitespace after the reference; FuzzParseRef found it) and a bidi
// override cannot reorder the log line a reference is printed in. Printable
// non-ASCII names stay as written.
func TestRefStringEscapesInvisible(t *testing.T) {
	tests := []struct{ name, want string }{
		{"db\u00a0", "secret://s/db%C2%A0"},
		{"a\u202ecod.exe", "secret://s/a%E2%80%AEcod.exe"},
		{"line\u2028sep", "secret://s/line%E2%80%A8sep"},
		{"zero\u200bwidth", "secret://s/zero%E2%80%8Bwidth"},
		{"private\ue000", "secret://s/private%EE%80%80"},
		{"café/日本", "secret://s/café/日本"},
	}
	for _, tc := range tests {
		r := Ref{Store: "s", Name: tc.name}
		got := r.String()
		if got != tc.want {
			t.Errorf("String of %q = %q, want %q", tc.name, got, tc.want)
		}
		back, err := ParseRef(got)
		if err != nil || back.Name != tc.name {
			t.Errorf("ParseRef(%q) = %q, %v; want the name %q", got, back.Name, err, tc.name)
		}
	}
}
