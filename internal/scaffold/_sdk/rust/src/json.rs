//! A small JSON reader for configs and responses, without reflection or
//! dependencies: [`Json`] is a view of one JSON value inside a document.
//! Errors give a byte offset and never the document's text, which may be a
//! secret.

use std::borrow::Cow;
use std::fmt;

/// Nesting deeper than this is refused rather than risking the guest's
/// stack (1 MiB by default for Rust on wasm32).
const MAX_DEPTH: usize = 256;

/// Json is one JSON value: a view of `doc[start..end]`, with surrounding
/// whitespace. It is cheap to copy. Methods parse what they walk and fail
/// with a [`JsonError`] at the first malformed byte.
#[derive(Clone, Copy)]
pub struct Json<'a> {
    doc: &'a [u8],
    start: usize,
    end: usize,
}

/// Kind is the type of a JSON value, from its first byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `{…}`
    Object,
    /// `[…]`
    Array,
    /// `"…"`
    String,
    /// a number
    Number,
    /// `true` or `false`
    Bool,
    /// `null`
    Null,
    /// empty or malformed
    Invalid,
}

/// JsonError is malformed JSON: the byte offset in the document where
/// reading stopped, and what was expected there. It never quotes the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JsonError {
    /// Byte offset into the whole document.
    pub offset: usize,
    /// What was wrong there.
    pub reason: &'static str,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid JSON at byte {}: {}", self.offset, self.reason)
    }
}

impl std::error::Error for JsonError {}

impl From<JsonError> for crate::Error {
    /// A JSON error becomes an *invalid config* error; a store reading a
    /// response should map it to *unavailable* itself.
    fn from(e: JsonError) -> crate::Error {
        crate::Error::invalid_config(e.to_string())
    }
}

impl fmt::Debug for Json<'_> {
    /// Debug shows the value's kind and size, never its text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Json(")?;
        fmt::Debug::fmt(&self.kind(), f)?;
        write!(f, ", {} bytes)", self.end - self.start)
    }
}

impl<'a> Json<'a> {
    /// new views a whole document (not yet checked).
    pub fn new(doc: &'a [u8]) -> Json<'a> {
        Json { doc, start: 0, end: doc.len() }
    }

    /// bytes returns the value's raw text, without surrounding whitespace.
    pub fn bytes(&self) -> &'a [u8] {
        let mut p = Parser { b: self.doc, i: self.start, end: self.end };
        p.ws();
        let s = p.i;
        let mut e = self.end;
        while e > s && matches!(self.doc[e - 1], b' ' | b'\t' | b'\n' | b'\r') {
            e -= 1;
        }
        &self.doc[s..e]
    }

    /// kind returns the value's type, judged by its first byte.
    pub fn kind(&self) -> Kind {
        match self.bytes().first() {
            Some(b'{') => Kind::Object,
            Some(b'[') => Kind::Array,
            Some(b'"') => Kind::String,
            Some(b't') | Some(b'f') => Kind::Bool,
            Some(b'n') => Kind::Null,
            Some(b'-') | Some(b'0'..=b'9') => Kind::Number,
            _ => Kind::Invalid,
        }
    }

    /// validate checks that the view holds exactly one well-formed value.
    pub fn validate(&self) -> Result<(), JsonError> {
        let mut p = self.parser();
        p.value(0)?;
        p.finish()
    }

