//! [`StreamWriter`]: asyncio's `StreamWriter`, over a [`StreamProtocol`].

use std::fmt;
use std::rc::Rc;

use super::observe::Subscription;
use super::protocol::StreamProtocol;
use super::snapshot::WriterSnapshot;
use crate::sansio::StreamError;
use crate::transport::ExtraInfo;

/// asyncio's `StreamWriter`: writes go to the transport at once; [`drain`](Self::drain) waits
/// while too much is buffered; [`close`](Self::close) and [`wait_closed`](Self::wait_closed)
/// end the connection. A cheap handle (clones share one writer).
///
/// ```
/// streamlab::run(async {
///     let (reader, writer) = streamlab::open_connection("echo.demo", 7, Default::default()).await.unwrap();
///     writer.write(b"ping\n").unwrap();
///     writer.drain().await.unwrap();
///     assert_eq!(reader.readline().await.unwrap(), &b"ping\n"[..]);
///     writer.close();
///     writer.wait_closed().await.unwrap();
/// });
/// ```
///
/// When the last handle is dropped while the connection is open, it is closed, as CPython 3.13
/// closes a garbage-collected writer (which also warns `unclosed <StreamWriter …>`).
#[derive(Clone)]
pub struct StreamWriter(Rc<Handle>);

struct Handle(Rc<StreamProtocol>);

impl std::ops::Deref for Handle {
    type Target = StreamProtocol;

    fn deref(&self) -> &StreamProtocol {
        &self.0
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.0.close();
    }
}

impl StreamWriter {
    /// The writer of a connection.
    pub fn new(protocol: Rc<StreamProtocol>) -> StreamWriter {
        StreamWriter(Rc::new(Handle(protocol)))
    }

    /// Whether both are handles of the same writer (Python's `is`).
    pub fn same_as(&self, other: &StreamWriter) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }

    /// The write side's state now: the transport's buffer against its water marks, reading
    /// and closing state, and the relay's credit.
    ///
    /// ```
    /// streamlab::run(async {
    ///     let (_reader, writer) = streamlab::open_connection("echo.demo", 7, Default::default()).await.unwrap();
    ///     let snap = writer.snapshot();
    ///     assert_eq!(snap.write_buffer_limits, (16384, 65536));
    ///     assert!(snap.is_reading && !snap.is_closing && snap.credit.is_none());
    /// });
    /// ```
    pub fn snapshot(&self) -> WriterSnapshot {
        self.0.snapshot()
    }

    /// Observes the whole connection: its reader's events, the writer's and the transport's,
    /// as [`StreamReader::observe`](super::StreamReader::observe).
    pub fn observe(&self, observer: impl Fn(&super::Event) + 'static) -> Subscription {
        self.0.reader().observe(observer)
    }

    /// `write(data)`: sends now (or buffers). Writes to a lost or closed connection are dropped
    /// silently, as in CPython; `drain()` reports the loss.
    ///
    /// # Errors
    /// `RuntimeError('Cannot call write() after write_eof()')`, even for empty data.
    pub fn write(&self, data: &[u8]) -> Result<(), StreamError> {
        self.0 .0.write(data, "write")
    }

    /// `writelines(chunks)`: the chunks joined, as one write.
    ///
    /// # Errors
    /// `RuntimeError('Cannot call writelines() after write_eof()')`.
    ///
    /// # Python parity
    /// CPython 3.13.0's selector `writelines` has three bugs fixed in later patch releases: it
    /// never pauses writing (gh-127655), raises `TypeError` after `close()` (gh-136234) and
    /// hangs `close()` on an empty chunk (gh-155888). streamlab behaves as the fixed releases.
    pub fn writelines<I, B>(&self, chunks: I) -> Result<(), StreamError>
    where
        I: IntoIterator<Item = B>,
        B: AsRef<[u8]>,
    {
        let joined: Vec<u8> = chunks.into_iter().flat_map(|c| c.as_ref().to_vec()).collect();
        self.0 .0.write(&joined, "writelines")
    }

    /// `write_eof()`: half-close; reading goes on. A no-op when closing or done already.
    ///
    /// # Errors
    /// `NotImplementedError` over TLS, as CPython's SSL transport.
    pub fn write_eof(&self) -> Result<(), StreamError> {
        self.0.write_eof()
    }

    /// `can_write_eof()`: true for TCP, false over TLS.
    pub fn can_write_eof(&self) -> bool {
        self.0.can_write_eof()
    }

    /// `drain()`: waits while more than 64 KiB are buffered, until at most 16 KiB are.
    /// Returns at once, without yielding, when nothing needs waiting.
    ///
    /// # Errors
    /// The reader's exception first (e.g. the connection was reset); then
    /// `ConnectionResetError('Connection lost')` once the connection is gone.
    ///
    /// # Cancel safety
    /// Cancel-safe: the written bytes stay in the transport's buffer.
    pub async fn drain(&self) -> Result<(), StreamError> {
        self.0.drain().await
    }

    /// `close()`: stops reading at once, flushes what was written, then the connection ends
    /// cleanly (on a later tick). Idempotent. Unread data stays readable.
    pub fn close(&self) {
        self.0.close();
    }

    /// `is_closing()`: after `close()` or a lost connection (not after the peer's EOF).
    pub fn is_closing(&self) -> bool {
        self.0.is_closing()
    }

    /// `wait_closed()`: until the connection has ended; it does not close it.
    ///
    /// # Errors
    /// The exception the connection was lost with, every time it is awaited.
    ///
    /// # Cancel safety
    /// Not cancel-safe, exactly as in CPython: `wait_closed()` awaits the connection's
    /// "closed" future itself, so cancelling one cancels that future — every later
    /// `wait_closed()` raises `CancelledError`. The connection goes on.
    ///
    /// Once both sides have sent EOF (`write_eof()` and the peer's) the connection is over
    /// only when `close()` is called, as a TCP socket in CPython: until then `wait_closed()`
    /// waits and `is_closing()` is false (the relay's clean end, WebSocket 1000, waits for it).
    pub async fn wait_closed(&self) -> Result<(), StreamError> {
        self.0.wait_closed().await
    }

    /// `get_extra_info(name)`: `peername`, `sockname`, `sslcontext`, `socket`; `None` for
    /// anything else (Python's `default`).
    pub fn get_extra_info(&self, name: &str) -> Option<ExtraInfo> {
        self.0.extra_info(name)
    }
}

impl fmt::Display for StreamWriter {
    /// Python's `repr(writer)`: `<StreamWriter transport=<…> reader=<StreamReader …>>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<StreamWriter transport={} reader={}>", self.0.transport_repr(), self.0.reader())
    }
}

impl fmt::Debug for StreamWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
