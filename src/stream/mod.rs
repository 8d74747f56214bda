//! The async stream API: asyncio's `StreamReader` and `StreamWriter`, the
//! [`StreamProtocol`] a transport reports to, and what an observer sees of them
//! ([`snapshot`](StreamReader::snapshot)s and [`Event`]s).

pub mod lend;
mod observe;
mod origins;
mod protocol;
mod reader;
mod signal;
mod snapshot;
mod waiter;
mod writer;

pub use observe::{Event, EventKind, Observer, Observers, Subscription, QUEUE_CAP};
pub use origins::Origins;
pub use protocol::StreamProtocol;
pub use reader::{ReadTransport, StreamReader, SNAPSHOT_WINDOW};
pub use snapshot::{CallArgs, ReaderSnapshot, WaitingCall, WriterSnapshot};
pub use writer::StreamWriter;
