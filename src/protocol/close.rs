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
    ///
    /// A reset the relay saw as `Broken pipe` or `Connection reset by peer` (a write to, or a
    /// read from, the target failed; the relay adds what it was doing in parentheses) becomes
    /// CPython's own exception for it, `BrokenPipeError(32, 'Broken pipe')` or
    /// `ConnectionResetError(104, 'Connection reset by peer')`:
    ///
    /// ```
    /// use streamlab::protocol::CloseCode;
    /// let e = CloseCode::Reset.python_exception("Broken pipe (writing to the target)");
    /// assert_eq!(e.repr(), "BrokenPipeError(32, 'Broken pipe')");
    /// ```
    pub fn python_exception(self, reason: &str) -> PyException {
        match self {
            CloseCode::BadRequest => PyException::new("ValueError", reason),
            CloseCode::NotAllowed => PyException::with_errno("PermissionError", 13, reason),
            CloseCode::NotResolved => PyException::with_errno("gaierror", -2, reason),
            CloseCode::TooManyConnections => PyException::with_errno("ConnectionRefusedError", 111, reason),
            CloseCode::Refused => PyException::with_errno("ConnectionRefusedError", 111, reason),
            CloseCode::Reset => reset_exception(reason),
            CloseCode::ConnectTimeout => PyException::with_errno("TimeoutError", 110, reason),
            CloseCode::IdleTimeout => PyException::with_errno("TimeoutError", 110, reason),
        }
    }
}

/// CPython's exception for a reset the relay reports.
fn reset_exception(reason: &str) -> PyException {
    const PIPE: &str = "Broken pipe";
    const RESET: &str = "Connection reset by peer";
    if reason.starts_with(PIPE) {
        PyException::with_errno("BrokenPipeError", 32, PIPE)
    } else if reason.starts_with(RESET) {
        PyException::with_errno("ConnectionResetError", 104, RESET)
    } else {
        PyException::with_errno("ConnectionResetError", 104, reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips_and_maps_to_its_python_exception() {
        let expected = [
            (4400, "ValueError('r')"),
            (4403, "PermissionError(13, 'r')"),
            (4404, "gaierror(-2, 'r')"),
            (4429, "ConnectionRefusedError(111, 'r')"),
            (4502, "ConnectionRefusedError(111, 'r')"),
            (4503, "ConnectionResetError(104, 'r')"),
            (4504, "TimeoutError(110, 'r')"),
            (4508, "TimeoutError(110, 'r')"),
        ];
        for (code, (number, repr)) in CloseCode::ALL.into_iter().zip(expected) {
            assert_eq!(code.code(), number);
            assert_eq!(CloseCode::from_code(number), Some(code));
            assert_eq!(code.python_exception("r").repr(), repr, "{code:?}");
        }
        assert_eq!(CloseCode::from_code(1000), None);
        assert_eq!(CloseCode::from_code(4999), None);
    }

    #[test]
    fn resets_become_cpythons_own_exceptions() {
        let pipe = CloseCode::Reset.python_exception("Broken pipe (writing to the target)");
        assert_eq!((pipe.name(), pipe.errno(), pipe.message()), ("BrokenPipeError", Some(32), "Broken pipe"));
        let reset = CloseCode::Reset.python_exception("Connection reset by peer (reading from the target)");
        assert_eq!(reset.repr(), "ConnectionResetError(104, 'Connection reset by peer')");
        assert_eq!(reset.to_string(), "[Errno 104] Connection reset by peer");
        let other = CloseCode::Reset.python_exception("Network is unreachable (os error 101)");
        assert_eq!(other.message(), "Network is unreachable (os error 101)");
    }
}
