package secret

import (
	"errors"
	"strings"
	"testing"
)

// TestNearMiss runs the near-miss rule over strings that look like a
// reference (each must be refused, naming the part that looks like one) and
// strings that do not (each must stay a literal).
func TestNearMiss(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		found string // "" means: a literal, not a near miss
		why   string
	}{
		// Rule 1: a disguised or mistyped prefix.
		{"plural scheme", "secrets://app/X", "secrets://", "one typo away"},
		{"missing colon", "secret//app/X", "secret//", "one typo away"},
		{"swapped letters", "secert://app/X", "secert://", "one typo away"},
		{"dropped letter", "secrt://app/X", "secrt://", "one typo away"},
		{"semicolon", "Secret;//app/X", "Secret;//", "one typo away"},
		{"plural one slash", "Secrets:/app/X", "Secrets:", "one typo away"},
		{"plural no slash", "SECRETS:app/X", "SECRETS:", "one typo away"},
		{"leading space", " secret://app/X", " secret:", "whitespace"},
		{"leading tab", "\tsecret://app/X", "\tsecret:", "whitespace"},
		{"leading newline", "\nsecret://app/X", "\nsecret:", "whitespace"},
		{"leading nbsp", "\u00a0secret://app/X", "\u00a0secret:", "whitespace"},
		{"leading bom", "\ufeffsecret://app/X", "\ufeffsecret:", "whitespace"},
		{"zero width space inside", "sec\u200bret://app/X", "sec\u200bret:", "look-alike"},
		{"quoted", `"secret://app/X"`, `"secret:`, "quotes"},
		{"angle brackets", "<secret://app/X>", "<secret:", "quotes"},
		{"leading space literal", " literal:x", " literal:", "whitespace"},
		{"literal typo", "litral:secret://x", "litral:", `"literal:"`},
		{"literal plural", "literals:${X}", "literals:", `"literal:"`},
		{"cyrillic s", "ѕecret://app/X", "ѕecret:", "look-alike"},
		{"cyrillic e and c", "sеcrеt://app/X", "sеcrеt:", "look-alike"},
		{"full width", "ｓｅｃｒｅｔ：／／app/X", "ｓｅｃｒｅｔ：", "look-alike"},
		{"long s", "ſecret://app/X", "ſecret:", "look-alike"},
		{"ratio colon", "secret∶//app/X", "secret∶", "look-alike"},
		// Rule 2: another tool's syntax.
		{"vals aws", "ref+awssecrets://prod/db#/password", "ref+awssecrets:", "vals"},
		{"vals vault", "ref+vault://secret/data/app#/password", "ref+vault:", "vals"},
		{"vals upper", "REF+GCPSECRETS://p/s", "REF+GCPSECRETS:", "vals"},
		{"vault url", "vault://secret/data/app", "vault:", "Vault"},
		{"bank-vaults", "vault:secret/data/app#password", "vault:", "Vault"},
		{"awssm", "awssm://prod/db", "awssm:", "AWS Secrets Manager"},
		{"1password", "op://Private/db/password", "op:", "1Password"},
		{"spring aws", "aws-secretsmanager:prod/db", "aws-secretsmanager:", "Spring"},
		{"gcp sm", "sm://project/secret", "sm:", "GCP"},
		{"env guess", "env://DB_PASSWORD", "env:", "environment"},
		{"app service", "@Microsoft.KeyVault(SecretUri=https://v.vault.azure.net/secrets/db/)", "@Microsoft.KeyVault(", "App Service"},
		// Rule 3: interpolation.
		{"shell braces", "${DB_PASSWORD}", "${DB_PASSWORD}", "interpolation"},
		{"shell default", "${DB_PASSWORD:-changeme}", "${DB_PASSWORD:-changeme}", "interpolation"},
		{"inside a url", "postgres://app:${DB_PASS}@db:5432/orders", "${DB_PASS}", "interpolation"},
		{"command", "$(cat /run/secrets/db)", "$(cat /run/secrets/db)", "interpolation"},
		{"azure devops", "$(dbPassword)", "$(dbPassword)", "interpolation"},
		{"github actions", "${{ secrets.DB_PASSWORD }}", "${{ secrets.DB_PASSWORD }}", "interpolation"},
		{"template", "{{ .Values.password }}", "{{ .Values.password }}", "interpolation"},
		{"cloudformation", "{{resolve:secretsmanager:prod/db:SecretString:password}}", "{{resolve:secretsmanager:prod/db:SecretS…", "interpolation"},
		{"kafka connect", "${vault:secret/app:password}", "${vault:secret/app:password}", "interpolation"},

		// Literals that must stay literals.
		{"plain", "db.internal.example.com", "", ""},
		{"number", "5432", "", ""},
		{"empty", "", "", ""},
		{"https url", "https://api.example.com/v1", "", ""},
		{"postgres url", "postgres://app@db:5432/orders", "", ""},
		{"jdbc url", "jdbc:postgresql://db:5432/orders", "", ""},
		{"s3 url", "s3://bucket/path/", "", ""},
		{"vault kv path", "secret/data/app", "", ""},
		{"vault host and port", "vault:8200", "", ""},
		{"word secret", "secret", "", ""},
		{"word secrets", "secrets", "", ""},
		{"sentence", "Secrets: none are stored here", "", ""},
		{"secretary", "Secretary: J. Doe", "", ""},
		{"prefixed word", "mysecret://x", "", ""},
		{"dollar amount", "costs $5 (about)", "", ""},
		{"lone dollar brace", "a${", "", ""},
		{"unclosed", "${DB_PASSWORD", "", ""},
		{"brace json", `{"a":{"b":1}}`, "", ""},
		{"cyrillic word", "пароль", "", ""},
		{"arn", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src, err := ParseSource(tc.in)
			if tc.found == "" {
				if err != nil || src.Ref != nil || src.Literal != tc.in {
					t.Fatalf("ParseSource(%q) = %+v, %v; want the literal", tc.in, src, err)
				}
				return
			}
			var nm *NearMissError
			if !errors.As(err, &nm) {
				t.Fatalf("ParseSource(%q) = %+v, %v; want a *NearMissError", tc.in, src, err)
			}
			if nm.Found != tc.found || !strings.Contains(nm.Why, tc.why) {
				t.Errorf("ParseSource(%q): found %q (%s), want %q (%s…)", tc.in, nm.Found, nm.Why, tc.found, tc.why)
			}
			if !strings.HasPrefix(tc.in[nm.Pos:], strings.TrimSuffix(nm.Found, "…")) {
				t.Errorf("ParseSource(%q): Found %q is not at byte %d", tc.in, nm.Found, nm.Pos)
			}
			if !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("%v does not match ErrInvalidConfig", err)
			}
			for _, fix := range []string{"secret://STORE/NAME", "literal:"} {
				if !strings.Contains(err.Error(), fix) {
					t.Errorf("error %q does not say %q", err, fix)
				}
			}
			// literal: is the escape.
			back, err := ParseSource(QuoteLiteral(tc.in))
			if err != nil || back.Ref != nil || back.Literal != tc.in {
				t.Errorf("QuoteLiteral(%q) = %q reads back as %+v, %v", tc.in, QuoteLiteral(tc.in), back, err)
			}
		})
	}
}

