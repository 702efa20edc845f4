//! HTTP through the host (ABI.md, `http_request` and `http_response_read`).

use std::borrow::Cow;

use crate::abi;
use crate::error::{HostCode, HostError};

/// HttpRequest is a request the host makes on the module's behalf. Build
/// one with [`HttpRequest::get`] or [`HttpRequest::new`] and send it with
/// [`HttpRequest::send`].
#[derive(Clone, Debug)]
pub struct HttpRequest<'a> {
    method: &'a str,
    url: &'a str,
    header: Cow<'a, [u8]>,
    body: &'a [u8],
}

impl<'a> HttpRequest<'a> {
    /// new starts a request with a method (`GET`, `HEAD`, `POST`, `PUT`,
    /// `PATCH`, `DELETE`, `OPTIONS`) and an absolute URL.
    pub fn new(method: &'a str, url: &'a str) -> HttpRequest<'a> {
        HttpRequest { method, url, header: Cow::Borrowed(&[]), body: &[] }
    }

    /// get starts a GET request.
    pub fn get(url: &'a str) -> HttpRequest<'a> {
        HttpRequest::new("GET", url)
    }

    /// header adds a header line. The host drops `Host`, `Content-Length`
    /// and hop-by-hop headers, and refuses a name or value with a line
    /// break; a value may hold credential placeholders
    /// ([`crate::credential`]).
    pub fn header(mut self, name: &str, value: &str) -> HttpRequest<'a> {
        let h = self.header.to_mut();
        h.reserve(name.len() + value.len() + 3);
        push_header(h, name, value);
        self
    }

    /// header_block sets all header lines at once from a block built with
    /// [`encode_header`], replacing any added before: a store that sends
    /// the same headers with every request encodes them once.
    pub fn header_block(mut self, block: &'a [u8]) -> HttpRequest<'a> {
        self.header = Cow::Borrowed(block);
        self
    }

    /// headers adds several header lines, in order.
    pub fn headers<K: AsRef<str>, V: AsRef<str>>(mut self, h: impl IntoIterator<Item = (K, V)>) -> HttpRequest<'a> {
        for (k, v) in h {
            self = self.header(k.as_ref(), v.as_ref());
        }
        self
    }

    /// body sets the request's body.
    pub fn body(mut self, body: &'a [u8]) -> HttpRequest<'a> {
        self.body = body;
        self
    }

    /// send asks the host to make the request and waits for the answer.
    /// The host checks the URL (and every redirect it follows) against the
    /// store's allow list, refuses private addresses unless the operator
    /// allowed them, substitutes credential placeholders where they are
    /// bound, and caps sizes and counts. A refusal is a [`HostError`].
    pub fn send(&self) -> Result<HttpResponse, HostError> {
        let fail = |code: i32, what: &str| HostError {
            op: format!("http {} {}{}", self.method, self.url, what),
            code: HostCode::from_status(code),
        };
        let status = abi::request(self.method, self.url, &self.header, self.body);
        if status < 0 {
            return Err(fail(status, ""));
        }
        let mut header = Vec::new();
        abi::read_response(abi::PART_HEADER, &mut header).map_err(|c| fail(c, ": reading the response"))?;
        let mut body = Vec::new();
        abi::read_response(abi::PART_BODY, &mut body).map_err(|c| fail(c, ": reading the response"))?;
        Ok(HttpResponse { status: status as u16, body, header })
    }
}

fn push_header(h: &mut Vec<u8>, name: &str, value: &str) {
    h.extend_from_slice(name.as_bytes());
    h.extend_from_slice(b": ");
    h.extend_from_slice(value.as_bytes());
    h.push(b'\n');
}

/// encode_header returns header lines in the host's format (`Name:
/// value\n` each), for [`HttpRequest::header_block`].
pub fn encode_header<K: AsRef<str>, V: AsRef<str>>(h: impl IntoIterator<Item = (K, V)>) -> Vec<u8> {
    let mut out = Vec::new();
    for (k, v) in h {
        push_header(&mut out, k.as_ref(), v.as_ref());
    }
    out
}

/// get sends a GET request with the given header lines.
pub fn get(url: &str, headers: &[(&str, &str)]) -> Result<HttpResponse, HostError> {
    HttpRequest::get(url).headers(headers.iter().copied()).send()
}

/// HttpResponse is what the host received, after any redirects it
/// followed. Credential values in it were replaced by the host with
/// `[REDACTED:NAME]`.
pub struct HttpResponse {
    /// The final HTTP status (100–599).
    pub status: u16,
    /// The response body.
    pub body: Vec<u8>,
    /// The raw header block, decoded on demand: most stores look at one
    /// header or none, and every loop iteration in a guest costs a check
    /// of the call's deadline.
    header: Vec<u8>,
}

impl HttpResponse {
    /// header returns the first value of the response header name,
    /// compared without regard to letter case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v)
    }

    /// headers returns the header lines in the host's order (sorted by
    /// canonical name, one line per value).
    pub fn headers(&self) -> impl Iterator<Item = (&str, &str)> {
        // The host writes header values without control characters, as
        // text; a value that is not UTF-8 makes the block unreadable here.
        std::str::from_utf8(&self.header).unwrap_or("").lines().filter_map(|line| {
            let (n, v) = line.split_once(':')?;
            Some((n.trim(), v.trim()))
        })
    }

    /// into_body returns the body, dropping the rest.
    pub fn into_body(mut self) -> Vec<u8> {
        std::mem::take(&mut self.body)
    }
}

impl Drop for HttpResponse {
    /// drop overwrites the body and the header block: they may hold a
    /// secret, and a pooled instance's freed memory is still there for
    /// the next call to read.
    fn drop(&mut self) {
        crate::wipe(&mut self.body);
        crate::wipe(&mut self.header);
    }
}

impl std::fmt::Debug for HttpResponse {
    /// Debug shows the status and sizes, never the body, which may be a
    /// secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HttpResponse {{ status: {}, body: {} bytes }}", self.status, self.body.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_lines() {
        assert_eq!(encode_header([("Authorization", "Bearer x"), ("Accept", "*/*")]), b"Authorization: Bearer x\nAccept: */*\n");
        let r = HttpRequest::get("https://s").header("A", "1").header("B", "2");
        assert_eq!(&*r.header, b"A: 1\nB: 2\n");
        let block = encode_header([("C", "3")]);
        assert_eq!(&*HttpRequest::get("https://s").header("A", "1").header_block(&block).header, b"C: 3\n");
        let resp = HttpResponse { status: 200, body: Vec::new(), header: b"Content-Type: text/plain\nX-Id: 7\n".to_vec() };
        assert_eq!(resp.header("content-type"), Some("text/plain"));
        assert_eq!(resp.header("x-id"), Some("7"));
        assert_eq!(resp.header("missing"), None);
        assert_eq!(resp.headers().count(), 2);
    }
}
