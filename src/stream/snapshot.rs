//! Snapshots: what a reader and a writer hold right now, for showing the inside of a stream.

use bytes::Bytes;

use crate::sansio::{PyException, Separators};
use crate::transport::Credit;

/// A call's arguments, kept cheaply while it waits and written out as Python source on demand.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallArgs {
    /// `readline()`, `drain()`, `wait_closed()`.
    None,
    /// `read(n)`, `readexactly(n)`.
    Size(isize),
    /// `readuntil(separator)`.
    Separators(Separators),
}

impl CallArgs {
    /// The arguments as Python source, e.g. `100` or `(b'\r\n', b'\n')`.
    pub fn repr(&self) -> String {
        match self {
            CallArgs::None => String::new(),
            CallArgs::Size(n) => n.to_string(),
            CallArgs::Separators(seps) => seps.repr(),
        }
    }
}

/// The call that waits for data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WaitingCall {
    /// The id its events carry.
    pub id: u64,
    /// The method, e.g. `readuntil`.
    pub method: &'static str,
    /// Its arguments.
    pub args: CallArgs,
    /// For `readline` / `readuntil`: where its next scan for the separator starts (the bytes
    /// before were searched already, less a separator's length of overlap).
    pub offset: Option<usize>,
}

/// A reader's state (see [`StreamReader::snapshot`](super::StreamReader::snapshot)).
#[derive(Clone, Debug, PartialEq)]
pub struct ReaderSnapshot {
    /// How many bytes are buffered.
    pub buffered: usize,
    /// Where [`window`](Self::window) starts in the buffer.
    pub window_start: usize,
    /// A window of the buffered bytes (the whole buffer when it is small).
    pub window: Bytes,
    /// The `limit`.
    pub limit: usize,
    /// EOF was fed (bytes may still be buffered).
    pub eof: bool,
    /// The stored exception.
    pub exception: Option<PyException>,
    /// The transport was told to pause (more than `2 × limit` buffered).
    pub paused: bool,
    /// The call that waits, if one does.
    pub waiting: Option<WaitingCall>,
}

/// A writer's state, with CPython's transport method names where they exist (see
/// [`StreamWriter::snapshot`](super::StreamWriter::snapshot)).
#[derive(Clone, Debug, PartialEq)]
pub struct WriterSnapshot {
    /// `transport.get_write_buffer_size()`: written, not yet on the network.
    pub write_buffer_size: usize,
    /// `transport.get_write_buffer_limits()`: `(low, high)`.
    pub write_buffer_limits: (usize, usize),
    /// `transport.is_reading()`.
    pub is_reading: bool,
    /// `writer.is_closing()`.
    pub is_closing: bool,
    /// Writing is paused (above the high-water mark): `drain()` waits.
    pub writing_paused: bool,
    /// `write_eof()` was called.
    pub eof_written: bool,
    /// The connection has ended: `Some(None)` cleanly, `Some(Some(exc))` with an exception.
    pub lost: Option<Option<PyException>>,
    /// The relay's receive credit (relay transports only).
    pub credit: Option<Credit>,
}
