//! [`ReadUntil`]: `readuntil(separator)` — through the first separator, bounded by `limit`.

use bytes::Bytes;

use super::{Overrun, ReadOp, Separators, StreamBuffer, StreamError};

/// CPython 3.13's `readuntil(separator)`, with one separator or a tuple.
///
/// Returns the data through the separator. While it waits it remembers how far it has
/// scanned (`maxlen - 1` bytes of overlap), so a long line costs linear time; a new call scans
/// from the start again, as CPython does.
///
/// # Errors
/// * `ValueError` for an empty tuple or an empty separator (before a stored exception);
/// * `LimitOverrun { Found, consumed }` when the separator starts after `limit` bytes;
///   `LimitOverrun { NotFound, consumed }` when `len + 1 - maxlen > limit` with no separator.
///   The buffer is untouched and the limit check comes before the EOF check;
/// * `IncompleteRead { partial, expected: None }` at EOF, with the buffer emptied.
///
/// ```
/// use streamlab::sansio::{ReadUntil, ReadOp, StreamBuffer};
/// let mut buf = StreamBuffer::new(3).unwrap();
/// buf.feed_data(b"abcdAAA").unwrap();
/// let err = ReadUntil::new(b"AAA").unwrap().step(&mut buf).unwrap_err();
/// assert_eq!(err.to_string(), "Separator is found, but chunk is longer than limit");
/// assert_eq!(buf.as_bytes(), b"abcdAAA");
/// ```
#[derive(Debug)]
pub struct ReadUntil {
    seps: Separators,
    scan: Scan,
}

impl ReadUntil {
    /// A `readuntil(separator)` call.
    ///
    /// # Errors
    /// `ValueError('Separator should contain at least one element')` for an empty tuple;
    /// `ValueError('Separator should be at least one-byte string')` for an empty separator.
    pub fn new(seps: impl Into<Separators>) -> Result<Self, StreamError> {
        let seps = seps.into();
        seps.validate()?;
        Ok(ReadUntil { seps, scan: Scan::default() })
    }

    /// Where the next scan starts: bytes before it were already searched (less the overlap a
    /// separator split across chunks needs).
    pub fn offset(&self) -> usize {
        self.scan.offset()
    }
}

impl ReadOp for ReadUntil {
    type Output = Bytes;
    const NAME: &'static str = "readuntil";

    fn offset(&self) -> Option<usize> {
        Some(self.scan.offset())
    }

    #[inline]
    fn step(&mut self, buf: &mut StreamBuffer) -> Result<Option<Bytes>, StreamError> {
        self.scan.step(&self.seps, buf)
    }
}

/// The state of one `readuntil` call, apart from its separators: whether it has started and
/// where its next scan begins.
#[derive(Debug, Default)]
pub(super) struct Scan {
    offset: usize,
    started: bool,
}

impl Scan {
    /// Where the next scan starts.
    pub(super) fn offset(&self) -> usize {
        self.offset
    }

    #[inline]
    pub(super) fn step(
        &mut self,
        seps: &Separators,
        buf: &mut StreamBuffer,
    ) -> Result<Option<Bytes>, StreamError> {
        if !std::mem::replace(&mut self.started, true) {
            buf.check_exception()?;
        }
        let len = buf.len();
        // `offset` may lie past the end when another reader consumed while this one waited.
        if len >= self.offset.saturating_add(seps.min_len()) {
            if let Some((start, end)) = seps.find(buf.as_bytes(), self.offset) {
                if start > buf.limit() {
                    return Err(StreamError::LimitOverrun { overrun: Overrun::Found, consumed: start });
                }
                let data = buf.take(end);
                buf.after_consume();
                return Ok(Some(data));
            }
            self.offset = (len + 1).saturating_sub(seps.max_len());
            if self.offset > buf.limit() {
                return Err(StreamError::LimitOverrun { overrun: Overrun::NotFound, consumed: self.offset });
            }
        }
        if buf.is_eof() {
            return Err(StreamError::IncompleteRead { partial: buf.take_all(), expected: None });
        }
        Ok(None)
    }
}
