package secret

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Prefixes that make a workflow string special. They are matched without
// regard to letter case, so that "Secret://…" is never a silent literal.
const (
	RefPrefix     = "secret:"
	LiteralPrefix = "literal:"
)

// Ref points a workflow field at a secret: which store, which secret, which
// version, which key inside a JSON secret, and what to do when it is missing.
// Its string form is described in the package documentation; [ParseRef]
// and [Ref.String] convert between the two without loss.
type Ref struct {
	// Store names a store of the agent config; empty means the default store.
	Store string
	// Name is the secret's name in the store's terms; empty means the
	// secret document named by the store's "secret" setting.
	Name string
	// Version selects a version; empty means the current one.
	Version string
	// Key is a path into the secret parsed as JSON; nil uses the secret raw.
	Key []string
	// Optional omits the field when the secret or key does not exist.
	Optional bool
	// HasDefault and Default give the value used when the secret or key does
	// not exist. Access and network errors still fail: a default never hides
	// a store that is down.
	HasDefault bool
	Default    string
}

// RefSyntaxError reports a malformed reference. Pos is a byte offset into
// Input; Input is the reference text, which holds names but never a value.
type RefSyntaxError struct {
	Input string
	Pos   int
	Msg   string
}

// Error implements error. The message names what failed and never holds a secret value.
func (e *RefSyntaxError) Error() string {
	return fmt.Sprintf("reference %q: at byte %d: %s", e.Input, e.Pos, e.Msg)
}

// Is makes a RefSyntaxError match [ErrInvalidConfig].
func (e *RefSyntaxError) Is(target error) bool { return target == ErrInvalidConfig }

// Source is a workflow field's value as written: a literal or a reference.
type Source struct {
	Literal string
	Ref     *Ref // nil for a literal
}

// ParseSource reads a workflow field written as a string. A string starting
// with [RefPrefix] must be a well-formed reference; one starting with
// [LiteralPrefix] is the literal that follows the prefix; a string that
// looks like a reference but is neither (a typo of the prefix, whitespace
// before it, another tool's reference syntax, an interpolation expression)
// is a [*NearMissError]; any other string is a literal as it stands.
func ParseSource(s string) (Source, error) {
	if hasPrefixFold(s, LiteralPrefix) {
		return Source{Literal: s[len(LiteralPrefix):]}, nil
	}
	if hasPrefixFold(s, RefPrefix) {
		r, err := ParseRef(s)
		if err != nil {
			return Source{}, err
		}
		return Source{Ref: &r}, nil
	}
	if e := nearMiss(s); e != nil {
		return Source{}, e
	}
	return Source{Literal: s}, nil
}

