//! The errors of the stream layer, each one a Python exception with CPython 3.13.0's text.
//!
//! [`StreamError`]'s `Display` is exactly what `str(exc)` prints in CPython, and
//! [`StreamError::python_name`] is the exception's class name, so a console or a JS binding can
//! show the very error a Python user would see.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;

use super::pyrepr::py_str_repr;

/// Why `readuntil` gave up: the two `LimitOverrunError` messages of CPython.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overrun {
    /// The separator is in the buffer, but more than `limit` bytes stand before it.
    Found,
    /// No separator yet, and the bytes that cannot start one already exceed `limit`.
    NotFound,
}

impl fmt::Display for Overrun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Overrun::Found => "Separator is found, but chunk is longer than limit",
            Overrun::NotFound => "Separator is not found, and chunk exceed the limit",
        })
    }
}

/// The `ValueError`s that validate a call's arguments (raised before a stored exception).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueError {
    /// `StreamReader(limit=0)`.
    LimitNotPositive,
    /// `readuntil(())`.
    NoSeparator,
    /// `readuntil(b'')`, or a tuple holding `b''`.
    EmptySeparator,
    /// `readexactly(-1)`.
    NegativeSize,
}

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ValueError::LimitNotPositive => "Limit cannot be <= 0",
            ValueError::NoSeparator => "Separator should contain at least one element",
            ValueError::EmptySeparator => "Separator should be at least one-byte string",
            ValueError::NegativeSize => "readexactly size can not be less than zero",
        })
    }
}

/// A Python exception object from outside the stream layer, such as the
/// `ConnectionResetError` a transport stores with `set_exception`.
///
/// Clones share one object, as a re-raised Python exception is the same object each time
/// ([`PyException::is`] tells).
///
/// ```
/// use streamlab::PyException;
/// let e = PyException::with_errno("ConnectionResetError", 104, "Connection reset by peer");
/// assert_eq!(e.to_string(), "[Errno 104] Connection reset by peer");
/// assert_eq!(e.repr(), "ConnectionResetError(104, 'Connection reset by peer')");
/// ```
#[derive(Clone, Debug)]
pub struct PyException(Arc<ExceptionData>);

#[derive(Debug, PartialEq, Eq)]
struct ExceptionData {
    name: String,
    errno: Option<i32>,
    message: String,
}

impl PyException {
    /// An exception `name(message)`; an empty message gives `name()`.
    pub fn new(name: impl Into<String>, message: impl Into<String>) -> Self {
        Self(Arc::new(ExceptionData { name: name.into(), errno: None, message: message.into() }))
    }

    /// An `OSError`-family exception `name(errno, message)`.
    pub fn with_errno(name: impl Into<String>, errno: i32, message: impl Into<String>) -> Self {
        Self(Arc::new(ExceptionData { name: name.into(), errno: Some(errno), message: message.into() }))
    }

    /// The class name, e.g. `ConnectionResetError`.
    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// The `errno` attribute, for the `OSError` family.
    pub fn errno(&self) -> Option<i32> {
        self.0.errno
    }

    /// The message without the `[Errno N]` prefix (`strerror` for the `OSError` family).
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// Whether both are the same object (Python's `is`).
    pub fn is(&self, other: &PyException) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// Python's `repr(exc)`.
    pub fn repr(&self) -> String {
        let d = &self.0;
        match (d.errno, d.message.is_empty()) {
            (Some(errno), _) => format!("{}({errno}, {})", d.name, py_str_repr(&d.message)),
            (None, true) => format!("{}()", d.name),
            (None, false) => format!("{}({})", d.name, py_str_repr(&d.message)),
        }
    }
}

impl PartialEq for PyException {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl fmt::Display for PyException {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.errno {
            Some(errno) => write!(f, "[Errno {errno}] {}", self.0.message),
            None => f.write_str(&self.0.message),
        }
    }
}

impl std::error::Error for PyException {}

