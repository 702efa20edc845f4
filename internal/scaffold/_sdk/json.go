package latchkey

import "unicode/utf8"

// JSON is a JSON value as raw text: a whole document, or a value inside
// one. Its methods read it without reflection and without package
// encoding/json, which adds about half a megabyte to a module; the host
// validates and compiles every byte of a module before its first call, so
// a smaller module starts sooner. A JSON returned by a method is a view of
// the text it was found in, not a copy.
//
// Errors name a byte offset and what was expected there, never the text:
// the text may be a secret.
type JSON []byte

// maxJSONDepth bounds the nesting of arrays and objects, as encoding/json
// does, so that hostile input cannot exhaust the stack.
const maxJSONDepth = 10000

// JSONError is a syntax error in a [JSON] value, or a value of another
// kind than the one asked for.
type JSONError struct {
	Offset int    // byte offset in the value the method was called on
	Msg    string // what was expected there
}

// Error returns "invalid JSON at byte OFFSET: MSG".
func (e *JSONError) Error() string { return "invalid JSON at byte " + itoa(e.Offset) + ": " + e.Msg }

// Members calls f with the key and the value of each member of the object
// v, in order, and returns the first error f returns. It checks the whole
// of v first: f is not called when v is not one valid JSON object.
func (v JSON) Members(f func(key string, value JSON) error) error {
	i, _, err := v.check()
	if err != nil {
		return err
	}
	if v[i] != '{' {
		return &JSONError{i, "want an object"}
	}
	return members(v, i, func(key, value JSON) error {
		k, _ := key.unquote()
		return f(k, value)
	})
}

// Lookup returns the value at path inside v, each element of path a key
// of the object the previous one leads to: Lookup("data", "password") is
// v.data.password. An empty path returns v itself. ok is false when a key
// is missing or a value on the way is not an object; when an object holds
// a key twice, the last one counts, as with encoding/json. err is set when
// v is not valid JSON.
func (v JSON) Lookup(path ...string) (value JSON, ok bool, err error) {
	start, end, err := v.check()
	if err != nil {
		return nil, false, err
	}
	value = v[start:end]
	for _, want := range path {
		if value[0] != '{' {
			return nil, false, nil
		}
		var found JSON
		_ = members(value, 0, func(key, val JSON) error {
			if key.equal(want) {
				found = val
			}
			return nil
		})
		if found == nil {
			return nil, false, nil
		}
		value = found
	}
	return value, true, nil
}

// Unquote returns the string v holds, with its escapes decoded. Invalid
// UTF-8 becomes U+FFFD, as with encoding/json. It fails when v is not one
// JSON string.
func (v JSON) Unquote() (string, error) {
	start, end, err := v.check()
	if err != nil {
		return "", err
	}
	if v[start] != '"' {
		return "", &JSONError{start, "want a string"}
	}
	return v[start:end].unquote()
}

// check checks that v is one valid JSON value, with nothing but white
// space around it, and returns where the value starts and ends.
func (v JSON) check() (start, end int, err error) {
	start = skipSpace(v, 0)
	if end, err = scanValue(v, start, 0); err != nil {
		return 0, 0, err
	}
	if i := skipSpace(v, end); i != len(v) {
		return 0, 0, &JSONError{i, "want the end of the value"}
	}
	return start, end, nil
}

// members calls f with the raw key and value of each member of the valid
// object starting at v[i].
func members(v JSON, i int, f func(key, value JSON) error) error {
	i = skipSpace(v, i+1)
	for v[i] != '}' {
		ks := i
		i, _ = scanString(v, i)
		key := v[ks:i]
		i = skipSpace(v, skipSpace(v, i)+1) // past ':'
		vs := i
		i, _ = scanValue(v, i, 0)
		if err := f(key, v[vs:i]); err != nil {
			return err
		}
		if i = skipSpace(v, i); v[i] == ',' {
			i = skipSpace(v, i+1)
		}
	}
	return nil
}

func skipSpace(v JSON, i int) int {
	for i < len(v) && (v[i] == ' ' || v[i] == '\n' || v[i] == '\t' || v[i] == '\r') {
		i++
	}
	return i
}

// scanValue checks the value starting at v[i] and returns the offset after
// it.
func scanValue(v JSON, i, depth int) (int, error) {
	if i >= len(v) {
		return i, &JSONError{i, "want a value"}
	}
	switch c := v[i]; {
	case c == '{':
		return scanObject(v, i, depth+1)
	case c == '[':
		return scanArray(v, i, depth+1)
	case c == '"':
		return scanString(v, i)
	case c == '-' || '0' <= c && c <= '9':
		return scanNumber(v, i)
	case c == 't':
		return scanLiteral(v, i, "true")
	case c == 'f':
		return scanLiteral(v, i, "false")
	case c == 'n':
		return scanLiteral(v, i, "null")
	}
	return i, &JSONError{i, "want a value"}
}

