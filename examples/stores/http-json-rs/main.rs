//! http-json-rs is a Latchkey custom store in Rust, compiled to
//! WebAssembly: the same store as `examples/stores/http-json` (Go). It
//! fetches a secret with an HTTP GET and optionally selects one field of
//! the JSON document it receives. Its configuration is described in
//! README.md; `build.sh` next to it is the command that builds it.

use latchkey_guest::{export_store, http, quote, Error, Json, Kind, Request, Store};

struct HttpJson {
    /// Where secrets live. `{name}` and `{version}` are replaced by the
    /// path-escaped secret name and version; without `{name}` the name is
    /// appended as a path segment.
    store_url: String,
    /// The secret fetched when the request names none.
    secret_name: String,
    /// Sent with every request, in config order.
    header: Vec<(String, String)>,
    /// header, encoded once for the host.
    header_block: Vec<u8>,
    /// A field of the JSON response to return, as a path of keys.
    field: Vec<String>,
    /// The query parameter carrying the version when store_url has no
    /// `{version}`.
    version_param: String,
    /// The URL of the last secret fetched (name, version, URL): a store is
    /// asked for the same few secrets again and again.
    last: Option<(String, String, String)>,
}

export_store!(HttpJson);

// What the module will do, for `latchkey module inspect` and the agent's
// load-time check: it calls only the host of its store_url, and needs no
// credential of its own (a header may hold the operator's placeholders).
latchkey_guest::capabilities!(
    r#"{"version":1,"hosts":["config:store_url"],"config":["store_url","secret_name","header","field","version_param"]}"#
);

impl Store for HttpJson {
    /// new reads the store's config. Unknown keys are errors, so that a
    /// misspelt key does not go unnoticed. Messages name keys, never values.
    fn new(config: Json) -> Result<Self, Error> {
        let mut c = HttpJson {
            store_url: String::new(),
            secret_name: String::new(),
            header: Vec::new(),
            header_block: Vec::new(),
            field: Vec::new(),
            version_param: "version".to_string(),
            last: None,
        };
        config.members(|key, v| {
            let string = |v: Json| match v.as_str() {
                Ok(s) => Ok(s.into_owned()),
                Err(_) => Err(Error::invalid_config(format!("{}: want a string", quote(key)))),
            };
            match key {
                "store_url" => c.store_url = string(v)?,
                "secret_name" => c.secret_name = string(v)?,
                "version_param" => c.version_param = string(v)?,
                "field" => {
                    let f = string(v)?;
                    c.field = if f.is_empty() { Vec::new() } else { f.split('.').map(str::to_string).collect() };
                }
                "header" => {
                    if v.kind() != Kind::Object {
                        return Err(Error::invalid_config("\"header\": want an object"));
                    }
                    v.members(|name, v| match v.as_str() {
                        Ok(s) => {
                            c.header.push((name.to_string(), s.into_owned()));
                            Ok(())
                        }
                        Err(_) => Err(Error::invalid_config(format!("\"header\": the value of {} is not a string", quote(name)))),
                    })?;
                }
                _ => return Err(Error::invalid_config(format!("unknown key {}", quote(key)))),
            }
            Ok(())
        })?;
        if c.store_url.is_empty() {
            return Err(Error::invalid_config("\"store_url\" is required"));
        }
        c.header_block = http::encode_header(c.header.iter().map(|(k, v)| (k, v)));
        Ok(c)
    }

    fn get(&mut self, req: &Request) -> Result<Vec<u8>, Error> {
        let name = if req.name.is_empty() { &self.secret_name } else { &req.name };
        if name.is_empty() {
            return Err(Error::invalid_config("no secret name: the request names none and \"secret_name\" is not set"));
        }
        let url = secret_url(&mut self.last, &self.store_url, &self.version_param, name, &req.version);
        let resp = http::HttpRequest::get(url).header_block(&self.header_block).send()?;
        match resp.status {
            404 => return Err(Error::not_found(format!("secret {} (HTTP 404)", quote(name)))),
            401 | 403 => return Err(Error::permission_denied(format!("secret {}: HTTP {}", quote(name), resp.status))),
            200..=299 => {}
            s => return Err(Error::unavailable(format!("secret {}: HTTP {}", quote(name), s))),
        }
        if self.field.is_empty() {
            return Ok(resp.into_body());
        }
        select_field(&resp.body, &self.field, name) // resp overwrites its body when dropped
    }
}

