//! [`StreamBuffer`]: the state of a CPython `StreamReader` without any I/O, waiting or clock.
//!
//! Inputs are method calls (`feed_data`, `feed_eof`, `set_exception`); the read operations in
//! this folder ([`Read`](super::Read), [`ReadUntil`](super::ReadUntil), …) take bytes out of it
//! and answer `Ok(None)` when they must wait; flow-control decisions come out of
//! [`poll_flow`](StreamBuffer::poll_flow). The async [`StreamReader`](crate::StreamReader) is a
//! thin driver around it.

use std::collections::VecDeque;
use std::fmt::Write;

use bytes::{Buf, Bytes, BytesMut};

use super::error::{PyException, StreamError, ValueError};
use super::pyrepr::py_bytes_repr;

/// asyncio's default `limit`: 64 KiB.
pub const DEFAULT_LIMIT: usize = 65536;

/// A flow-control decision for the transport, CPython's `pause_reading()` / `resume_reading()`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// More than `2 × limit` bytes are buffered: stop reading from the peer.
    Pause,
    /// The buffer drained to `limit` or below, or a read must wait: read again.
    Resume,
}

impl Default for StreamBuffer {
    /// An empty buffer with asyncio's default limit of 64 KiB.
    fn default() -> Self {
        Self::with_limit(DEFAULT_LIMIT)
    }
}

/// The reader's buffer, EOF flag, stored exception, limit and read-side flow control.
///
/// ```
/// use streamlab::sansio::{ReadOp, ReadUntil, StreamBuffer};
/// let mut buf = StreamBuffer::new(65536).unwrap();
/// buf.feed_data(b"GET / HTTP/1.0\r\n\r\n").unwrap();
/// let mut line = ReadUntil::new(b"\r\n").unwrap();
/// assert_eq!(line.step(&mut buf).unwrap().unwrap(), &b"GET / HTTP/1.0\r\n"[..]);
/// assert_eq!(buf.as_bytes(), b"\r\n");
/// ```
#[derive(Debug)]
pub struct StreamBuffer {
    buf: BytesMut,
    /// Bytes taken or dropped from the front since the start.
    consumed: u64,
    limit: usize,
    eof: bool,
    exception: Option<PyException>,
    flow_control: bool,
    paused: bool,
    flow: VecDeque<Flow>,
}

impl StreamBuffer {
    /// An empty buffer; `limit` bounds `readline`/`readuntil` and sets the pause threshold.
    ///
    /// # Errors
    /// `ValueError('Limit cannot be <= 0')` for a limit of 0.
    pub fn new(limit: usize) -> Result<Self, StreamError> {
        if limit == 0 {
            return Err(ValueError::LimitNotPositive.into());
        }
        Ok(Self::with_limit(limit))
    }

    fn with_limit(limit: usize) -> Self {
        Self {
            buf: BytesMut::new(),
            consumed: 0,
            limit,
            eof: false,
            exception: None,
            flow_control: false,
            paused: false,
            flow: VecDeque::new(),
        }
    }

    /// Appends bytes from the peer; empty data is ignored.
    ///
    /// With flow control on, buffering more than `2 × limit` bytes queues [`Flow::Pause`].
    ///
    /// # Errors
    /// `AssertionError('feed_data after feed_eof')`, even for empty data.
    #[inline]
    pub fn feed_data(&mut self, data: &[u8]) -> Result<(), StreamError> {
        if self.eof {
            return Err(StreamError::Assertion("feed_data after feed_eof"));
        }
        if data.is_empty() {
            return Ok(());
        }
        self.buf.extend_from_slice(data);
        if self.flow_control && !self.paused && self.buf.len() > self.limit.saturating_mul(2) {
            self.paused = true;
            self.flow.push_back(Flow::Pause);
        }
        Ok(())
    }

    /// Marks the end of the stream. Idempotent; buffered bytes stay readable.
    pub fn feed_eof(&mut self) {
        self.eof = true;
    }

    /// Stores an exception that every later read raises, even over buffered data.
    pub fn set_exception(&mut self, exc: PyException) {
        self.exception = Some(exc);
    }

    /// The stored exception, if any.
    pub fn exception(&self) -> Option<&PyException> {
        self.exception.as_ref()
    }

