//! latchkey_guest is the Rust guest SDK for Latchkey custom stores: a store
//! written in Rust, compiled to a WebAssembly reactor module for
//! `wasm32-wasi`, and run by the Latchkey agent inside its sandbox. It is
//! written against `guest-sdk/ABI.md` alone and depends on nothing but
//! `std`.
//!
//! A store implements [`Store`] and exports it with [`export_store!`]:
//!
//! ```ignore
//! use latchkey_guest::{credential, export_store, http, Error, Json, Request, Store};
//!
//! struct Vault { url: String }
//!
//! impl Store for Vault {
//!     fn new(config: Json) -> Result<Self, Error> {
//!         let url = config.get("store_url")?.ok_or_else(|| Error::invalid_config("\"store_url\" is required"))?;
//!         Ok(Vault { url: url.as_str()?.into_owned() })
//!     }
//!     fn get(&mut self, req: &Request) -> Result<Vec<u8>, Error> {
//!         let url = format!("{}/{}", self.url, req.name);
//!         let bearer = format!("Bearer {}", credential("api_token"));
//!         let resp = http::get(&url, &[("Authorization", &bearer)])?; // a refusal is "not allowed"
//!         match resp.status {
//!             200 => Ok(resp.into_body()),
//!             404 => Err(Error::not_found(format!("secret {:?}", req.name))),
//!             s => Err(Error::unavailable(format!("HTTP {}", s))),
//!         }
//!     }
//! }
//!
//! export_store!(Vault);
//! ```
//!
//! built with Debian's `rustc` (packages `rustc` and
//! `libstd-rust-dev-wasm32`) and no cargo:
//!
//! ```text
//! rustc --edition 2021 --crate-type rlib --crate-name latchkey_guest --target wasm32-wasi \
//!       -C opt-level=s -C target-feature=+bulk-memory -o liblatchkey_guest.rlib guest-sdk/rust/src/lib.rs
//! rustc --edition 2021 --crate-type cdylib --target wasm32-wasi -C opt-level=s -C target-feature=+bulk-memory -C lto \
//!       -C strip=symbols --extern latchkey_guest=liblatchkey_guest.rlib -o store.wasm main.rs
//! ```
//!
//! # Notes
//!
//! - [`Store::new`] runs once per instance, at its first call, with the
//!   store's JSON config; [`Store::get`] runs once per fetch, one call at a
//!   time per instance, so `&mut self` needs no locking. The host may run
//!   several instances at once and may discard any at any time; it always
//!   discards one after a trap.
//! - A pooled instance keeps its memory between fetches (and between the
//!   workflows the agent serves): anything the store keeps in `self` or in
//!   freed heap is there for the next call. The SDK overwrites the buffers
//!   it owns (the request, the response it read, the result) after each
//!   call; the store should [`wipe`] its own copies of a secret. Operators
//!   who want no state at all set `isolation: per_call`.
//! - A panic traps (the target aborts on panic): the host discards the
//!   instance and reports the store unavailable. The SDK's panic hook logs
//!   where it happened and never the panic's message, which may hold data.
//! - Never put a secret value in an [`Error`] message or a log line: the
//!   agent shows and logs both.

mod abi;
mod credential;
mod error;
pub mod http;
mod json;
mod log;

pub use credential::{credential, credential_base64, credential_json, credential_url};
pub use error::{Code, Error, HostCode, HostError};
pub use json::{quote, Json, JsonError, Kind};
pub use log::{debug, info, log, warn, Level};

/// Request names the secret a call fetches.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Request {
    /// The secret's name; empty for the store's default secret.
    pub name: String,
    /// The JSON key path the workflow asked for, dot-joined. For
    /// information only: return the whole secret, the agent selects keys.
    pub key: String,
    /// The version asked for; empty for the current one.
    pub version: String,
}

