//! [`CloseCode`]: the typed WebSocket close codes of `streamlab.v1`, and the Python exception
//! each one becomes.

use crate::sansio::PyException;

/// Why the relay ended a connection (WebSocket close code, with a human reason beside it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CloseCode {
    /// 4400: the request or a message was malformed.
    BadRequest,
    /// 4403: the target is not allowed by the relay's policy, or the token is bad.
    NotAllowed,
    /// 4404: the target name did not resolve.
    NotResolved,
    /// 4429: too many connections (globally or from this client address).
    TooManyConnections,
    /// 4502: the target refused the connection.
    Refused,
    /// 4503: the target reset the connection (or it failed mid-stream).
    Reset,
    /// 4504: connecting to the target timed out.
    ConnectTimeout,
    /// 4508: nothing moved either way for the idle timeout.
    IdleTimeout,
}

impl CloseCode {
    /// Every code, in numeric order.
    pub const ALL: [CloseCode; 8] = [
        CloseCode::BadRequest,
        CloseCode::NotAllowed,
        CloseCode::NotResolved,
        CloseCode::TooManyConnections,
        CloseCode::Refused,
        CloseCode::Reset,
        CloseCode::ConnectTimeout,
        CloseCode::IdleTimeout,
    ];

    /// The WebSocket close code.
    pub const fn code(self) -> u16 {
        match self {
            CloseCode::BadRequest => 4400,
            CloseCode::NotAllowed => 4403,
            CloseCode::NotResolved => 4404,
            CloseCode::TooManyConnections => 4429,
            CloseCode::Refused => 4502,
            CloseCode::Reset => 4503,
            CloseCode::ConnectTimeout => 4504,
            CloseCode::IdleTimeout => 4508,
        }
    }

    /// The code for a WebSocket close code, if it is one of ours.
    pub fn from_code(code: u16) -> Option<CloseCode> {
        Self::ALL.into_iter().find(|c| c.code() == code)
    }

    /// The exception a CPython user would see for this failure, with the relay's reason as
    /// its message.
    ///
    /// ```
    /// use streamlab::protocol::CloseCode;
    /// let e = CloseCode::Refused.python_exception("Connect call failed ('127.0.0.1', 9)");
    /// assert_eq!(e.repr(), "ConnectionRefusedError(111, \"Connect call failed ('127.0.0.1', 9)\")");
    /// ```
    pub fn python_exception(self, reason: &str) -> PyException {
        match self {
            CloseCode::BadRequest => PyException::new("ValueError", reason),
            CloseCode::NotAllowed => PyException::with_errno("PermissionError", 13, reason),
            CloseCode::NotResolved => PyException::with_errno("gaierror", -2, reason),
            CloseCode::TooManyConnections => PyException::with_errno("ConnectionRefusedError", 111, reason),
            CloseCode::Refused => PyException::with_errno("ConnectionRefusedError", 111, reason),
            CloseCode::Reset => PyException::with_errno("ConnectionResetError", 104, reason),
            CloseCode::ConnectTimeout => PyException::with_errno("TimeoutError", 110, reason),
            CloseCode::IdleTimeout => PyException::with_errno("TimeoutError", 110, reason),
        }
    }
}