// QuoteLiteral returns the string form of the literal s: s itself, or s
// behind [LiteralPrefix] when s would otherwise read as a reference or be
// refused as a near miss.
func QuoteLiteral(s string) string {
	if hasPrefixFold(s, LiteralPrefix) || hasPrefixFold(s, RefPrefix) || nearMiss(s) != nil {
		return LiteralPrefix + s
	}
	return s
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// ParseRef parses the string form of a reference:
//
//	secret://STORE/NAME[#KEY][?PARAM&PARAM…]
//
// The #KEY and ?PARAM sections may come in either order. PARAM is
// version=V, optional, optional=true|false, or default=D.
func ParseRef(s string) (Ref, error) {
	p := refParser{in: s}
	return p.parse()
}

type refParser struct {
	in  string
	pos int
}

func (p *refParser) fail(pos int, format string, args ...any) error {
	return &RefSyntaxError{Input: p.in, Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

func (p *refParser) parse() (Ref, error) {
	var r Ref
	s := p.in
	if !hasPrefixFold(s, RefPrefix) {
		return r, p.fail(0, "a reference starts with %q", RefPrefix+"//")
	}
	if t := strings.TrimRightFunc(s, unicode.IsSpace); len(t) < len(s) {
		return r, p.fail(len(t), "whitespace after the reference: remove it (a name that really ends in a space is written %%20)")
	}
	p.pos = len(RefPrefix)
	if !strings.HasPrefix(s[p.pos:], "//") {
		return r, p.fail(p.pos, `expected "//" after %q (write secret://STORE/NAME, or secret:///NAME for the default store; or literal:%s for this text as a literal)`, RefPrefix, s)
	}
	p.pos += 2
	slash := strings.IndexAny(s[p.pos:], "/#?")
	if slash < 0 || s[p.pos+slash] != '/' {
		return r, p.fail(p.pos, `expected "/" after the store name (write secret://STORE/NAME; an empty STORE means the default store)`)
	}
	r.Store = s[p.pos : p.pos+slash]
	if err := ValidateStoreName(r.Store); err != nil {
		return r, p.fail(p.pos, "%v", err)
	}
	p.pos += slash + 1

	end := p.sectionEnd()
	name, err := p.unescape(p.pos, end)
	if err != nil {
		return r, err
	}
	r.Name = name
	p.pos = end

	seenKey, seenQuery := false, false
	for p.pos < len(s) {
		c := s[p.pos]
		p.pos++
		end := p.sectionEnd()
		switch {
		case c == '#' && !seenKey:
			seenKey = true
			if err := p.parseKey(&r, end); err != nil {
				return r, err
			}
		case c == '?' && !seenQuery:
			seenQuery = true
			if err := p.parseQuery(&r, end); err != nil {
				return r, err
			}
		default:
			return r, p.fail(p.pos-1, "%q may appear only once (write it as %%%02X inside a name)", c, c)
		}
		p.pos = end
	}
	return r, nil
}

// sectionEnd returns the offset of the next '#' or '?' at or after p.pos.
func (p *refParser) sectionEnd() int {
	if i := strings.IndexAny(p.in[p.pos:], "#?"); i >= 0 {
		return p.pos + i
	}
	return len(p.in)
}

func (p *refParser) parseKey(r *Ref, end int) error {
	if p.pos == end {
		return p.fail(p.pos, `empty key after "#"`)
	}
	start := p.pos
	for _, seg := range strings.Split(p.in[start:end], ".") {
		if seg == "" {
			return p.fail(start, `empty segment in key (use %%2E for a "." inside a key)`)
		}
		k, err := p.unescape(start, start+len(seg))
		if err != nil {
			return err
		}
		r.Key = append(r.Key, k)
		start += len(seg) + 1
	}
	return nil
}

func (p *refParser) parseQuery(r *Ref, end int) error {
	seen := map[string]bool{}
	start := p.pos
	if start == end {
		return p.fail(start, `empty parameter list after "?"`)
	}
	for _, param := range strings.Split(p.in[start:end], "&") {
		name, raw, hasVal := strings.Cut(param, "=")
		valStart := start + len(name) + 1
		if seen[name] {
			return p.fail(start, "parameter %q given twice", name)
		}
		seen[name] = true
		var val string
		if hasVal {
			v, err := p.unescape(valStart, valStart+len(raw))
			if err != nil {
				return err
			}
			val = v
		}
		switch name {
		case "version":
			if !hasVal || val == "" {
				return p.fail(start, "version needs a value: version=V")
			}
			r.Version = val
		case "default":
			if !hasVal {
				return p.fail(start, "default needs a value: default=D (default= for an empty one)")
			}
			r.HasDefault, r.Default = true, val
		case "optional":
			switch {
			case !hasVal || val == "true":
				r.Optional = true
			case val == "false":
				r.Optional = false
			default:
				return p.fail(valStart, "optional takes true or false")
			}
		case "":
			return p.fail(start, `empty parameter (stray "&"?)`)
		default:
			return p.fail(start, "unknown parameter %q (known: version, optional, default)", name)
		}
		start += len(param) + 1
	}
	return nil
}

// unescape percent-decodes p.in[from:to], refusing raw control characters
// and spaces (which must be escaped) and invalid UTF-8.
func (p *refParser) unescape(from, to int) (string, error) {
	s := p.in[from:to]
	if !strings.ContainsAny(s, "% \t\r\n\x7f") && utf8.ValidString(s) && !hasControl(s) {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%':
			if i+2 >= len(s) {
				return "", p.fail(from+i, "incomplete escape: %% must be followed by two hex digits")
			}
			hi, ok1 := unhex(s[i+1])
			lo, ok2 := unhex(s[i+2])
			if !ok1 || !ok2 {
				return "", p.fail(from+i, "bad escape %q: %% must be followed by two hex digits", s[i:i+3])
			}
			b.WriteByte(hi<<4 | lo)
			i += 2
		case c <= ' ' || c == 0x7f:
			return "", p.fail(from+i, "raw control character or space: write it as %%%02X", c)
		default:
			b.WriteByte(c)
		}
	}
	out := b.String()
	if !utf8.ValidString(out) {
		return "", p.fail(from, "not valid UTF-8 once unescaped")
	}
	return out, nil
}

func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] == 0x7f {
			return true
		}
	}
	return false
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// ValidateStoreName reports whether name can name a store: letters, digits,
// '_' and '-'. The empty name (the default store) is valid.
func ValidateStoreName(name string) error {
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return fmt.Errorf("store name %q: only letters, digits, '_' and '-' are allowed", name)
		}
	}
	return nil
}

