//! # streamlab
//!
//! Python asyncio's buffered streams — `StreamReader` now, `StreamWriter` and
//! `open_connection` over a WebSocket relay next — re-implemented in Rust to reproduce
//! CPython 3.13.0 to the byte and to the exception, for native code and for the browser.
//!
//! Layers (see `docs/design.md` in the repository):
//! * [`sansio`]: the state and the read operations, with no I/O, no waiting and no clock;
//! * [`StreamReader`]: the async driver (futures only, no runtime), one waiter at a time;
//! * [`trace`]: the scenario runner that differential tests drive against real CPython;
//! * [`protocol`]: the relay's wire format, shared by the relay and the browser client;
//! * [`demo`]: the demo servers as sans-I/O state machines (the relay and the page run them).
//!
//! ```
//! use streamlab::{StreamReader, StreamError};
//! futures::executor::block_on(async {
//!     let reader = StreamReader::new(65536).unwrap();
//!     reader.feed_data(b"abc").unwrap();
//!     reader.feed_eof();
//!     let err = reader.readexactly(5).await.unwrap_err();
//!     assert_eq!(err.python_name(), "IncompleteReadError");
//!     assert_eq!(err.to_string(), "3 bytes read on a total of 5 expected bytes");
//! });
//! ```

// `deny`, not `forbid`: the wasm-bindgen layer to come must be able to allow its macros'
// generated `unsafe`.
#![deny(unsafe_code)]
#![warn(missing_docs, rust_2018_idioms)]

pub mod demo;
#[cfg(target_arch = "wasm32")]
pub mod js;
pub mod protocol;
pub mod runtime;
pub mod sansio;
pub mod stream;
pub mod trace;
pub mod transport;

#[cfg(not(target_arch = "wasm32"))]
pub use runtime::run;
pub use sansio::{PyException, Separators, StreamError, DEFAULT_LIMIT};
pub use stream::{open_connection, OpenOptions, ReadTransport, Relay, StreamReader, StreamWriter};
