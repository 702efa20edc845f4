package policy

import (
	"errors"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/secret"
)

func names(ns ...string) []Entry {
	out := make([]Entry, len(ns))
	for i, n := range ns {
		out[i] = Entry{Name: n}
	}
	return out
}

func TestCheck(t *testing.T) {
	spec := Spec{Origin: "stores.app.secrets",
		Allow: append(names("APP_*", "DB_PASSWORD"), Entry{Name: "OLD_*", Versions: []string{"v1", secret.Current}}),
		Deny:  append(names("APP_ADMIN*"), Entry{Name: "DB_PASSWORD", Versions: []string{"v0"}}),
	}
	r, err := Compile(spec, "app", nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		req    secret.Request
		refuse string // "" when allowed
	}{
		{"allowed by pattern", secret.Request{Name: "APP_TOKEN"}, ""},
		{"allowed exactly", secret.Request{Name: "DB_PASSWORD"}, ""},
		{"no allow matches", secret.Request{Name: "AWS_SECRET_ACCESS_KEY"}, `no allow pattern matches it (allow: "APP_*", "DB_PASSWORD", "OLD_*" (versions v1, current))`},
		{"deny over allow", secret.Request{Name: "APP_ADMIN_KEY"}, `deny "APP_ADMIN*" matches it`},
		{"version denied", secret.Request{Name: "DB_PASSWORD", Version: "v0"}, `deny "DB_PASSWORD" (versions v0)`},
		{"version allowed", secret.Request{Name: "OLD_X", Version: "v1"}, ""},
		{"current version allowed", secret.Request{Name: "OLD_X"}, ""},
		{"other version refused", secret.Request{Name: "OLD_X", Version: "v2"}, "no allow pattern matches"},
		{"case matters", secret.Request{Name: "app_token"}, "no allow pattern matches"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := r.Check(tc.req)
			if tc.refuse == "" {
				if err != nil {
					t.Fatalf("Check(%+v) = %v, want allowed", tc.req, err)
				}
				return
			}
			var ref *Refusal
			if !errors.As(err, &ref) || !errors.Is(err, secret.ErrNotAllowed) {
				t.Fatalf("Check(%+v) = %v, want a *Refusal wrapping ErrNotAllowed", tc.req, err)
			}
			for _, want := range []string{tc.refuse, `store "app"`, "stores.app.secrets", tc.req.Name} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
		})
	}
}

func TestDenyOnlyRuleAllowsTheRest(t *testing.T) {
	r, err := Compile(Spec{Origin: "o", Deny: names("prod/*")}, "s", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Check(secret.Request{Name: "dev/db"}); err != nil {
		t.Fatal(err)
	}
	if err := r.Check(secret.Request{Name: "prod/db"}); err == nil {
		t.Fatal("prod/db was let through a deny prod/*")
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name string
		spec Spec
		want []string
	}{
		{"empty rule", Spec{Origin: "stores.s.secrets"}, []string{"neither allow nor deny"}},
		{"empty pattern", Spec{Origin: "o", Allow: names("")}, []string{`"o.allow[0]"`, "is empty"}},
		{"double star", Spec{Origin: "o", Allow: names("a/**")}, []string{`"**"`}},
		{"control char", Spec{Origin: "o", Deny: names("a\nb")}, []string{"control character"}},
		{"space", Spec{Origin: "o", Allow: names("a b")}, []string{"space"}},
		{"bad version", Spec{Origin: "o", Allow: []Entry{{Name: "a", Versions: []string{""}}}}, []string{"o.allow[0].versions", "is empty"}},
		{"duplicate allow", Spec{Origin: "o", Allow: names("a", "b", "a")}, []string{`allow "a" is already covered by allow "a"`}},
		{"allow covered by allow", Spec{Origin: "o", Allow: names("prod/db", "prod/*")}, []string{`allow "prod/db" is already covered by allow "prod/*"`}},
		{"versioned allow covered", Spec{Origin: "o", Allow: []Entry{{Name: "prod/*"}, {Name: "prod/db", Versions: []string{"v1"}}}},
			[]string{`allow "prod/db" (versions v1) is already covered by allow "prod/*"`}},
		{"deny covered by deny", Spec{Origin: "o", Deny: names("prod/*", "prod/admin")}, []string{`deny "prod/admin" is already covered by deny "prod/*"`}},
		{"dead allow", Spec{Origin: "o", Allow: names("prod/db", "dev/*"), Deny: names("prod/*")},
			[]string{`allow "prod/db" can never match: deny "prod/*"`}},
		{"all problems at once", Spec{Origin: "o", Allow: names("", "x", "x"), Deny: names("a**")}, []string{"is empty", `allow "x" is already covered`, `"**"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compile(tc.spec, "s", nil)
			if err == nil {
				t.Fatalf("Compile(%+v) succeeded", tc.spec)
			}
			if !errors.Is(err, secret.ErrInvalidConfig) {
				t.Errorf("error does not wrap ErrInvalidConfig: %v", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestOverlapThatIsNotCoverIsFine(t *testing.T) {
	// A deny narrower than an allow is the common case, and two allows that
	// merely overlap are both needed.
	_, err := Compile(Spec{Origin: "o", Allow: names("prod/*", "*/shared"), Deny: names("prod/admin*")}, "s", nil)
	if err != nil {
		t.Fatal(err)
	}
	// A deny limited to some versions leaves the allow's other versions.
	_, err = Compile(Spec{Origin: "o", Allow: names("prod/db"), Deny: []Entry{{Name: "prod/*", Versions: []string{"old"}}}}, "s", nil)
	if err != nil {
		t.Fatal(err)
	}
}

func TestString(t *testing.T) {
	r, err := Compile(Spec{Origin: "o", Allow: []Entry{{Name: "a/*"}, {Name: "b", Versions: []string{secret.Current}}}, Deny: names("a/x")}, "s", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := r.String(), `allow "a/*", "b" (versions current); deny "a/x"`; got != want {
		t.Fatalf("String() = %s, want %s", got, want)
	}
}

// FuzzRule compiles arbitrary patterns and checks arbitrary names: no
// panic, and a rule that compiles refuses every name a deny pattern
// matches.
func FuzzRule(f *testing.F) {
	f.Add("app/*", "app/admin*", "app/admin-db", "v1")
	f.Add("*", "?", "x", "")
	f.Add("a?c", "**", "abc", "current")
	f.Fuzz(func(t *testing.T, allow, deny, name, version string) {
		r, err := Compile(Spec{Origin: "o", Allow: []Entry{{Name: allow}}, Deny: []Entry{{Name: deny}}}, "s", nil)
		if err != nil {
			return
		}
		err = r.Check(secret.Request{Name: name, Version: version})
		if match(deny, name) && err == nil {
			t.Fatalf("deny %q matches %q but Check let it through", deny, name)
		}
		if err == nil && !match(allow, name) {
			t.Fatalf("allow %q does not match %q but Check let it through", allow, name)
		}
	})
}
