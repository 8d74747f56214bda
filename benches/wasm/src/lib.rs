//! The browser workloads of `cargo xtask bench` with their loops written in Rust against
//! streamlab's Rust API, inside the wasm module: the `streamlab_rust` contender, beside the
//! same loops in JS (`benches/browser/bench.js`). Each opens its workload's server through a
//! relay (streamlab's, or a websockify) and returns the bytes it read or wrote (`echo`: each batch's mean round
//! trip, in ms), for the page to time and check.
//!
//! Natively this crate is empty: it is built only for `wasm32-unknown-unknown`.

#[cfg(target_arch = "wasm32")]
mod loops;