/// secret_url returns the URL of secret name at version, from last when it
/// is the URL of the same name and version, and remembers it there. The
/// host parses and checks it; a malformed one fails as a host refusal.
fn secret_url<'a>(
    last: &'a mut Option<(String, String, String)>,
    store_url: &str,
    version_param: &str,
    name: &str,
    version: &str,
) -> &'a str {
    let hit = matches!(last, Some((n, v, _)) if n == name && v == version);
    if !hit {
        let mut u = store_url.to_string();
        if u.contains("{name}") {
            u = u.replace("{name}", &escape(name, false));
        } else {
            if u.ends_with('/') {
                u.pop();
            }
            u.push('/');
            u.push_str(&escape(name, false));
        }
        if u.contains("{version}") {
            u = u.replace("{version}", &escape(version, false));
        } else if !version.is_empty() {
            u.push(if u.contains('?') { '&' } else { '?' });
            u.push_str(&escape(version_param, true));
            u.push('=');
            u.push_str(&escape(version, true));
        }
        *last = Some((name.to_string(), version.to_string(), u));
    }
    &last.as_ref().unwrap().2
}

/// escape escapes s for a URL path segment, or for a query name or value,
/// as Go's url.PathEscape and url.QueryEscape do.
fn escape(s: &str, query: bool) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len());
    for &c in s.as_bytes() {
        let keep = c.is_ascii_alphanumeric() || b"-_.~".contains(&c) || (!query && b"$&+:=@".contains(&c));
        if keep {
            out.push(c as char);
        } else if query && c == b' ' {
            out.push('+');
        } else {
            out.push('%');
            out.push(HEX[(c >> 4) as usize] as char);
            out.push(HEX[(c & 15) as usize] as char);
        }
    }
    out
}

// Messages quote names with the SDK's JSON quote rather than {:?}: Debug
// formatting of strings pulls Unicode tables into the module (about a
// sixth of its size), and every byte is validated before the first fetch.

