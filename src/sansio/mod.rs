//! The sans-I/O core: CPython 3.13.0's `StreamReader` semantics with no I/O, no waiting and no
//! clock.
//!
//! [`StreamBuffer`] holds the state; each read method is a [`ReadOp`] whose
//! [`step`](ReadOp::step) either finishes or answers `Ok(None)` — "wait for data, then step me
//! again". A driver (the async [`StreamReader`](crate::StreamReader), a test, a page showing the
//! buffer) decides how to wait.

mod buffer;
mod error;
mod pyliteral;
mod pyrepr;
mod read;
mod readexactly;
mod readline;
mod readuntil;
mod separator;

pub use buffer::{Flow, StreamBuffer, DEFAULT_LIMIT};
pub use error::{Overrun, PyException, StreamError, ValueError};
pub use pyliteral::{parse_bytes_arg, BytesArg, LiteralError};
pub use pyrepr::{py_bytes_repr, py_str_repr};
pub use read::Read;
pub use readexactly::ReadExactly;
pub use readline::ReadLine;
pub use readuntil::ReadUntil;
pub use separator::Separators;

/// One call of a read method, as a resumable state machine over a [`StreamBuffer`].
///
/// The first `step` is the call itself: it raises a stored exception and either finishes or
/// answers `Ok(None)`. After the driver's wait ends because data or EOF arrived, the next
/// `step` continues where the call stopped — as CPython's coroutine does after its `await`,
/// without checking the stored exception again. A wait that ends with an exception ends the
/// call with it; the driver does that, not `step`.
pub trait ReadOp {
    /// What the call returns.
    type Output;
    /// The name CPython's "already waiting" `RuntimeError` gives for this call.
    const NAME: &'static str;
    /// The method's own name (`readline` is `readuntil` in [`NAME`](Self::NAME)).
    const METHOD: &'static str = Self::NAME;

    /// Where the next scan for a separator starts, for calls that scan (a snapshot of a
    /// waiting call shows it).
    fn offset(&self) -> Option<usize> {
        None
    }

    /// Runs the call until it finishes or must wait (`Ok(None)`).
    ///
    /// # Errors
    /// The call's Python exception (see each operation).
    fn step(&mut self, buf: &mut StreamBuffer) -> Result<Option<Self::Output>, StreamError>;
}
