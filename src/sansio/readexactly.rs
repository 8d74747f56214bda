//! [`ReadExactly`]: `readexactly(n)` — exactly `n` bytes, or `IncompleteReadError` at EOF.

use bytes::Bytes;

use super::{ReadOp, StreamBuffer, StreamError, ValueError};

/// CPython's `readexactly(n)`. It ignores `limit`, and resumes a paused transport while it
/// waits, so `n` may exceed `2 × limit`.
///
/// # Errors
/// * `ValueError` for `n < 0` (before a stored exception is raised);
/// * `IncompleteRead { partial, expected: Some(n) }` at EOF, with the buffer emptied into
///   `partial`.
///
/// ```
/// use streamlab::sansio::{ReadExactly, ReadOp, StreamBuffer};
/// let mut buf = StreamBuffer::new(65536).unwrap();
/// buf.feed_data(b"abc").unwrap();
/// buf.feed_eof();
/// let err = ReadExactly::new(5).unwrap().step(&mut buf).unwrap_err();
/// assert_eq!(err.to_string(), "3 bytes read on a total of 5 expected bytes");
/// assert!(buf.is_empty());
/// ```
#[derive(Debug)]
pub struct ReadExactly {
    n: usize,
    started: bool,
}

impl ReadExactly {
    /// A `readexactly(n)` call.
    ///
    /// # Errors
    /// `ValueError('readexactly size can not be less than zero')` for `n < 0`.
    pub fn new(n: isize) -> Result<Self, StreamError> {
        let n = usize::try_from(n).map_err(|_| ValueError::NegativeSize)?;
        Ok(ReadExactly { n, started: false })
    }
}

impl ReadOp for ReadExactly {
    type Output = Bytes;
    const NAME: &'static str = "readexactly";

    fn step(&mut self, buf: &mut StreamBuffer) -> Result<Option<Bytes>, StreamError> {
        if !std::mem::replace(&mut self.started, true) {
            buf.check_exception()?;
            if self.n == 0 {
                return Ok(Some(Bytes::new()));
            }
        }
        if buf.len() >= self.n {
            let data = buf.take(self.n);
            buf.after_consume();
            return Ok(Some(data));
        }
        if buf.is_eof() {
            return Err(StreamError::IncompleteRead { partial: buf.take_all(), expected: Some(self.n) });
        }
        Ok(None)
    }
}