/// select_field walks path into a JSON document: a string is returned
/// unquoted, anything else as JSON. Messages name keys, never values.
fn select_field(doc: &[u8], path: &[String], name: &str) -> Result<Vec<u8>, Error> {
    let field = path.join(".");
    let keys: Vec<&str> = path.iter().map(String::as_str).collect();
    match Json::new(doc).lookup(&keys) {
        Err(_) => Err(Error::unavailable(format!(
            "secret {}: the response is not JSON, so field {} cannot be selected",
            quote(name),
            quote(&field)
        ))),
        Ok(None) => Err(Error::not_found(format!("secret {}: field {} not in the response", quote(name), quote(&field)))),
        Ok(Some(v)) => match v.as_str() {
            Ok(s) => Ok(s.into_owned().into_bytes()),
            Err(_) => Ok(v.bytes().to_vec()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use latchkey_guest::Code;

    fn parse(doc: &str) -> Result<HttpJson, Error> {
        HttpJson::new(Json::new(doc.as_bytes()))
    }

    #[test]
    fn parse_config() {
        let c = parse(
            r#"{"store_url": "https://s/{name}", "secret_name": "db", "header": {"Authorization": "Bearer x"},
                "field": "data.password", "version_param": "v"}"#,
        )
        .unwrap();
        assert_eq!(c.store_url, "https://s/{name}");
        assert_eq!(c.secret_name, "db");
        assert_eq!(c.header, vec![("Authorization".to_string(), "Bearer x".to_string())]);
        assert_eq!(c.field, vec!["data", "password"]);
        assert_eq!(c.version_param, "v");
        assert_eq!(parse(r#"{"store_url": "https://s/v1"}"#).unwrap().version_param, "version");

        let errors: &[(&str, &str, &str)] = &[
            ("no store_url", r#"{"secret_name": "db"}"#, "\"store_url\" is required"),
            ("unknown key", r#"{"store_url": "https://s", "stor_url": "x"}"#, "unknown key \"stor_url\""),
            ("not a string", r#"{"store_url": 7}"#, "\"store_url\": want a string"),
            ("header value", r#"{"store_url": "https://s", "header": {"X-N": 1}}"#, "value of \"X-N\" is not a string"),
            ("not JSON", r#"{"store_url": }"#, "invalid JSON at byte 14"),
            ("planted", r#"{"store_url": "https://s", "x": "s3cr3t-planted"}"#, "unknown key \"x\""),
        ];
        for (case, doc, want) in errors {
            let err = parse(doc).err().unwrap_or_else(|| panic!("{}: no error", case));
            assert_eq!(err.code, Code::InvalidConfig, "{}", case);
            assert!(err.message.contains(want), "{}: {}", case, err);
            assert!(!err.message.contains("s3cr3t"), "{}: {}", case, err);
        }
    }

    #[test]
    fn secret_urls() {
        let cases: &[(&str, &str, &str, &str, &str)] = &[
            ("appended", "https://s/v1/", "db", "", "https://s/v1/db"),
            ("escaped", "https://s/v1", "a/b c?", "", "https://s/v1/a%2Fb%20c%3F"),
            ("template", "https://s/{name}/data", "db", "", "https://s/db/data"),
            ("version param", "https://s/v1", "db", "3 4", "https://s/v1/db?version=3+4"),
            ("version param after a query", "https://s/v1?x=1", "db", "3", "https://s/v1?x=1/db&version=3"),
            ("version template", "https://s/{name}@{version}", "db", "7", "https://s/db@7"),
        ];
        for (case, store_url, secret, version, want) in cases {
            let mut c = parse(&format!("{{\"store_url\": {}}}", latchkey_guest::quote(store_url))).unwrap();
            for _ in 0..2 {
                assert_eq!(super::secret_url(&mut c.last, &c.store_url, &c.version_param, secret, version), *want, "{}", case);
            }
            assert!(super::secret_url(&mut c.last, &c.store_url, &c.version_param, "other", "").contains("other"), "{}", case);
        }
    }

    #[test]
    fn escape_like_go() {
        // Expected values from Go's url.PathEscape and url.QueryEscape.
        let cases: &[(&str, &str, &str)] = &[
            ("db", "db", "db"),
            ("a/b c?", "a%2Fb%20c%3F", "a%2Fb+c%3F"),
            ("ü€", "%C3%BC%E2%82%AC", "%C3%BC%E2%82%AC"),
            ("$&+,/:;=?@[]%", "$&+%2C%2F:%3B=%3F@%5B%5D%25", "%24%26%2B%2C%2F%3A%3B%3D%3F%40%5B%5D%25"),
            ("", "", ""),
        ];
        for (s, path, query) in cases {
            assert_eq!(escape(s, false), *path, "path {:?}", s);
            assert_eq!(escape(s, true), *query, "query {:?}", s);
        }
    }

    #[test]
    fn select() {
        let doc = br#"{"data": {"password": "pw\u00e9", "port": 5432, "tls": {"on": true}}}"#;
        let path = |p: &str| p.split('.').map(str::to_string).collect::<Vec<_>>();
        for (p, want) in [("data.password", "pwé"), ("data.port", "5432"), ("data.tls", r#"{"on": true}"#)] {
            assert_eq!(select_field(doc, &path(p), "db").unwrap(), want.as_bytes(), "{}", p);
        }
        for p in ["data.user", "data.port.x"] {
            let err = select_field(doc, &path(p), "db").unwrap_err();
            assert_eq!(err.code, Code::NotFound, "{}", p);
            assert!(!err.message.contains("pw"), "{}", err);
        }
        let err = select_field(b"s3cr3t-planted", &path("a"), "db").unwrap_err();
        assert_eq!(err.code, Code::Unavailable);
        assert!(!err.message.contains("s3cr3t"), "{}", err);
    }
}