    /// members calls f with each key (unescaped) and value of an object, in
    /// document order, and checks the whole object. f's error stops the
    /// walk and is returned; a JSON error converts into f's error type.
    pub fn members<E: From<JsonError>>(&self, mut f: impl FnMut(&str, Json<'a>) -> Result<(), E>) -> Result<(), E> {
        let mut p = self.parser();
        p.ws();
        p.expect(b'{', "want an object")?;
        p.ws();
        if p.peek() == Some(b'}') {
            p.i += 1;
            return Ok(p.finish()?);
        }
        loop {
            p.ws();
            let (ks, ke) = p.string()?;
            let key = unescape(self.doc, ks, ke)?;
            p.ws();
            p.expect(b':', "want ':' after a key")?;
            let vs = p.i;
            p.value(1)?;
            f(&key, Json { doc: self.doc, start: vs, end: p.i })?;
            p.ws();
            match p.peek() {
                Some(b',') => p.i += 1,
                Some(b'}') => {
                    p.i += 1;
                    return Ok(p.finish()?);
                }
                _ => return Err(p.err("want ',' or '}' in an object").into()),
            }
        }
    }

    /// get returns the value of key in an object (the first, if the key
    /// repeats), or None. A value that is not an object has no keys.
    pub fn get(&self, key: &str) -> Result<Option<Json<'a>>, JsonError> {
        if self.kind() != Kind::Object {
            self.validate()?;
            return Ok(None);
        }
        let mut found = None;
        self.members(|k, v| {
            if found.is_none() && k == key {
                found = Some(v);
            }
            Ok::<(), JsonError>(())
        })?;
        Ok(found)
    }

    /// lookup walks path (object keys) from this value and returns the
    /// value there, or None when a key is missing or a value on the way is
    /// not an object.
    pub fn lookup(&self, path: &[&str]) -> Result<Option<Json<'a>>, JsonError> {
        let mut v = *self;
        for key in path {
            match v.get(key)? {
                Some(next) => v = next,
                None => return Ok(None),
            }
        }
        Ok(Some(v))
    }

    /// as_str returns the unescaped text of a string value, borrowed when
    /// it holds no escapes; anything else is an error.
    pub fn as_str(&self) -> Result<Cow<'a, str>, JsonError> {
        let mut p = self.parser();
        p.ws();
        let (s, e) = p.string()?;
        p.finish()?;
        unescape(self.doc, s, e)
    }

    fn parser(&self) -> Parser<'a> {
        Parser { b: self.doc, i: self.start, end: self.end }
    }
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
    end: usize,
}

