//! The host functions of module `latchkey_v1` (ABI.md, "Functions of
//! `latchkey_v1`"), and safe wrappers that follow the `(buf, limit) -> len`
//! convention.
//!
//! On targets other than wasm32 the functions exist too (so that a store's
//! pure logic can be unit-tested natively) and answer `STATE`: there is no
//! call in progress.

#[cfg(target_arch = "wasm32")]
#[link(wasm_import_module = "latchkey_v1")]
extern "C" {
    fn input_read(kind: i32, buf: *mut u8, limit: i32) -> i32;
    fn result_set(ptr: *const u8, len: i32) -> i32;
    fn error_set(code: i32, ptr: *const u8, len: i32) -> i32;
    fn log(level: i32, ptr: *const u8, len: i32) -> i32;
    #[allow(clippy::too_many_arguments)]
    fn http_request(
        method_ptr: *const u8,
        method_len: i32,
        url_ptr: *const u8,
        url_len: i32,
        header_ptr: *const u8,
        header_len: i32,
        body_ptr: *const u8,
        body_len: i32,
    ) -> i32;
    fn http_response_read(part: i32, buf: *mut u8, limit: i32) -> i32;
    // ABI 1.1: imported only by a module that calls set_result_version.
    fn version_set(ptr: *const u8, len: i32) -> i32;
}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use super::STATE;
    pub unsafe fn input_read(_: i32, _: *mut u8, _: i32) -> i32 {
        STATE
    }
    pub unsafe fn result_set(_: *const u8, _: i32) -> i32 {
        STATE
    }
    pub unsafe fn error_set(_: i32, _: *const u8, _: i32) -> i32 {
        STATE
    }
    pub unsafe fn log(_: i32, _: *const u8, _: i32) -> i32 {
        STATE
    }
    #[allow(clippy::too_many_arguments)]
    pub unsafe fn http_request(_: *const u8, _: i32, _: *const u8, _: i32, _: *const u8, _: i32, _: *const u8, _: i32) -> i32 {
        STATE
    }
    pub unsafe fn http_response_read(_: i32, _: *mut u8, _: i32) -> i32 {
        STATE
    }
    pub unsafe fn version_set(_: *const u8, _: i32) -> i32 {
        STATE
    }
}
#[cfg(not(target_arch = "wasm32"))]
use native::*;

/// Status `STATE` (-7): called outside `latchkey_get`.
#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
pub(crate) const STATE: i32 = -7;

// Input kinds of input_read.
pub(crate) const INPUT_CONFIG: i32 = 0;
pub(crate) const INPUT_NAME: i32 = 1;
pub(crate) const INPUT_KEY: i32 = 2;
pub(crate) const INPUT_VERSION: i32 = 3;

// Response parts of http_response_read.
pub(crate) const PART_HEADER: i32 = 0;
pub(crate) const PART_BODY: i32 = 1;

/// Lengths cross the boundary as i32; a slice longer than i32::MAX cannot
/// exist in a 32-bit memory, and is clamped so that the host refuses it.
fn len32(n: usize) -> i32 {
    if n > i32::MAX as usize {
        i32::MAX
    } else {
        n as i32
    }
}

/// Reads with the `(buf, limit) -> len` convention into `out` (cleared
/// first): one host call when the data fits in `out`'s capacity, two
/// otherwise. Returns the host's negative status on failure.
pub(crate) fn read_into(out: &mut Vec<u8>, read: impl Fn(*mut u8, i32) -> i32) -> Result<(), i32> {
    out.clear();
    if out.capacity() < 256 {
        out.reserve(256);
    }
    let n = read(out.as_mut_ptr(), len32(out.capacity()));
    if n < 0 {
        return Err(n);
    }
    let mut n = n as usize;
    if n > out.capacity() {
        // The host wrote the first capacity bytes, which may be a secret:
        // overwrite them before the buffer is freed (reserve would copy
        // them and free the old block as is).
        let cap = out.capacity();
        // SAFETY: the host initialised [0, cap) (ABI: min(len, limit)).
        unsafe { out.set_len(cap) };
        crate::wipe(out);
        *out = Vec::with_capacity(n);
        let m = read(out.as_mut_ptr(), len32(out.capacity()));
        if m < 0 {
            return Err(m);
        }
        // The data cannot change between the two calls of one input or
        // response; take the smaller length to be safe anyway.
        n = (m as usize).min(out.capacity()).min(n);
    }
    // SAFETY: the host wrote n <= capacity bytes at out's pointer.
    unsafe { out.set_len(n) };
    Ok(())
}

pub(crate) fn read_input(kind: i32, out: &mut Vec<u8>) -> Result<(), i32> {
    // SAFETY: the host writes at most limit bytes at buf (ABI.md).
    read_into(out, |buf, limit| unsafe { input_read(kind, buf, limit) })
}

pub(crate) fn read_response(part: i32, out: &mut Vec<u8>) -> Result<(), i32> {
    // SAFETY: as read_input.
    read_into(out, |buf, limit| unsafe { http_response_read(part, buf, limit) })
}

pub(crate) fn set_result(b: &[u8]) -> i32 {
    // SAFETY: the host only reads [ptr, ptr+len).
    unsafe { result_set(b.as_ptr(), len32(b.len())) }
}

pub(crate) fn set_error(code: i32, msg: &str) -> i32 {
    // SAFETY: as set_result.
    unsafe { error_set(code, msg.as_ptr(), len32(msg.len())) }
}

pub(crate) fn write_log(level: i32, msg: &str) -> i32 {
    // SAFETY: as set_result.
    unsafe { log(level, msg.as_ptr(), len32(msg.len())) }
}

pub(crate) fn request(method: &str, url: &str, header: &[u8], body: &[u8]) -> i32 {
    // SAFETY: the host only reads the four ranges.
    unsafe {
        http_request(
            method.as_ptr(),
            len32(method.len()),
            url.as_ptr(),
            len32(url.len()),
            header.as_ptr(),
            len32(header.len()),
            body.as_ptr(),
            len32(body.len()),
        )
    }
}

pub(crate) fn set_version(v: &str) -> i32 {
    // SAFETY: as set_result.
    unsafe { version_set(v.as_ptr(), len32(v.len())) }
}
