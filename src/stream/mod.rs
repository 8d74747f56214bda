//! The async stream API: asyncio's `open_connection`, `StreamReader` and `StreamWriter`.

mod connection;
mod open;
mod reader;
mod signal;
mod waiter;
mod writer;

pub use connection::{Connection, HIGH_WATER, LOW_WATER};
pub use open::{open_connection, OpenOptions, Relay};
pub use reader::{ReadTransport, StreamReader};
pub(crate) use signal::yield_now;
pub use writer::StreamWriter;
