//! Typed errors: what a store reports to the agent ([`Error`]), and what
//! the host refused ([`HostError`]).

use std::fmt;

/// Code is the kind of a store's error, which the agent maps to its own
/// (ABI.md, `error_set`). A workflow's `optional` and `default` apply to
/// [`Code::NotFound`] only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    /// The secret, or the version asked, does not exist.
    NotFound = 1,
    /// The backend refused the store's identity.
    PermissionDenied = 2,
    /// The backend could not be reached, or failed.
    Unavailable = 3,
    /// The store's config, or the request, is malformed.
    InvalidConfig = 4,
    /// Policy forbids the request.
    NotAllowed = 5,
}

impl Code {
    fn as_str(self) -> &'static str {
        match self {
            Code::NotFound => "not found",
            Code::PermissionDenied => "permission denied",
            Code::Unavailable => "unavailable",
            Code::InvalidConfig => "invalid config",
            Code::NotAllowed => "not allowed",
        }
    }
}

/// Error is a store's failure: a [`Code`] and a message shown to operators
/// and logged. The message must never contain a secret value; name the
/// secret, the field or the config key instead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// The kind of failure.
    pub code: Code,
    /// What failed, in words; never a secret value.
    pub message: String,
}

impl Error {
    /// new returns an error of the given code.
    pub fn new(code: Code, message: impl Into<String>) -> Error {
        Error { code, message: message.into() }
    }
    /// not_found: the secret or version does not exist.
    pub fn not_found(message: impl Into<String>) -> Error {
        Error::new(Code::NotFound, message)
    }
    /// permission_denied: the backend refused the store's identity.
    pub fn permission_denied(message: impl Into<String>) -> Error {
        Error::new(Code::PermissionDenied, message)
    }
    /// unavailable: the backend could not be reached or failed.
    pub fn unavailable(message: impl Into<String>) -> Error {
        Error::new(Code::Unavailable, message)
    }
    /// invalid_config: the store's config or the request is malformed.
    pub fn invalid_config(message: impl Into<String>) -> Error {
        Error::new(Code::InvalidConfig, message)
    }
    /// not_allowed: policy forbids the request.
    pub fn not_allowed(message: impl Into<String>) -> Error {
        Error::new(Code::NotAllowed, message)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code.as_str())?;
        f.write_str(": ")?;
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// HostCode is a host function's negative status (ABI.md, "Status codes").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostCode {
    /// -1: a pointer/length pair lies outside linear memory.
    Memory,
    /// -2: a malformed argument (unknown kind, bad method, URL or header).
    Argument,
    /// -3: a request, response or result exceeds the host's cap.
    TooLarge,
    /// -4: the network policy refused the request.
    NotAllowed,
    /// -5: the call's budget (requests per call, redirects) is spent.
    Limit,
    /// -6: the request failed: connection refused, TLS, time-out.
    Network,
    /// -7: called out of order, or outside a call (natively, always).
    State,
    /// -8: a credential placeholder was refused.
    Credential,
    /// A status this SDK does not know (a newer host).
    Other(i32),
}

impl HostCode {
    /// from_status maps a negative status to its code.
    pub fn from_status(status: i32) -> HostCode {
        match status {
            -1 => HostCode::Memory,
            -2 => HostCode::Argument,
            -3 => HostCode::TooLarge,
            -4 => HostCode::NotAllowed,
            -5 => HostCode::Limit,
            -6 => HostCode::Network,
            -7 => HostCode::State,
            -8 => HostCode::Credential,
            n => HostCode::Other(n),
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            HostCode::Memory => "memory out of range",
            HostCode::Argument => "invalid argument",
            HostCode::TooLarge => "too large for the host's limits",
            HostCode::NotAllowed => "refused by the host's network policy",
            HostCode::Limit => "the host's per-call budget is spent",
            HostCode::Network => "network failure",
            HostCode::State => "called out of order",
            HostCode::Credential => "credential refused",
            HostCode::Other(_) => "unknown host status",
        }
    }
}

/// HostError is a refusal or failure reported by a host function, with the
/// operation that failed (`http GET https://example.com/x`). The host logs
/// the reason; the module sees only the code. Converting it into an
/// [`Error`] (as `?` does) makes a policy or credential refusal *not
/// allowed* and anything else *unavailable*.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostError {
    /// The SDK operation that failed.
    pub op: String,
    /// The host's status.
    pub code: HostCode,
}

impl fmt::Display for HostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.op)?;
        f.write_str(": ")?;
        f.write_str(self.code.as_str())?;
        if let HostCode::Other(n) = self.code {
            write!(f, " {}", n)?;
        }
        Ok(())
    }
}

impl std::error::Error for HostError {}

impl From<HostError> for Error {
    fn from(e: HostError) -> Error {
        let code = match e.code {
            HostCode::NotAllowed | HostCode::Credential => Code::NotAllowed,
            _ => Code::Unavailable,
        };
        Error::new(code, e.to_string())
    }
}