func scanObject(v JSON, i, depth int) (int, error) {
	if depth > maxJSONDepth {
		return i, &JSONError{i, "nested too deeply"}
	}
	if i = skipSpace(v, i+1); i < len(v) && v[i] == '}' {
		return i + 1, nil
	}
	for {
		if i >= len(v) || v[i] != '"' {
			return i, &JSONError{i, "want a string key"}
		}
		var err error
		if i, err = scanString(v, i); err != nil {
			return i, err
		}
		if i = skipSpace(v, i); i >= len(v) || v[i] != ':' {
			return i, &JSONError{i, "want ':'"}
		}
		if i, err = scanValue(v, skipSpace(v, i+1), depth); err != nil {
			return i, err
		}
		switch i = skipSpace(v, i); {
		case i < len(v) && v[i] == ',':
			i = skipSpace(v, i+1)
		case i < len(v) && v[i] == '}':
			return i + 1, nil
		default:
			return i, &JSONError{i, "want ',' or '}'"}
		}
	}
}

func scanArray(v JSON, i, depth int) (int, error) {
	if depth > maxJSONDepth {
		return i, &JSONError{i, "nested too deeply"}
	}
	if i = skipSpace(v, i+1); i < len(v) && v[i] == ']' {
		return i + 1, nil
	}
	for {
		var err error
		if i, err = scanValue(v, i, depth); err != nil {
			return i, err
		}
		switch i = skipSpace(v, i); {
		case i < len(v) && v[i] == ',':
			i = skipSpace(v, i+1)
		case i < len(v) && v[i] == ']':
			return i + 1, nil
		default:
			return i, &JSONError{i, "want ',' or ']'"}
		}
	}
}

// scanString checks the string starting at v[i] == '"'.
func scanString(v JSON, i int) (int, error) {
	for i++; i < len(v); i++ {
		switch c := v[i]; {
		case c == '"':
			return i + 1, nil
		case c < ' ':
			return i, &JSONError{i, "control character in a string"}
		case c == '\\':
			if i++; i >= len(v) {
				return i, &JSONError{i, "want an escape"}
			}
			switch v[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(v) || hex4(v[i+1:i+5]) < 0 {
					return i, &JSONError{i, "want four hex digits after \\u"}
				}
				i += 4
			default:
				return i, &JSONError{i, "want an escape"}
			}
		}
	}
	return i, &JSONError{i, "want the end of the string"}
}

// scanNumber checks -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?.
func scanNumber(v JSON, i int) (int, error) {
	digits := func(i int) (int, bool) {
		start := i
		for i < len(v) && '0' <= v[i] && v[i] <= '9' {
			i++
		}
		return i, i > start
	}
	if v[i] == '-' {
		i++
	}
	var ok bool
	switch {
	case i < len(v) && v[i] == '0':
		i++
	default:
		if i, ok = digits(i); !ok {
			return i, &JSONError{i, "want a digit"}
		}
	}
	if i < len(v) && v[i] == '.' {
		if i, ok = digits(i + 1); !ok {
			return i, &JSONError{i, "want a digit"}
		}
	}
	if i < len(v) && (v[i] == 'e' || v[i] == 'E') {
		if i++; i < len(v) && (v[i] == '+' || v[i] == '-') {
			i++
		}
		if i, ok = digits(i); !ok {
			return i, &JSONError{i, "want a digit"}
		}
	}
	return i, nil
}

func scanLiteral(v JSON, i int, lit string) (int, error) {
	if len(v)-i < len(lit) || string(v[i:i+len(lit)]) != lit {
		return i, &JSONError{i, "want a value"}
	}
	return i + len(lit), nil
}

func hex4(b JSON) rune {
	var r rune
	for _, c := range b {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}

// unquote decodes the valid JSON string s.
func (s JSON) unquote() (string, error) {
	s = s[1 : len(s)-1]
	if !containsByte(s, '\\') && utf8.Valid(s) {
		return string(s), nil
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\\':
			i++
			switch s[i] {
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				r := hex4(s[i+1 : i+5])
				i += 4
				if utf16Surrogate(r) {
					r2 := rune(-1)
					if i+6 < len(s) && s[i+1] == '\\' && s[i+2] == 'u' {
						r2 = hex4(s[i+3 : i+7])
					}
					if r = utf16Decode(r, r2); r != utf8.RuneError {
						i += 6
					}
				}
				out = utf8.AppendRune(out, r)
			default: // '"', '\\', '/'
				out = append(out, s[i])
			}
			i++
		case c < utf8.RuneSelf:
			out = append(out, c)
			i++
		default:
			r, size := utf8.DecodeRune(s[i:])
			out = utf8.AppendRune(out, r) // RuneError for a bad byte
			i += size
		}
	}
	return string(out), nil
}

func containsByte(s JSON, c byte) bool {
	for _, b := range s {
		if b == c {
			return true
		}
	}
	return false
}

func utf16Surrogate(r rune) bool { return 0xd800 <= r && r < 0xe000 }

// utf16Decode combines a surrogate pair, or returns U+FFFD.
func utf16Decode(r1, r2 rune) rune {
	if 0xd800 <= r1 && r1 < 0xdc00 && 0xdc00 <= r2 && r2 < 0xe000 {
		return (r1-0xd800)<<10 | (r2 - 0xdc00) + 0x10000
	}
	return utf8.RuneError
}

// equal reports whether the valid JSON string s decodes to want, without
// allocating when s has no escapes.
func (s JSON) equal(want string) bool {
	raw := s[1 : len(s)-1]
	if !containsByte(raw, '\\') && utf8.Valid(raw) {
		return string(raw) == want
	}
	got, _ := s.unquote()
	return got == want
}
