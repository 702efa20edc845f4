//! Credential placeholders (ABI.md, "Credentials"): the module writes
//! `{{latchkey.credential:NAME}}` where it needs an operator-declared
//! credential, and the host substitutes the value on the way out, only
//! towards the hosts the credential is bound to. The module never holds
//! the value.

fn placeholder(name: &str, filter: &str) -> String {
    let mut s = String::with_capacity(name.len() + filter.len() + 26);
    s.push_str("{{latchkey.credential:");
    s.push_str(name);
    s.push_str(filter);
    s.push_str("}}");
    s
}

/// credential returns the placeholder of credential name, replaced by its
/// value as is (a header value such as `Bearer {{…}}`). name is 1–64 ASCII
/// letters, digits, `_` or `-`; the host refuses (status -8) anything else
/// or an unknown credential when the request is sent.
pub fn credential(name: &str) -> String {
    placeholder(name, "")
}

/// credential_json is credential, escaped for the inside of a JSON string.
pub fn credential_json(name: &str) -> String {
    placeholder(name, "|json")
}

/// credential_url is credential, query-escaped (form bodies).
pub fn credential_url(name: &str) -> String {
    placeholder(name, "|url")
}

/// credential_base64 is credential in standard base64 (after `Basic `).
pub fn credential_base64(name: &str) -> String {
    placeholder(name, "|base64")
}

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders() {
        assert_eq!(super::credential("api_token"), "{{latchkey.credential:api_token}}");
        assert_eq!(super::credential_json("t"), "{{latchkey.credential:t|json}}");
        assert_eq!(super::credential_url("t"), "{{latchkey.credential:t|url}}");
        assert_eq!(super::credential_base64("t"), "{{latchkey.credential:t|base64}}");
    }
}
