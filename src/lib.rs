//! # streamlab
//!
//! Python asyncio's buffered streams — `open_connection`, `StreamReader`, `StreamWriter` —
//! re-implemented in Rust to reproduce CPython 3.13.0 to the byte and to the exception, for
//! native code and for the browser (over a WebSocket relay to real TCP, or to the in-page
//! demo servers).
//!
//! Layers, top to bottom; a module imports only those below it (`tests/layers.rs` checks):
//! * `js` (browser build): the JavaScript API;
//! * [`open_connection`]: picks the transport — an in-page demo server or a relay;
//! * [`trace`]: the scenario runner that differential tests drive against real CPython;
//! * [`stream`]: [`StreamReader`], [`StreamWriter`] and the
//!   [`StreamProtocol`](stream::StreamProtocol) transports report to; snapshots and events;
//! * [`transport`]: the `Transport` and `Protocol` traits (CPython's split), the memory and
//!   WebSocket transports;
//! * [`demo`]: the demo servers as sans-I/O state machines (the relay and the page run them);
//! * [`protocol`]: the relay's wire format, shared by the relay and the browser client;
//! * [`runtime`]: spawn, sleep and the clock, for the browser and natively;
//! * [`sansio`]: the buffer, the read operations and Python's exceptions, with no I/O, no
//!   waiting and no clock.
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

// `deny`, not `forbid`: the wasm-bindgen layer must be able to allow its macros' generated
// `unsafe`.
#![deny(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, rust_2018_idioms)]

pub mod demo;
#[cfg(target_arch = "wasm32")]
pub mod js;
mod open;
pub mod protocol;
pub mod runtime;
pub mod sansio;
mod serve;
pub mod stream;
pub mod trace;
pub mod transport;

pub use open::{open_connection, OpenOptions, Relay, RelayProtocol};
#[cfg(not(target_arch = "wasm32"))]
pub use runtime::run;
pub use sansio::{PyException, Separators, StreamError, DEFAULT_LIMIT};
pub use serve::{start_server, Server, ServerOptions};
pub use stream::{ReadTransport, StreamReader, StreamWriter};
