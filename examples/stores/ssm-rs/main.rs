//! ssm-rs is a Latchkey custom store in Rust, compiled to WebAssembly,
//! that reads parameters from AWS Systems Manager Parameter Store with the
//! JSON protocol:
//!
//! ```text
//! POST {store_url}/                       (https://ssm.REGION.amazonaws.com)
//! Content-Type: application/x-amz-json-1.1
//! X-Amz-Target: AmazonSSM.GetParameter
//! {"Name":"/app/db/password","WithDecryption":true}
//! ```
//!
//! The module sends the request unsigned: the agent signs it with SigV4
//! from its own AWS identity (an `aws_sigv4` credential bound to the
//! endpoint), so the module never holds a key, a session token or a
//! signature's inputs. Its configuration is described in README.md;
//! `build.sh` next to it is the command that builds it.

use latchkey_guest::{export_store, http, quote, Error, Json, Request, Store};

struct Ssm {
    /// The Parameter Store endpoint, e.g. https://ssm.eu-west-1.amazonaws.com.
    store_url: String,
    /// Whether SecureString parameters are decrypted (default true).
    with_decryption: bool,
    /// The headers of every request, encoded once.
    header_block: Vec<u8>,
}

export_store!(Ssm);

latchkey_guest::capabilities!(r#"{"version":1,"hosts":["config:store_url"],"config":["store_url","with_decryption"]}"#);

impl Store for Ssm {
    /// new reads the config; unknown keys are errors. Messages name keys,
    /// never values.
    fn new(config: Json) -> Result<Self, Error> {
        let mut c = Ssm { store_url: String::new(), with_decryption: true, header_block: Vec::new() };
        config.members(|key, v| {
            match key {
                "store_url" => {
                    c.store_url = v.as_str().map_err(|_| Error::invalid_config("\"store_url\": want a string"))?.into_owned()
                }
                "with_decryption" => match v.bytes() {
                    b"true" => c.with_decryption = true,
                    b"false" => c.with_decryption = false,
                    _ => return Err(Error::invalid_config("\"with_decryption\": want true or false")),
                },
                _ => return Err(Error::invalid_config(format!("unknown key {}", quote(key)))),
            }
            Ok(())
        })?;
        if c.store_url.is_empty() {
            return Err(Error::invalid_config("\"store_url\" is required: the SSM endpoint, https://ssm.REGION.amazonaws.com"));
        }
        while c.store_url.ends_with('/') {
            c.store_url.pop();
        }
        c.store_url.push('/');
        c.header_block = http::encode_header([("Content-Type", "application/x-amz-json-1.1")]);
        Ok(c)
    }

    /// get reads one parameter by its name or hierarchical path
    /// (`/app/db/password`; a name with a slash but no leading one gets
    /// one), or a version or label of it (`name:3`, `name:prod`, from the
    /// request's version), and returns its Value, decrypted.
    fn get(&mut self, req: &Request) -> Result<Vec<u8>, Error> {
        if req.name.is_empty() {
            return Err(Error::invalid_config("no parameter name: name one in the reference, e.g. secret://ssm//app/db/password"));
        }
        let name = if req.name.starts_with('/') || !req.name.contains('/') { req.name.clone() } else { format!("/{}", req.name) };
        let selected = if req.version.is_empty() { name.clone() } else { format!("{}:{}", name, req.version) };
        let body = format!("{{\"Name\":{},\"WithDecryption\":{}}}", quote(&selected), self.with_decryption);
        let resp = self.call("AmazonSSM.GetParameter", body.as_bytes())?;
        if resp.status != 200 {
            return Err(api_error(&resp.body, resp.status, &selected));
        }
        let doc = Json::new(&resp.body);
        match doc.lookup(&["Parameter", "Value"]) {
            Ok(Some(v)) => match v.as_str() {
                Ok(s) => {
                    if let Ok(Some(ver)) = doc.lookup(&["Parameter", "Version"]) {
                        let _ = latchkey_guest::set_result_version(&String::from_utf8_lossy(ver.bytes()));
                    }
                    Ok(s.into_owned().into_bytes())
                }
                Err(_) => Err(Error::unavailable(format!("parameter {}: Parameter.Value is not a string", quote(&selected)))),
            },
            _ => Err(Error::unavailable(format!("parameter {}: the answer has no Parameter.Value", quote(&selected)))),
        }
    }
}

impl Ssm {
    fn call(&self, target: &str, body: &[u8]) -> Result<http::HttpResponse, Error> {
        let resp = http::HttpRequest::new("POST", &self.store_url)
            .header_block(&self.header_block)
            .header("X-Amz-Target", target)
            .body(body)
            .send()?;
        Ok(resp)
    }
}

/// api_error maps an AWS JSON-protocol error (`__type`, `message`) to the
/// SDK's kinds. The message names the parameter and the error type; AWS's
/// message is quoted, never a value.
fn api_error(body: &[u8], status: u16, name: &str) -> Error {
    let doc = Json::new(body);
    let kind = doc
        .get("__type")
        .ok()
        .flatten()
        .and_then(|t| t.as_str().ok().map(|s| s.into_owned()))
        .unwrap_or_default();
    // __type may be "com.amazonaws.ssm#ParameterNotFound".
    let short = kind.rsplit('#').next().unwrap_or("").to_string();
    let what = format!("parameter {}: {} (HTTP {})", quote(name), if short.is_empty() { "error" } else { &short }, status);
    match short.as_str() {
        "ParameterNotFound" | "ParameterVersionNotFound" => Error::not_found(what),
        "AccessDeniedException" | "UnrecognizedClientException" | "InvalidSignatureException" | "MissingAuthenticationTokenException"
        | "IncompleteSignatureException" | "ExpiredTokenException"
        | "InvalidKeyId" => Error::permission_denied(what),
        "ValidationException" => Error::invalid_config(what),
        _ if status == 403 => Error::permission_denied(what),
        _ => Error::unavailable(what),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use latchkey_guest::Code;

    #[test]
    fn errors_map() {
        let cases: &[(&str, u16, Code)] = &[
            (r#"{"__type":"ParameterNotFound","message":"x"}"#, 400, Code::NotFound),
            (r#"{"__type":"com.amazonaws.ssm#ParameterVersionNotFound"}"#, 400, Code::NotFound),
            (r#"{"__type":"AccessDeniedException","Message":"User: arn:... is not authorized"}"#, 400, Code::PermissionDenied),
            (r#"{"__type":"InvalidSignatureException"}"#, 400, Code::PermissionDenied),
            (r#"{"__type":"MissingAuthenticationTokenException"}"#, 400, Code::PermissionDenied),
            (r#"{"__type":"ThrottlingException"}"#, 400, Code::Unavailable),
            ("not json", 500, Code::Unavailable),
            ("", 403, Code::PermissionDenied),
        ];
        for (body, status, code) in cases {
            let e = api_error(body.as_bytes(), *status, "/app/db");
            assert_eq!(e.code, *code, "{}", body);
            assert!(e.message.contains("\"/app/db\""), "{}", e);
        }
    }

    #[test]
    fn config() {
        let c = Ssm::new(Json::new(br#"{"store_url":"https://ssm.eu-west-1.amazonaws.com","with_decryption":false}"#)).unwrap();
        assert_eq!(c.store_url, "https://ssm.eu-west-1.amazonaws.com/");
        assert!(!c.with_decryption);
        for (doc, want) in [
            (r#"{}"#, "\"store_url\" is required"),
            (r#"{"store_url":"https://s","x":"s3cr3t"}"#, "unknown key \"x\""),
            (r#"{"store_url":"https://s","with_decryption":"yes"}"#, "want true or false"),
        ] {
            let e = Ssm::new(Json::new(doc.as_bytes())).err().unwrap();
            assert_eq!(e.code, Code::InvalidConfig);
            assert!(e.message.contains(want), "{}", e);
            assert!(!e.message.contains("s3cr3t"));
        }
    }
}