    /// Python's `at_eof()`: EOF was fed and every byte was read. Ignores the exception.
    pub fn at_eof(&self) -> bool {
        self.eof && self.buf.is_empty()
    }

    /// Whether EOF was fed (bytes may still be buffered).
    pub fn is_eof(&self) -> bool {
        self.eof
    }

    /// The buffered, unread bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// How many bytes are buffered.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Whether no bytes are buffered.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The `limit` given at construction.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Turns on read-side flow control (CPython does so when a transport is attached).
    pub fn enable_flow_control(&mut self) {
        self.flow_control = true;
    }

    /// Whether the transport has been told to pause.
    pub fn is_paused(&self) -> bool {
        self.paused
    }

    /// Whether a flow-control decision waits for [`poll_flow`](Self::poll_flow).
    #[inline]
    pub fn has_flow(&self) -> bool {
        !self.flow.is_empty()
    }

    /// The next flow-control decision, in the order they were taken.
    pub fn poll_flow(&mut self) -> Option<Flow> {
        self.flow.pop_front()
    }

    /// Raises the stored exception, as every read does first.
    #[inline]
    pub(crate) fn check_exception(&self) -> Result<(), StreamError> {
        match &self.exception {
            Some(exc) => Err(StreamError::Raised(exc.clone())),
            None => Ok(()),
        }
    }

    /// Called when a read is about to wait: a paused transport is always resumed, or a read
    /// that needs more than `2 × limit` bytes would wait forever.
    pub fn before_wait(&mut self) {
        if self.paused {
            self.paused = false;
            self.flow.push_back(Flow::Resume);
        }
    }

    /// Removes and returns up to `n` bytes from the front.
    #[inline]
    pub(crate) fn take(&mut self, n: usize) -> Bytes {
        let n = n.min(self.buf.len());
        self.consumed += n as u64;
        self.buf.split_to(n).freeze()
    }

    /// Removes and returns every buffered byte.
    pub(crate) fn take_all(&mut self) -> Bytes {
        self.consumed += self.buf.len() as u64;
        self.buf.split().freeze()
    }

    /// Drops up to `n` bytes from the front.
    pub(crate) fn discard(&mut self, n: usize) {
        let n = n.min(self.buf.len());
        self.consumed += n as u64;
        self.buf.advance(n);
    }

    /// How many bytes reads have taken (or dropped) from the front since the start: the
    /// stream offset of the first buffered byte.
    ///
    /// ```
    /// use streamlab::sansio::{Read, ReadOp, StreamBuffer};
    /// let mut buf = StreamBuffer::new(16).unwrap();
    /// buf.feed_data(b"abcdef").unwrap();
    /// Read::new(4).step(&mut buf).unwrap();
    /// assert_eq!((buf.consumed(), buf.as_bytes()), (4, &b"ef"[..]));
    /// ```
    pub fn consumed(&self) -> u64 {
        self.consumed
    }

    /// CPython's resume check after a read consumed bytes: resume once at most `limit` remain.
    #[inline]
    pub(crate) fn after_consume(&mut self) {
        if self.paused && self.buf.len() <= self.limit {
            self.paused = false;
            self.flow.push_back(Flow::Resume);
        }
    }

    /// Python's `repr(reader)`, e.g. `<StreamReader 10 bytes limit=4 transport=<T> paused>`.
    ///
    /// `waiter` and `transport` are the reprs of what the reader holds beside the buffer.
    pub fn repr(&self, waiter: Option<&str>, transport: Option<&str>) -> String {
        let mut s = String::from("<StreamReader");
        if !self.buf.is_empty() {
            let _ = write!(s, " {} bytes", self.buf.len());
        }
        if self.eof {
            s.push_str(" eof");
        }
        if self.limit != DEFAULT_LIMIT {
            let _ = write!(s, " limit={}", self.limit);
        }
        if let Some(w) = waiter {
            let _ = write!(s, " waiter={w}");
        }
        if let Some(exc) = &self.exception {
            let _ = write!(s, " exception={}", exc.repr());
        }
        if let Some(t) = transport {
            let _ = write!(s, " transport={t}");
        }
        if self.paused {
            s.push_str(" paused");
        }
        s.push('>');
        s
    }

    /// Python's `repr()` of the buffered bytes, e.g. `b'ab\n'`.
    pub fn repr_bytes(&self) -> String {
        py_bytes_repr(&self.buf)
    }
}
