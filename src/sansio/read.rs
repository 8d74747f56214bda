//! [`Read`]: `read(n)` — up to `n` bytes as soon as any are buffered; `n < 0` reads to EOF.

use bytes::{Bytes, BytesMut};

use super::{ReadOp, StreamBuffer, StreamError};

/// CPython's `read(n)`.
///
/// * `n == 0`: `b''` at once (after raising a stored exception).
/// * `n > 0`: waits only while the buffer is empty and EOF has not come, then returns up to `n`
///   bytes — possibly fewer; `b''` at EOF. It ignores `limit`.
/// * `n < 0`: repeated `read(limit)` until one returns `b''`; the blocks are joined. A failure
///   part-way loses the blocks already taken, as in CPython.
///
/// ```
/// use streamlab::sansio::{Read, ReadOp, StreamBuffer};
/// let mut buf = StreamBuffer::new(65536).unwrap();
/// let mut read = Read::new(100);
/// assert_eq!(read.step(&mut buf).unwrap(), None); // must wait
/// buf.feed_data(b"abc").unwrap();
/// assert_eq!(read.step(&mut buf).unwrap().unwrap(), &b"abc"[..]);
/// ```
#[derive(Debug)]
pub struct Read {
    n: isize,
    waiting: bool,
    blocks: Vec<Bytes>,
}

impl Read {
    /// A `read(n)` call.
    pub fn new(n: isize) -> Self {
        Read { n, waiting: false, blocks: Vec::new() }
    }

    /// One inner `read(n)` for `n > 0`: a new call raises a stored exception and waits on an
    /// empty buffer; a woken call takes what is there, even nothing (CPython's race).
    fn block(&mut self, buf: &mut StreamBuffer, n: usize) -> Result<Option<Bytes>, StreamError> {
        if !std::mem::take(&mut self.waiting) {
            buf.check_exception()?;
            if buf.is_empty() && !buf.is_eof() {
                self.waiting = true;
                return Ok(None);
            }
        }
        let data = buf.take(n);
        buf.after_consume();
        Ok(Some(data))
    }
}

impl ReadOp for Read {
    type Output = Bytes;
    const NAME: &'static str = "read";

    fn step(&mut self, buf: &mut StreamBuffer) -> Result<Option<Bytes>, StreamError> {
        match self.n {
            0 => buf.check_exception().map(|()| Some(Bytes::new())),
            n if n > 0 => self.block(buf, n.unsigned_abs()),
            _ => loop {
                match self.block(buf, buf.limit())? {
                    None => return Ok(None),
                    Some(block) if block.is_empty() => return Ok(Some(join(&mut self.blocks))),
                    Some(block) => self.blocks.push(block),
                }
            },
        }
    }
}

fn join(blocks: &mut Vec<Bytes>) -> Bytes {
    match blocks.len() {
        0 => Bytes::new(),
        1 => blocks.pop().unwrap_or_default(),
        _ => {
            let mut out = BytesMut::with_capacity(blocks.iter().map(Bytes::len).sum());
            blocks.drain(..).for_each(|b| out.extend_from_slice(&b));
            out.freeze()
        }
    }
}
