package secret

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/latchkey/latchkey/internal/units"
)

// NearMissError reports a workflow string that reads like a reference but is
// not one: used as a literal, it would ship the reference text (or an
// unexpanded expression) as a password. [ParseSource] returns it; the fix is
// to write a reference (secret://STORE/NAME…), or the text behind
// [LiteralPrefix] when it really is meant literally.
//
// Found is only the part that looks like a reference — a prefix or one
// expression, at most [nearMissQuote] bytes — never the whole string, which
// may be a literal password.
type NearMissError struct {
	Pos   int    // byte offset of Found in the string
	Found string // the part that looks like a reference
	Why   string // what it looks like
}

// Error implements error.
func (e *NearMissError) Error() string {
	return fmt.Sprintf("%q at byte %d looks like a reference but is not one (%s): write secret://STORE/NAME… for a reference, or literal:… for this text as it stands",
		e.Found, e.Pos, e.Why)
}

// Is makes a NearMissError match [ErrInvalidConfig].
func (e *NearMissError) Is(target error) bool { return target == ErrInvalidConfig }

// nearMissQuote caps how much of the string a NearMissError quotes.
const nearMissQuote = 40

// foreignSchemes are other tools' reference syntaxes (and the names a user
// may guess for a store), which latchkey does not read: a literal that
// starts with one was almost certainly meant as a reference. Matched without
// regard to case, followed by ':' and, where slash is set, a '/'. Every
// "ref+" scheme (vals) is matched as well, whatever follows "ref+".
var foreignSchemes = []struct {
	scheme, tool string
	slash        bool
}{
	{"vault", "a Vault reference (Bank-Vaults, Spring Cloud Vault)", false},
	{"op", "a 1Password reference", true},
	{"awssm", "an AWS Secrets Manager reference of another tool", true},
	{"awssecrets", "an AWS Secrets Manager reference of another tool", true},
	{"secretsmanager", "an AWS Secrets Manager reference of another tool", true},
	{"aws-secretsmanager", "a Spring Cloud AWS reference", false},
	{"aws-parameterstore", "a Spring Cloud AWS reference", false},
	{"ssm", "an AWS Parameter Store reference of another tool", true},
	{"sm", "a GCP Secret Manager reference (Spring Cloud GCP, Berglas)", true},
	{"gsm", "a GCP Secret Manager reference of another tool", true},
	{"gcpsm", "a GCP Secret Manager reference of another tool", true},
	{"gcpsecrets", "a GCP Secret Manager reference of another tool", true},
	{"berglas", "a Berglas reference", true},
	{"azkv", "an Azure Key Vault reference of another tool", true},
	{"akv", "an Azure Key Vault reference of another tool", true},
	{"keyvault", "an Azure Key Vault reference of another tool", true},
	{"azurekeyvault", "an Azure Key Vault reference of another tool", true},
	{"sops", "a SOPS reference", true},
	{"env", "an environment reference of another tool (latchkey's is secret://ENVSTORE/VAR)", true},
}

// nearMiss reports whether s, a workflow string that is neither a reference
// nor behind "literal:", looks like a reference. The rule, in
// docs/references.md ("Near misses"):
//
//  1. a disguised prefix: after leading whitespace, invisible characters and
//     quotes, with look-alike characters read as the ASCII letters they
//     imitate, s starts with "secret:" or "literal:", or with a text one
//     typo (a character added, dropped or changed, or two swapped) away from
//     "secret://", or with a scheme one typo from "secret" or "literal"
//     ("secrets:…", "litral:…");
//  2. another tool's reference syntax: a vals "ref+…:" scheme, one of
//     foreignSchemes, an App Service "@Microsoft.KeyVault(…)" reference;
//  3. an interpolation expression anywhere: ${…}, $(…) or {{…}}, which
//     latchkey never expands.
func nearMiss(s string) *NearMissError {
	if e := disguisedPrefix(s); e != nil {
		return e
	}
	if e := foreignReference(s); e != nil {
		return e
	}
	return interpolation(s)
}

