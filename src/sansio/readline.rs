//! [`ReadLine`]: `readline()` — `readuntil(b'\n')` with EOF and overrun softened.

use bytes::Bytes;

use super::readuntil::Scan;
use super::{ReadOp, Separators, StreamBuffer, StreamError};

/// CPython's `readline()`.
///
/// Returns the line with its `\n`; at EOF the unterminated tail, or `b''` when nothing is left.
///
/// # Errors
/// A line longer than `limit` gives [`StreamError::LineTooLong`] (Python's `ValueError`) and is
/// **discarded**: through its newline when it is buffered, otherwise the whole buffer — so the
/// next `readline` may return the rest of that long line.
///
/// ```
/// use streamlab::sansio::{ReadLine, ReadOp, StreamBuffer};
/// let mut buf = StreamBuffer::new(3).unwrap();
/// buf.feed_data(b"abcd\nef\n").unwrap();
/// assert!(ReadLine::new().step(&mut buf).is_err());
/// assert_eq!(ReadLine::new().step(&mut buf).unwrap().unwrap(), &b"ef\n"[..]);
/// ```
#[derive(Debug)]
pub struct ReadLine(Scan);

const NEWLINE: Separators = Separators::byte(b'\n');

impl ReadLine {
    /// A `readline()` call.
    pub fn new() -> Self {
        ReadLine(Scan::default())
    }

    /// Where the next scan for `\n` starts (see [`ReadUntil::offset`](super::ReadUntil::offset)).
    pub fn offset(&self) -> usize {
        self.0.offset()
    }

    /// How many bytes from the front successive `readline()`s would return now, each without
    /// waiting or failing: whole lines, each with its `\n` at most `limit` bytes in (where
    /// CPython finds it and returns the line), and none while an exception is stored. Stops
    /// before the line that would take the total past `max`, so at least `max` bytes are not
    /// promised; the buffer is not touched.
    ///
    /// ```
    /// use streamlab::sansio::{ReadLine, StreamBuffer};
    /// let mut buf = StreamBuffer::new(3).unwrap();
    /// buf.feed_data(b"ab\ncd\nlong\nx").unwrap();
    /// assert_eq!(ReadLine::decided(&buf, usize::MAX), 6); // "long\n" overruns the limit
    /// assert_eq!(ReadLine::decided(&buf, 5), 3);
    /// ```
    pub fn decided(buf: &StreamBuffer, max: usize) -> usize {
        if buf.exception().is_some() {
            return 0;
        }
        let bytes = buf.as_bytes();
        let mut end = 0;
        while let Some(i) = memchr::memchr(b'\n', &bytes[end..bytes.len().min(end + buf.limit() + 1)]) {
            if end + i + 1 > max {
                break;
            }
            end += i + 1;
        }
        end
    }
}

impl Default for ReadLine {
    fn default() -> Self {
        Self::new()
    }
}

impl ReadOp for ReadLine {
    type Output = Bytes;
    /// CPython reports `readuntil`: readline is built on it.
    const NAME: &'static str = "readuntil";
    const METHOD: &'static str = "readline";

    fn offset(&self) -> Option<usize> {
        Some(self.0.offset())
    }

    #[inline]
    fn step(&mut self, buf: &mut StreamBuffer) -> Result<Option<Bytes>, StreamError> {
        match self.0.step(&NEWLINE, buf) {
            Err(StreamError::IncompleteRead { partial, .. }) => Ok(Some(partial)),
            Err(StreamError::LimitOverrun { overrun, consumed }) => {
                if buf.as_bytes().get(consumed) == Some(&b'\n') {
                    buf.discard(consumed + 1);
                } else {
                    buf.discard(buf.len());
                }
                buf.after_consume();
                Err(StreamError::LineTooLong { overrun, consumed })
            }
            other => other,
        }
    }
}