/// Store is a custom secret store. The host creates one per instance with
/// [`Store::new`] and calls [`Store::get`] once per fetch.
pub trait Store: Sized {
    /// new builds the store from its config, the JSON object of the
    /// store's `config` setting (`{}` when none). It runs once per
    /// instance; its error fails every call of the instance.
    fn new(config: Json<'_>) -> Result<Self, Error>;

    /// get returns the whole secret req names (the agent does JSON key
    /// look-ups itself), or a typed error.
    fn get(&mut self, req: &Request) -> Result<Vec<u8>, Error>;
}

/// Versioned is a [`Store`] that can tell a secret's current version
/// without fetching its value (ABI 1.1, `latchkey_version`): Vault KV v2
/// metadata, an etcd `mod_revision`, an ETag. Export it with
/// `export_store!(T, versioned)`; the agent's cache and `--watch` then ask
/// for the version, and fetch only when it changed.
pub trait Versioned: Store {
    /// current_version returns an opaque version of 1 to 256 bytes of
    /// printable ASCII (`!` to `~`), holding no credential, that changes whenever the value `get` would return changes,
    /// in the terms `get` records with [`set_result_version`]; a missing
    /// secret is [`Error::not_found`]. It never fetches the value.
    fn current_version(&mut self, req: &Request) -> Result<String, Error>;
}

/// set_result_version records, from [`Store::get`], the version of the
/// value it returns, in the terms [`Versioned::current_version`] reports
/// (ABI 1.1, `version_set`): record the version that came with the value,
/// never one read before or after it. A module that calls it imports
/// `version_set`, which hosts of ABI 1.0 refuse at load. The host refuses
/// a version over 256 bytes (`TooLarge`), an empty one or one with a byte
/// outside printable ASCII `!` to `~` (`Argument`), and a second call
/// (`State`); it fails the fetch when the version holds the value returned
/// or a bound credential (ABI.md, `version_set`).
pub fn set_result_version(version: &str) -> Result<(), HostError> {
    match abi::set_version(version) {
        0 => Ok(()),
        c => Err(HostError { op: "version_set".to_string(), code: HostCode::from_status(c) }),
    }
}

/// wipe overwrites buf with zeros in a way the compiler does not elide: use
/// it on a copy of a secret before dropping it.
pub fn wipe(buf: &mut [u8]) {
    fn zero(p: *mut u8, n: usize) {
        // SAFETY: p and n come from a valid &mut [u8].
        unsafe { std::ptr::write_bytes(p, 0, n) }
    }
    // Called through a pointer the compiler cannot see through, the store
    // of zeros cannot be dropped as dead; it stays one memory.fill (with
    // the bulk-memory feature), not a loop, which a guest pays for with a
    // deadline check per iteration.
    // SAFETY: reading a local function pointer.
    let f: fn(*mut u8, usize) = unsafe { std::ptr::read_volatile(&(zero as fn(*mut u8, usize))) };
    f(buf.as_mut_ptr(), buf.len());
}

/// export_store! exports a [`Store`] type as the module's entry points:
/// `latchkey_get` and the ABI marker `latchkey_abi_v1`; with
/// `export_store!(T, versioned)`, for a [`Versioned`] store, also
/// `latchkey_version` (ABI 1.1). Use it once, in the crate that builds the
/// module.
#[macro_export]
macro_rules! export_store {
    ($store:ty) => {
        $crate::export_store!(@get $store);
    };
    ($store:ty, versioned) => {
        $crate::export_store!(@get $store);

        #[no_mangle]
        pub extern "C" fn latchkey_version() -> i32 {
            // SAFETY: as in latchkey_get; the host never runs both at once
            // in one instance.
            unsafe { $crate::__private::serve_version(&mut *::core::ptr::addr_of_mut!(__LATCHKEY_STATE)) }
        }
    };
    (@get $store:ty) => {
        static mut __LATCHKEY_STATE: $crate::__private::State<$store> = $crate::__private::State::new();

        #[no_mangle]
        pub extern "C" fn latchkey_get() -> i32 {
            // SAFETY: the host runs one call at a time per instance and a
            // wasm32 module without threads has one thread, so this is the
            // only reference to the state while it lives.
            unsafe { $crate::__private::serve(&mut *::core::ptr::addr_of_mut!(__LATCHKEY_STATE)) }
        }

        #[no_mangle]
        pub extern "C" fn latchkey_abi_v1() {}
    };
}

/// capabilities! declares what the module will do, in its
/// `latchkey.capabilities` custom section (ABI.md, "Capability
/// declaration"): a JSON object with `version` (1), `hosts`, `credentials`
/// and `config`. The agent refuses to load the module when a declared host
/// is not allowed by the store's network policy, and `latchkey check` names
/// declared credentials the store does not configure. Use it once, with a
/// string literal:
///
/// ```ignore
/// latchkey_guest::capabilities!(r#"{"version": 1, "hosts": ["config:store_url"],
///     "credentials": ["api_token"], "config": ["store_url"]}"#);
/// ```
#[macro_export]
macro_rules! capabilities {
    ($json:expr) => {
        const _: () = {
            const JSON: &str = $json;
            #[used]
            #[link_section = "latchkey.capabilities"]
            static CAPABILITIES: [u8; JSON.len()] = {
                let b = JSON.as_bytes();
                let mut out = [0u8; JSON.len()];
                let mut i = 0;
                while i < b.len() {
                    out[i] = b[i];
                    i += 1;
                }
                out
            };
        };
    };
}

#[doc(hidden)]
pub mod __private {
    use super::*;