// maxSkeleton bounds how many runes of a string the prefix checks read.
const maxSkeleton = 24

// skeleton is the start of a string read as ASCII: each rune folded to the
// lower-case ASCII letter or sign it looks like, with the byte offset it
// came from. It lives on the stack: the check runs on every literal.
type skeleton struct {
	buf [maxSkeleton]byte
	n   int
	off [maxSkeleton + 1]int // off[i] is the byte offset in the original of text()[i]; off[n] its end
}

func (sk *skeleton) text() []byte { return sk.buf[:sk.n] }

// skeletonOf reads up to maxSkeleton runes of s from byte start, dropping
// invisible format characters (zero-width spaces, BOMs).
func skeletonOf(sk *skeleton, s string, start int) {
	i := start
	for runes := 0; i < len(s) && runes < maxSkeleton; runes++ {
		r, size := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		if c, ok := asciiLookalike(r); ok {
			sk.buf[sk.n], sk.off[sk.n] = c, i
			sk.n++
		} else if !unicode.Is(unicode.Cf, r) {
			sk.buf[sk.n], sk.off[sk.n] = 0, i // no ASCII look-alike: matches nothing
			sk.n++
		}
		i += size
	}
	sk.off[sk.n] = i
}

// asciiLookalike returns the lower-case ASCII character r is or imitates:
// r itself, its case fold (ſ, the Kelvin sign), its full-width form, or a
// common Cyrillic or Greek homoglyph or colon/slash look-alike.
func asciiLookalike(r rune) (byte, bool) {
	if r < utf8.RuneSelf {
		c := byte(r)
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		return c, true
	}
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f < utf8.RuneSelf {
			return byte(unicode.ToLower(f)), true
		}
	}
	if r >= 0xFF01 && r <= 0xFF5E { // full-width ASCII
		return byte(unicode.ToLower(r - 0xFEE0)), true
	}
	switch r {
	case 'а', 'А', 'α', 'Α':
		return 'a', true
	case 'с', 'С', 'ϲ':
		return 'c', true
	case 'е', 'Е', 'ε', 'Ε':
		return 'e', true
	case 'і', 'І', 'ι', 'Ι':
		return 'i', true
	case 'ӏ', 'Ӏ':
		return 'l', true
	case 'о', 'О', 'ο', 'Ο':
		return 'o', true
	case 'р', 'Р', 'ρ', 'Ρ':
		return 'p', true
	case 'ѕ', 'Ѕ':
		return 's', true
	case 'т', 'Т', 'τ', 'Τ':
		return 't', true
	case 'х', 'Х', 'χ', 'Χ':
		return 'x', true
	case 'г':
		return 'r', true
	case '∶', '꞉', '׃', '˸':
		return ':', true
	case '∕', '⁄', '⧸':
		return '/', true
	}
	return 0, false
}

// disguisedPrefix implements rule 1.
func disguisedPrefix(s string) *NearMissError {
	start := 0
	for start < len(s) {
		r, size := utf8.DecodeRuneInString(s[start:])
		if !unicode.IsSpace(r) && !unicode.Is(unicode.Cf, r) && !strings.ContainsRune("\"'`<([{", r) {
			break
		}
		start += size
	}
	var sk skeleton
	skeletonOf(&sk, s, start)
	text := sk.text()
	found := func(n int, why string) *NearMissError {
		end := sk.off[n]
		return &NearMissError{Pos: 0, Found: quote(s[:end]), Why: why}
	}
	for _, p := range [...]string{RefPrefix, LiteralPrefix} {
		if len(text) >= len(p) && string(text[:len(p)]) == p {
			// s itself does not start with p (ParseSource saw to that), so
			// something precedes it or a character only looks like ASCII.
			why := "look-alike characters in the prefix"
			if start > 0 {
				why = "whitespace, invisible characters or quotes before the prefix"
			}
			return found(len(p), why)
		}
	}
	const want = "secret://"
	if n, d := prefixDistance(text, want); d <= 1 {
		return found(n, fmt.Sprintf("one typo away from %q", want))
	}
	if colon := bytesIndexByte(text, ':'); colon > 0 && colon+1 < len(text) && text[colon+1] != ' ' && colon <= len("literal")+1 {
		for _, p := range [...]string{"secret", "literal"} {
			if d := units.Distance(text[:colon], p); d <= 1 {
				return found(colon+1, fmt.Sprintf("one typo away from %q", p+":"))
			}
		}
	}
	return nil
}