/// Every error a `StreamReader` operation can end with.
///
/// After `IncompleteRead` and `ValueError`s the reader stays usable; after `LimitOverrun` the
/// buffer is untouched and the same call fails again until the caller drains it; after
/// `Raised` every later read fails the same way.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum StreamError {
    /// `asyncio.IncompleteReadError`: EOF came first. The buffer was emptied into `partial`;
    /// `expected` is `None` for `readuntil` (the message then says `undefined`).
    #[error("{} bytes read on a total of {} expected bytes", partial.len(), Expected(*expected))]
    IncompleteRead {
        /// Every byte that was buffered.
        partial: Bytes,
        /// `readexactly`'s `n`, or `None` from `readuntil`.
        expected: Option<usize>,
    },
    /// `asyncio.LimitOverrunError` from `readuntil`; the buffer is left as it was.
    #[error("{overrun}")]
    LimitOverrun {
        /// Which of the two cases.
        overrun: Overrun,
        /// Found: where the separator starts. Not found: how many leading bytes cannot start one.
        consumed: usize,
    },
    /// `ValueError` from `readline` on an over-long line (its `__context__` is the
    /// `LimitOverrunError`): the line was discarded through its newline, or the whole buffer
    /// was when no newline had arrived.
    #[error("{overrun}")]
    LineTooLong {
        /// The `LimitOverrunError`'s case; the message is the same.
        overrun: Overrun,
        /// The `LimitOverrunError`'s `consumed`.
        consumed: usize,
    },
    /// A `ValueError` for a bad argument.
    #[error("{0}")]
    Value(ValueError),
    /// `RuntimeError`: a second operation had to wait while one already waits.
    /// `op` is `read`, `readuntil` (also for `readline`) or `readexactly`.
    #[error("{op}() called while another coroutine is already waiting for incoming data")]
    ConcurrentWait {
        /// The operation that found the slot taken.
        op: &'static str,
    },
    /// `RuntimeError('Cannot call write() after write_eof()')` (or `writelines()`).
    #[error("Cannot call {method}() after write_eof()")]
    WriteAfterEof {
        /// `write` or `writelines`.
        method: &'static str,
    },
    /// `NotImplementedError()`: `write_eof()` over TLS, which cannot half-close.
    #[error("")]
    NotImplemented,
    /// `AssertionError`: a transport fed data after EOF, or set a second transport.
    #[error("{0}")]
    Assertion(&'static str),
    /// The exception set by `set_exception`, raised again by every later read.
    #[error("{0}")]
    Raised(PyException),
    /// `asyncio.CancelledError`: the call was cancelled while it waited (in Rust: its future
    /// was dropped). What it had not consumed stays buffered, as in CPython.
    #[error("")]
    Cancelled,
}

impl StreamError {
    /// The Python class name of this error, e.g. `IncompleteReadError`.
    pub fn python_name(&self) -> &str {
        match self {
            StreamError::IncompleteRead { .. } => "IncompleteReadError",
            StreamError::LimitOverrun { .. } => "LimitOverrunError",
            StreamError::LineTooLong { .. } | StreamError::Value(_) => "ValueError",
            StreamError::ConcurrentWait { .. } | StreamError::WriteAfterEof { .. } => "RuntimeError",
            StreamError::NotImplemented => "NotImplementedError",
            StreamError::Cancelled => "CancelledError",
            StreamError::Assertion(_) => "AssertionError",
            StreamError::Raised(exc) => exc.name(),
        }
    }

    /// The last line CPython's REPL prints for it (the traceback's), e.g.
    /// `asyncio.exceptions.IncompleteReadError: 3 bytes read on a total of 5 expected bytes`.
    ///
    /// ```
    /// use streamlab::{PyException, StreamError};
    /// let e = StreamError::Raised(PyException::with_errno("gaierror", -2, "Name or service not known"));
    /// assert_eq!(e.traceback_line(), "socket.gaierror: [Errno -2] Name or service not known");
    /// assert_eq!(StreamError::Cancelled.traceback_line(), "asyncio.exceptions.CancelledError");
    /// ```
    pub fn traceback_line(&self) -> String {
        let name = self.python_name();
        let module = match name {
            "IncompleteReadError" | "LimitOverrunError" | "CancelledError" | "InvalidStateError" => {
                "asyncio.exceptions."
            }
            "gaierror" | "herror" => "socket.",
            "SSLError" | "SSLCertVerificationError" => "ssl.",
            _ => "",
        };
        match self.to_string() {
            message if message.is_empty() => format!("{module}{name}"),
            message => format!("{module}{name}: {message}"),
        }
    }

    /// Python's `repr(exc)`, e.g. `IncompleteReadError('3 bytes read on a total of 5 expected bytes')`.
    pub fn repr(&self) -> String {
        match self {
            StreamError::Raised(exc) => exc.repr(),
            StreamError::NotImplemented => "NotImplementedError()".to_owned(),
            StreamError::Cancelled => "CancelledError()".to_owned(),
            other => format!("{}({})", other.python_name(), py_str_repr(&other.to_string())),
        }
    }
}

impl From<ValueError> for StreamError {
    fn from(e: ValueError) -> Self {
        StreamError::Value(e)
    }
}

struct Expected(Option<usize>);

impl fmt::Display for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(n) => write!(f, "{n}"),
            None => f.write_str("undefined"),
        }
    }
}