    /// State is what an instance keeps between calls.
    pub struct State<S> {
        store: Option<Result<S, Error>>,
        req: Request,
    }

    impl<S> State<S> {
        pub const fn new() -> State<S> {
            State { store: None, req: Request { name: String::new(), key: String::new(), version: String::new() } }
        }
    }

    /// serve runs one call of latchkey_get.
    pub fn serve<S: Store>(state: &mut State<S>) -> i32 {
        let (store, req) = match prepare(state) {
            Ok(v) => v,
            Err(e) => return fail(&e),
        };
        match store.get(req) {
            Ok(mut v) => {
                // On failure (too large) the host records the reason itself.
                abi::set_result(&v);
                wipe(&mut v);
            }
            Err(e) => {
                fail(&e);
            }
        }
        0
    }

    /// serve_version runs one call of latchkey_version.
    pub fn serve_version<S: Versioned>(state: &mut State<S>) -> i32 {
        let (store, req) = match prepare(state) {
            Ok(v) => v,
            Err(e) => return fail(&e),
        };
        match store.current_version(req) {
            Ok(v) if v.is_empty() => fail(&Error::unavailable("the store returned an empty version")),
            Ok(v) => {
                // The host refuses a version over 256 bytes itself.
                abi::set_result(v.as_bytes());
                0
            }
            Err(e) => fail(&e),
        }
    }

    /// prepare builds the store at an instance's first call and reads the
    /// request.
    fn prepare<S: Store>(state: &mut State<S>) -> Result<(&mut S, &Request), Error> {
        if state.store.is_none() {
            std::panic::set_hook(Box::new(|info| {
                let msg = match info.location() {
                    Some(l) => format!("the module panicked at {}:{}:{} (message withheld)", l.file(), l.line(), l.column()),
                    None => "the module panicked (message withheld)".to_string(),
                };
                log(Level::Error, &msg);
            }));
            let mut config = Vec::new();
            state.store = Some(match abi::read_input(abi::INPUT_CONFIG, &mut config) {
                Err(c) => Err(Error::unavailable(format!("reading the config: {}", host(c)))),
                Ok(()) => S::new(Json::new(&config)).map_err(|e| {
                    if e.code == Code::InvalidConfig && !e.message.starts_with("the store's config") {
                        Error::invalid_config(format!("the store's config: {}", e.message))
                    } else {
                        e
                    }
                }),
            });
            wipe(&mut config);
        }
        let store = match state.store.as_mut() {
            Some(Ok(s)) => s,
            Some(Err(e)) => return Err(e.clone()),
            None => unreachable!(),
        };
        for (kind, s) in [
            (abi::INPUT_NAME, &mut state.req.name),
            (abi::INPUT_KEY, &mut state.req.key),
            (abi::INPUT_VERSION, &mut state.req.version),
        ] {
            read_string(kind, s)?;
        }
        Ok((store, &state.req))
    }

    fn host(code: i32) -> HostError {
        HostError { op: "input_read".to_string(), code: HostCode::from_status(code) }
    }

    fn read_string(kind: i32, s: &mut String) -> Result<(), Error> {
        let mut v = std::mem::take(s).into_bytes();
        abi::read_input(kind, &mut v).map_err(|c| Error::unavailable(format!("reading the request: {}", host(c))))?;
        match String::from_utf8(v) {
            Ok(v) => {
                *s = v;
                Ok(())
            }
            Err(_) => Err(Error::invalid_config("the request is not UTF-8")),
        }
    }

    fn fail(e: &Error) -> i32 {
        abi::set_error(e.code as i32, &e.message);
        0
    }
}
