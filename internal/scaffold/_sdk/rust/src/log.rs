//! Logging through the agent's logger (ABI.md, `log`).

use crate::abi;

/// Level is a `log/slog` level of the agent's logger; other values are
/// allowed with [`Level::Other`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// -4
    Debug,
    /// 0
    Info,
    /// 4
    Warn,
    /// 8
    Error,
    /// any other slog level
    Other(i32),
}

impl Level {
    fn value(self) -> i32 {
        match self {
            Level::Debug => -4,
            Level::Info => 0,
            Level::Warn => 4,
            Level::Error => 8,
            Level::Other(n) => n,
        }
    }
}

/// log writes msg to the agent's log at level, under the module's name.
/// The host keeps a capped amount per call and blanks out the secret the
/// call returns; never log a secret anyway.
pub fn log(level: Level, msg: &str) {
    // Natively (tests) there is no host to log to; dropping is right.
    let _ = abi::write_log(level.value(), msg);
}

/// debug logs at debug level.
pub fn debug(msg: &str) {
    log(Level::Debug, msg)
}

/// info logs at info level.
pub fn info(msg: &str) {
    log(Level::Info, msg)
}

/// warn logs at warn level.
pub fn warn(msg: &str) {
    log(Level::Warn, msg)
}
