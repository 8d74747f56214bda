//! The relay wire format, `streamlab.v1` — pure, shared by the relay and the browser client.
//!
//! `ws[s]://RELAY/connect?host=H&port=P[&tls=1&sni=NAME][&token=T]` with subprotocol
//! [`SUBPROTOCOL`]; then [`Control`] text messages and binary data both ways; failures end with
//! a [`CloseCode`]. The full contract is `docs/protocol.md`.

mod close;
mod connect;
mod control;

pub use close::CloseCode;
pub use connect::ConnectRequest;
pub use control::Control;

/// The WebSocket subprotocol both sides must speak.
pub const SUBPROTOCOL: &str = "streamlab.v1";

/// The largest data frame the relay sends: TCP reads are coalesced up to this.
pub const MAX_DATA_FRAME: usize = 64 * 1024;

/// The largest message or frame either side accepts.
pub const MAX_MESSAGE: usize = 1024 * 1024;

/// The largest single credit grant.
pub const MAX_CREDIT_GRANT: u64 = 16 * 1024 * 1024;

/// The most credit a client may have outstanding at once.
pub const MAX_CREDIT_OUTSTANDING: u64 = 64 * 1024 * 1024;

/// The protocols a relay may speak (the client's choice of transport framing).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RelayProtocol {
    /// `streamlab.v1` (`docs/protocol.md`): any allowed target, half-close, credit flow
    /// control, typed close codes. `/connect` is added to the URL.
    #[default]
    StreamlabV1,
    /// A plain websockify endpoint: binary frames, close = EOF, the target fixed by the
    /// server; the URL is used as it is.
    Websockify,
}

/// The other side's text as an error may show it: a short prefix, escaped, so nothing a peer
/// sends reaches a log line or a close reason beyond a few dozen characters.
///
/// ```
/// # use streamlab::protocol::shown;
/// assert_eq!(shown("eof"), "\"eof\"");
/// assert_eq!(shown(&"x".repeat(1_000_000)).len(), 45);
/// assert_eq!(shown("a\nb"), "\"a\\nb\"");
/// ```
pub fn shown(text: &str) -> String {
    const SHOWN: usize = 40;
    match text.char_indices().nth(SHOWN) {
        Some((i, _)) => format!("{:?}…", &text[..i]),
        None => format!("{text:?}"),
    }
}

/// Why a message or request from the other side is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ProtocolError(pub String);