// Validate reports whether r can be written in string form.
func (r Ref) Validate() error {
	var errs []error
	if err := ValidateStoreName(r.Store); err != nil {
		errs = append(errs, err)
	}
	check := func(what, s string) {
		if !utf8.ValidString(s) {
			errs = append(errs, fmt.Errorf("%s is not valid UTF-8", what))
		}
	}
	check("name", r.Name)
	check("version", r.Version)
	check("default", r.Default)
	for _, k := range r.Key {
		if k == "" {
			errs = append(errs, errors.New("key has an empty segment"))
		}
		check("key", k)
	}
	if r.Key != nil && len(r.Key) == 0 {
		errs = append(errs, errors.New("key is empty but not nil"))
	}
	return errors.Join(errs...)
}

// String returns the canonical string form of r, which [ParseRef] reads
// back to r. It holds names, never a secret value (a Default is a literal
// from the workflow, not a secret).
func (r Ref) String() string {
	var b strings.Builder
	b.WriteString("secret://")
	b.WriteString(r.Store)
	b.WriteByte('/')
	escape(&b, r.Name, "")
	if len(r.Key) > 0 {
		b.WriteByte('#')
		for i, k := range r.Key {
			if i > 0 {
				b.WriteByte('.')
			}
			escape(&b, k, ".")
		}
	}
	sep := byte('?')
	param := func(s string) {
		b.WriteByte(sep)
		b.WriteString(s)
		sep = '&'
	}
	if r.Version != "" {
		param("version=")
		escape(&b, r.Version, "&")
	}
	if r.Optional {
		param("optional")
	}
	if r.HasDefault {
		param("default=")
		escape(&b, r.Default, "&")
	}
	return b.String()
}

// escape writes s percent-encoding '%', '#', '?', spaces, control
// characters, invalid UTF-8 bytes and any byte in extra; and, of other
// characters, those [unicode.IsPrint] refuses: spaces such as U+00A0
// (which [ParseRef] would take for whitespace after the reference),
// format characters such as bidi overrides (which would reorder a log
// line), unassigned and private-use code points.
func escape(b *strings.Builder, s, extra string) {
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, n := utf8.DecodeRuneInString(s[i:])
			if r != utf8.RuneError || n > 1 {
				if unicode.IsPrint(r) {
					b.WriteString(s[i : i+n])
				} else {
					for _, x := range []byte(s[i : i+n]) {
						fmt.Fprintf(b, "%%%02X", x)
					}
				}
				i += n
				continue
			}
		}
		if c <= ' ' || c == 0x7f || c >= utf8.RuneSelf || c == '%' || c == '#' || c == '?' || strings.IndexByte(extra, c) >= 0 {
			fmt.Fprintf(b, "%%%02X", c)
		} else {
			b.WriteByte(c)
		}
		i++
	}
}

// Request returns what to ask the store for, given the store's configured
// secret document (used when r.Name is empty).
func (r Ref) Request(document string) Request {
	name := r.Name
	if name == "" {
		name = document
	}
	return Request{Name: name, Version: r.Version}
}
