package policy

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestMatch(t *testing.T) {
	tests := []struct {
		name, pattern, in string
		want              bool
	}{
		{"exact", "prod/db", "prod/db", true},
		{"exact differs", "prod/db", "prod/dbx", false},
		{"star crosses slash", "prod/*", "prod/a/b", true},
		{"star empty", "prod/*", "prod/", true},
		{"star prefix only", "prod/*", "production/db", false},
		{"question one", "db-?", "db-1", true},
		{"question not zero", "db-?", "db-", false},
		{"question one rune", "p?", "pé", true},
		{"two stars", "*/db*", "a/b/db-x", true},
		{"star middle backtracks", "a*b*c", "aXbYbZc", true},
		{"star middle fails", "a*b*c", "aXbYbZ", false},
		{"case matters", "APP_*", "app_x", false},
		{"only star", "*", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := match(tc.pattern, tc.in); got != tc.want {
				t.Fatalf("match(%q, %q) = %v, want %v", tc.pattern, tc.in, got, tc.want)
			}
		})
	}
}

func TestCovers(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		want bool
	}{
		{"equal literal", "prod/db", "prod/db", true},
		{"star covers literal", "prod/*", "prod/db", true},
		{"star covers narrower star", "prod/*", "prod/db*", true},
		{"narrower does not cover wider", "prod/db*", "prod/*", false},
		{"question does not cover star", "prod/db?", "prod/db*", false},
		{"star covers question", "prod/*", "prod/db?", true},
		{"question covers question", "a?c", "a?c", true},
		{"question covers literal", "a?c", "abc", true},
		{"different literal", "a", "b", false},
		{"star covers everything", "*", "anything/*?x", true},
		{"suffix star", "*-admin", "prod/*-admin", true},
		{"suffix mismatch", "*-admin", "prod/*", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := covers(tc.a, tc.b); got != tc.want {
				t.Fatalf("covers(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
			}
		})
	}
}

// globRE is the obvious, slower definition of match.
func globRE(p string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`^`)
	for _, r := range p {
		switch r {
		case '*':
			b.WriteString(`.*`)
		case '?':
			b.WriteString(`.`)
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString(`$`)
	return regexp.MustCompile("(?s)" + b.String())
}

func FuzzMatch(f *testing.F) {
	f.Add("prod/*", "prod/db")
	f.Add("a*b?c*", "aXXbYcZ")
	f.Add("*?*?*", "ab")
	f.Fuzz(func(t *testing.T, p, s string) {
		if !utf8.ValidString(p) || !utf8.ValidString(s) || len(p) > 64 || len(s) > 64 {
			return
		}
		if got, want := match(p, s), globRE(p).MatchString(s); got != want {
			t.Fatalf("match(%q, %q) = %v, regexp says %v", p, s, got, want)
		}
	})
}

// FuzzCovers checks that covers is sound: when it says a covers b, every
// name built from b (each '*' and '?' filled in) matches a.
func FuzzCovers(f *testing.F) {
	f.Add("prod/*", "prod/db*", "xy")
	f.Add("*-?", "a*-b", "q")
	f.Add("a?c", "a*c", "")
	f.Fuzz(func(t *testing.T, a, b, fill string) {
		if !utf8.ValidString(a) || !utf8.ValidString(b) || !utf8.ValidString(fill) || len(a) > 32 || len(b) > 32 || len(fill) > 8 {
			return
		}
		if !covers(a, b) {
			return
		}
		one := "x"
		if fill != "" {
			r, _ := utf8.DecodeRuneInString(fill)
			one = string(r)
		}
		name := strings.NewReplacer("*", fill, "?", one).Replace(b)
		if match(b, name) && !match(a, name) {
			t.Fatalf("covers(%q, %q) but %q matches only the second", a, b, name)
		}
	})
}