impl Parser<'_> {
    fn err(&self, reason: &'static str) -> JsonError {
        JsonError { offset: self.i, reason }
    }
    fn peek(&self) -> Option<u8> {
        if self.i < self.end {
            Some(self.b[self.i])
        } else {
            None
        }
    }
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.i += 1;
        }
    }
    fn expect(&mut self, c: u8, reason: &'static str) -> Result<(), JsonError> {
        if self.peek() != Some(c) {
            return Err(self.err(reason));
        }
        self.i += 1;
        Ok(())
    }
    fn finish(&mut self) -> Result<(), JsonError> {
        self.ws();
        if self.i != self.end {
            return Err(self.err("unexpected data after the value"));
        }
        Ok(())
    }
    fn literal(&mut self, word: &[u8]) -> Result<(), JsonError> {
        if self.end - self.i < word.len() || &self.b[self.i..self.i + word.len()] != word {
            return Err(self.err("want a value"));
        }
        self.i += word.len();
        Ok(())
    }

    /// value skips one value (and the whitespace before it), checking it.
    fn value(&mut self, depth: usize) -> Result<(), JsonError> {
        if depth > MAX_DEPTH {
            return Err(self.err("nested too deeply"));
        }
        self.ws();
        match self.peek() {
            Some(b'{') => {
                self.i += 1;
                self.ws();
                if self.peek() == Some(b'}') {
                    self.i += 1;
                    return Ok(());
                }
                loop {
                    self.ws();
                    let (s, e) = self.string()?;
                    unescape(self.b, s, e)?;
                    self.ws();
                    self.expect(b':', "want ':' after a key")?;
                    self.value(depth + 1)?;
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {
                            self.i += 1;
                            return Ok(());
                        }
                        _ => return Err(self.err("want ',' or '}' in an object")),
                    }
                }
            }
            Some(b'[') => {
                self.i += 1;
                self.ws();
                if self.peek() == Some(b']') {
                    self.i += 1;
                    return Ok(());
                }
                loop {
                    self.value(depth + 1)?;
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            return Ok(());
                        }
                        _ => return Err(self.err("want ',' or ']' in an array")),
                    }
                }
            }
            Some(b'"') => {
                let (s, e) = self.string()?;
                unescape(self.b, s, e).map(|_| ())
            }
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            Some(b'n') => self.literal(b"null"),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(self.err("want a value")),
        }
    }

    fn digits(&mut self) -> usize {
        let s = self.i;
        while let Some(b'0'..=b'9') = self.peek() {
            self.i += 1;
        }
        self.i - s
    }

    fn number(&mut self) -> Result<(), JsonError> {
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek() {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.err("want a digit")),
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if self.digits() == 0 {
                return Err(self.err("want a digit after '.'"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            if self.digits() == 0 {
                return Err(self.err("want a digit in the exponent"));
            }
        }
        Ok(())
    }

    /// string skips a string and returns the span of its contents (between
    /// the quotes), checking escapes and control characters but not UTF-8
    /// (unescape does).
    fn string(&mut self) -> Result<(usize, usize), JsonError> {
        self.expect(b'"', "want a string")?;
        let s = self.i;
        loop {
            match self.peek() {
                None => return Err(self.err("unterminated string")),
                Some(b'"') => {
                    self.i += 1;
                    return Ok((s, self.i - 1));
                }
                Some(b'\\') => {
                    self.i += 1;
                    match self.peek() {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => self.i += 1,
                        Some(b'u') => {
                            self.i += 1;
                            for _ in 0..4 {
                                match self.peek() {
                                    Some(c) if c.is_ascii_hexdigit() => self.i += 1,
                                    _ => return Err(self.err("want 4 hex digits after \\u")),
                                }
                            }
                        }
                        _ => return Err(self.err("invalid escape")),
                    }
                }
                Some(c) if c < 0x20 => return Err(self.err("control character in a string")),
                Some(_) => self.i += 1,
            }
        }
    }
}

fn hex4(b: &[u8]) -> u32 {
    b.iter().fold(0, |n, &c| n * 16 + (c as char).to_digit(16).unwrap_or(0))
}

/// unescape decodes the contents of a checked string at doc[s..e].
fn unescape(doc: &[u8], s: usize, e: usize) -> Result<Cow<'_, str>, JsonError> {
    let raw = &doc[s..e];
    let bad_utf8 = |at: usize| JsonError { offset: s + at, reason: "invalid UTF-8 in a string" };
    if !raw.contains(&b'\\') {
        return std::str::from_utf8(raw).map(Cow::Borrowed).map_err(|err| bad_utf8(err.valid_up_to()));
    }
    let mut out = String::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let run = raw[i..].iter().position(|&c| c == b'\\').unwrap_or(raw.len() - i);
        out.push_str(std::str::from_utf8(&raw[i..i + run]).map_err(|err| bad_utf8(i + err.valid_up_to()))?);
        i += run;
        if i >= raw.len() {
            break;
        }
        let c = raw[i + 1];
        i += 2;
        let ch = match c {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            _ => {
                // b'u', checked by Parser::string.
                let mut cp = hex4(&raw[i..i + 4]);
                i += 4;
                if (0xD800..0xDC00).contains(&cp) && raw.len() >= i + 6 && raw[i] == b'\\' && raw[i + 1] == b'u' {
                    let lo = hex4(&raw[i + 2..i + 6]);
                    if (0xDC00..0xE000).contains(&lo) {
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                        i += 6;
                    }
                }
                // A lone surrogate becomes U+FFFD, as encoding/json does.
                char::from_u32(cp).unwrap_or('\u{FFFD}')
            }
        };
        out.push(ch);
    }
    Ok(Cow::Owned(out))
}