// foreignReference implements rule 2.
func foreignReference(s string) *NearMissError {
	const kv = "@microsoft.keyvault("
	if hasPrefixFold(s, kv) {
		return &NearMissError{Found: s[:len(kv)], Why: "an App Service Key Vault reference"}
	}
	colon := strings.IndexByte(s, ':')
	if colon <= 0 || colon+1 >= len(s) || s[colon+1] == ' ' {
		return nil
	}
	scheme := s[:colon]
	if !isScheme(scheme) {
		return nil
	}
	if hasPrefixFold(scheme, "ref+") {
		return &NearMissError{Found: quote(s[:colon+1]), Why: "vals' reference syntax"}
	}
	next := s[colon+1]
	for _, f := range foreignSchemes {
		// Without a slash, only a letter may follow: "vault:8200" is a
		// host and port, "vault:secret/data/db" a reference.
		if strings.EqualFold(scheme, f.scheme) && (next == '/' || !f.slash && isLetter(next)) {
			return &NearMissError{Found: quote(s[:colon+1]), Why: f.tool}
		}
	}
	return nil
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// isScheme reports whether s has the form of a URI scheme (RFC 3986).
func isScheme(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		case i > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return s != ""
}

// interpolation implements rule 3: ${…} and $(…) whose body starts like a
// name or a command, and {{…}}.
func interpolation(s string) *NearMissError {
	for i := 0; i+2 < len(s); i++ {
		var closer string
		switch {
		case s[i] == '$' && s[i+1] == '{' && s[i+2] == '{':
			closer = "}}"
		case s[i] == '$' && s[i+1] == '{' && nameStart(s[i+2]):
			closer = "}"
		case s[i] == '$' && s[i+1] == '(' && nameStart(s[i+2]):
			closer = ")"
		case s[i] == '{' && s[i+1] == '{':
			closer = "}}"
		default:
			continue
		}
		j := strings.Index(s[i+2:], closer)
		if j < 0 {
			continue
		}
		end := i + 2 + j + len(closer)
		return &NearMissError{Pos: i, Found: quote(s[i:end]), Why: "interpolation, which latchkey does not expand"}
	}
	return nil
}

// nameStart reports whether c may start a variable name or command inside
// ${…} or $(…): a letter, '_' or a space.
func nameStart(c byte) bool { return isLetter(c) || c == '_' || c == ' ' }

// quote shortens s to at most nearMissQuote bytes, on a rune boundary.
func quote(s string) string {
	if len(s) <= nearMissQuote {
		return s
	}
	n := nearMissQuote
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func bytesIndexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

// prefixDistance returns the length of the prefix of text closest to want
// and its optimal-string-alignment distance (Levenshtein plus
// transpositions): one table whose rows are text's prefixes, three rows at
// a time on the stack. A prefix longer than want by two or more is at least
// two typos away, so only that many rows are computed.
func prefixDistance(text []byte, want string) (n, dist int) {
	const maxWant = 15
	if len(want) > maxWant {
		panic("secret: prefixDistance beyond its table")
	}
	var buf [3][maxWant + 1]int
	prev2, prev, cur := buf[0][:len(want)+1], buf[1][:len(want)+1], buf[2][:len(want)+1]
	for j := range prev {
		prev[j] = j
	}
	n, dist = 0, len(want)
	for i := 1; i <= min(len(text), len(want)+1); i++ {
		cur[0] = i
		for j := 1; j <= len(want); j++ {
			cost := 1
			if text[i-1] == want[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && text[i-1] == want[j-2] && text[i-2] == want[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		if cur[len(want)] < dist {
			n, dist = i, cur[len(want)]
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return n, dist
}
