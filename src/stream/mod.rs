//! The async stream API: asyncio's `StreamReader` (and, with the transports, `StreamWriter`
//! and `open_connection`).

mod reader;
mod waiter;

pub use reader::{ReadTransport, StreamReader};