/// quote returns s as a JSON string, with quotes.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(HEX[(c as usize) >> 4] as char);
                out.push(HEX[(c as usize) & 15] as char);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup() {
        let doc = br#" {"data": {"password": "pw\u00e9", "port": 5432, "tls": {"on": true}}, "a\"b": [1, {"x": null}]} "#;
        let j = Json::new(doc);
        let cases: &[(&[&str], Option<&str>)] = &[
            (&["data", "password"], Some(r#""pw\u00e9""#)),
            (&["data", "port"], Some("5432")),
            (&["data", "tls"], Some(r#"{"on": true}"#)),
            (&["a\"b"], Some(r#"[1, {"x": null}]"#)),
            (&["data", "user"], None),
            (&["data", "port", "x"], None),
            (&[], Some(std::str::from_utf8(&doc[1..doc.len() - 1]).unwrap())),
        ];
        for (path, want) in cases {
            let got = j.lookup(path).unwrap().map(|v| std::str::from_utf8(v.bytes()).unwrap().to_string());
            assert_eq!(got.as_deref(), *want, "lookup({:?})", path);
        }
        assert_eq!(j.lookup(&["data", "password"]).unwrap().unwrap().as_str().unwrap(), "pwé");
    }

    #[test]
    fn strings() {
        let cases: &[(&str, &str)] = &[
            (r#""plain""#, "plain"),
            (r#""a\"\\\/\b\f\n\r\t""#, "a\"\\/\u{8}\u{c}\n\r\t"),
            (r#""\ud83d\ude00 \u20ac""#, "😀 €"),
            (r#""\ud83d x""#, "\u{FFFD} x"),
            (r#""ü€""#, "ü€"),
        ];
        for (doc, want) in cases {
            assert_eq!(Json::new(doc.as_bytes()).as_str().unwrap(), *want, "{}", doc);
            assert_eq!(Json::new(quote(want).as_bytes()).as_str().unwrap(), *want, "quote({:?})", want);
        }
    }

    #[test]
    fn errors_name_an_offset_never_the_text() {
        let cases: &[(&str, usize)] = &[
            (r#"{"store_url": }"#, 14),
            ("s3cr3t-planted", 0),
            (r#"{"a": "x" "b"}"#, 10),
            (r#"{"a": 01}"#, 7),
            (r#"{"a": "\q"}"#, 8),
            ("{\"a\": \"\x01\"}", 7),
            (r#"{"a": 1} x"#, 9),
            (r#"{"a": "unterminated"#, 19),
            (r#"[1, 2"#, 5),
            ("", 0),
        ];
        for (doc, offset) in cases {
            let err = Json::new(doc.as_bytes()).validate().unwrap_err();
            assert_eq!(err.offset, *offset, "{:?}: {}", doc, err);
            assert!(!err.to_string().contains("s3cr3t"), "{}", err);
        }
        let deep = "[".repeat(MAX_DEPTH + 10);
        assert_eq!(Json::new(deep.as_bytes()).validate().unwrap_err().reason, "nested too deeply");
        assert!(Json::new(b"\"\xff\"").as_str().is_err());
    }

    #[test]
    fn members_in_order() {
        let mut seen = Vec::new();
        Json::new(br#"{"b": 1, "a": {"c": 2}, "e\u0301": "x"}"#)
            .members(|k, v| {
                seen.push((k.to_string(), v.kind()));
                Ok::<(), JsonError>(())
            })
            .unwrap();
        assert_eq!(
            seen,
            vec![("b".to_string(), Kind::Number), ("a".to_string(), Kind::Object), ("e\u{301}".to_string(), Kind::String)]
        );
        assert!(Json::new(b"[1]").members(|_, _| Ok::<(), JsonError>(())).is_err());
        assert!(Json::new(b"{}").members(|_, _| Ok::<(), JsonError>(())).is_ok());
    }
}