// TestNearMissQuotesOnlyThePart checks that a near miss in a long literal
// (possibly a password) quotes the part that looks like a reference, not the
// rest of the string.
func TestNearMissQuotesOnlyThePart(t *testing.T) {
	const rest = "hunter2-correct-horse"
	_, err := ParseSource("pw-${X}-" + rest)
	if err == nil || strings.Contains(err.Error(), rest) || strings.Contains(err.Error(), "pw-") {
		t.Fatalf("error %v quotes more than the expression", err)
	}
}

// FuzzParseSource checks, for any string: ParseSource does not panic; a
// near miss quotes at most a short part of the string, found where it says;
// QuoteLiteral always reads back as the same literal; a string accepted as
// a literal is its own quoted form; and a reference re-encodes to itself.
func FuzzParseSource(f *testing.F) {
	for _, s := range []string{
		"plain", "secret://app/X", "secrets://app/X", " secret://x", "literal:secret://x",
		"ref+vault://a#/b", "${A}", "$(a)", "{{a}}", "ｓｅｃｒｅｔ：／／x", "vault:8200", "\ufeffliteral:x",
		"secret://a/b ", "@microsoft.keyvault(x)", "sec\u200bret://x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		src, err := ParseSource(s)
		var nm *NearMissError
		if errors.As(err, &nm) {
			found := strings.TrimSuffix(nm.Found, "…")
			if len(found) > nearMissQuote || nm.Pos < 0 || nm.Pos > len(s) || !strings.HasPrefix(s[nm.Pos:], found) {
				t.Fatalf("ParseSource(%q): bad near miss %+v", s, nm)
			}
		}
		back, err2 := ParseSource(QuoteLiteral(s))
		if err2 != nil || back.Ref != nil || back.Literal != s {
			t.Fatalf("QuoteLiteral(%q) = %q reads back as %+v, %v", s, QuoteLiteral(s), back, err2)
		}
		if err != nil {
			return
		}
		if src.Ref == nil && !hasPrefixFold(s, LiteralPrefix) && QuoteLiteral(src.Literal) != s {
			t.Fatalf("literal %q is quoted as %q", s, QuoteLiteral(src.Literal))
		}
		if src.Ref != nil {
			again, err := ParseSource(src.Ref.String())
			if err != nil || again.Ref == nil || again.Ref.String() != src.Ref.String() {
				t.Fatalf("reference %q re-encodes to %q: %+v, %v", s, src.Ref.String(), again, err)
			}
		}
	})
}

// BenchmarkParseSource measures what the near-miss rule costs a literal,
// against parsing a reference of about the same length (the baseline: every
// workflow string goes through one or the other).
func BenchmarkParseSource(b *testing.B) {
	for _, bc := range []struct{ name, in string }{
		{"reference", "secret://aws/prod/db#password"},
		{"literal host", "db.internal.example.com:5432"},
		{"literal url", "https://api.example.com/v1/orders"},
		{"literal long", strings.Repeat("x", 200)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ParseSource(bc.in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
