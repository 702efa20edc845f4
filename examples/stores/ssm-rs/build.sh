#!/bin/sh
# Builds ssm-rs.wasm (or $1) with Debian's rustc and the wasm32-wasi
# standard library (apt-get install rustc libstd-rust-dev-wasm32); no cargo,
# no crates but the SDK. The tests build it the same way
# (internal/wasmtest.BuildRust); set RUSTC to use another rustc.
set -eu
cd "$(dirname "$0")"
out=${1:-ssm-rs.wasm}
rustc=${RUSTC:-/usr/bin/rustc}
target=${TARGET:-wasm32-wasi} # wasm32-wasip1 for a rustup toolchain >= 1.78
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$rustc" --edition 2021 --crate-type rlib --crate-name latchkey_guest --target "$target" \
  -C opt-level=s -C target-feature=+bulk-memory -o "$tmp/liblatchkey_guest.rlib" ../../../guest-sdk/rust/src/lib.rs
"$rustc" --edition 2021 --crate-type cdylib --crate-name ssm_rs --target "$target" \
  -C opt-level=s -C target-feature=+bulk-memory -C lto -C strip=symbols \
  --extern latchkey_guest="$tmp/liblatchkey_guest.rlib" -o "$out" main.rs
