//! [`Control`]: the text messages of `streamlab.v1`.

use serde::{Deserialize, Serialize};

use super::{ProtocolError, MAX_CREDIT_GRANT};

/// A control message (a WebSocket text frame holding one JSON object).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum Control {
    /// Relay → client, once, when the TCP connection is up: the target's and the relay's
    /// socket addresses, as Python's `getpeername()` / `getsockname()` give them.
    Connected {
        /// `[ip, port]` of the target.
        peername: (String, u16),
        /// `[ip, port]` of the relay's end.
        sockname: (String, u16),
    },
    /// Either way: no more data from this side (TCP FIN). The other direction keeps flowing.
    Eof,
    /// Client → relay: the relay may send `bytes` more bytes of data.
    Credit {
        /// How many, 1 to [`MAX_CREDIT_GRANT`].
        bytes: u64,
    },
}

impl Control {
    /// Parses and validates a text message.
    ///
    /// ```
    /// use streamlab::protocol::Control;
    /// assert_eq!(Control::parse(r#"{"type":"credit","bytes":65536}"#), Ok(Control::Credit { bytes: 65536 }));
    /// assert!(Control::parse(r#"{"type":"credit","bytes":-1}"#).is_err());
    /// assert!(Control::parse(r#"{"type":"launch"}"#).is_err());
    /// ```
    ///
    /// # Errors
    /// Not JSON, an unknown type or field, or a credit outside 1 to [`MAX_CREDIT_GRANT`].
    pub fn parse(text: &str) -> Result<Control, ProtocolError> {
        let msg: Control =
            serde_json::from_str(text).map_err(|e| ProtocolError(format!("bad control message: {e}")))?;
        if let Control::Credit { bytes } = msg {
            if bytes == 0 || bytes > MAX_CREDIT_GRANT {
                return Err(ProtocolError(format!(
                    "credit must be 1 to {MAX_CREDIT_GRANT} bytes, got {bytes}"
                )));
            }
        }
        Ok(msg)
    }

    /// The message as JSON text.
    pub fn to_text(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}
