//! [`Control`]: the text messages of `streamlab.v1`.

use serde::Serialize;
use serde_json::Value;

use super::{shown, ProtocolError, MAX_CREDIT_GRANT};

/// A control message (a WebSocket text frame holding one JSON object).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
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
    /// assert!(Control::parse(r#"{"type":"eof","x":1}"#).is_err());
    /// ```
    ///
    /// # Errors
    /// Not JSON, an unknown type or field, or a credit outside 1 to [`MAX_CREDIT_GRANT`].
    pub fn parse(text: &str) -> Result<Control, ProtocolError> {
        let bad = |why: String| ProtocolError(format!("bad control message: {why}"));
        let value: Value = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
        let obj = value.as_object().ok_or_else(|| bad("expected a JSON object".into()))?;
        let kind =
            obj.get("type").and_then(Value::as_str).ok_or_else(|| bad("\"type\" is missing".into()))?;
        let fields: &[&str] = match kind {
            "eof" => &["type"],
            "credit" => &["type", "bytes"],
            "connected" => &["type", "peername", "sockname"],
            other => return Err(bad(format!("unknown type {}", shown(other)))),
        };
        if let Some(extra) = obj.keys().find(|k| !fields.contains(&k.as_str())) {
            return Err(bad(format!("unknown field {} in {kind:?}", shown(extra))));
        }
        match kind {
            "eof" => Ok(Control::Eof),
            "credit" => match obj.get("bytes").and_then(Value::as_u64) {
                Some(bytes) if (1..=MAX_CREDIT_GRANT).contains(&bytes) => Ok(Control::Credit { bytes }),
                _ => Err(ProtocolError(format!(
                    "credit must be 1 to {MAX_CREDIT_GRANT} bytes, got {}",
                    obj.get("bytes").map_or("nothing".to_owned(), |v| shown(&v.to_string()))
                ))),
            },
            _ => {
                let addr = |name: &str| -> Result<(String, u16), ProtocolError> {
                    let pair = obj.get(name).and_then(Value::as_array).filter(|a| a.len() == 2);
                    let ip = pair.and_then(|a| a[0].as_str());
                    let port = pair.and_then(|a| a[1].as_u64()).and_then(|p| u16::try_from(p).ok());
                    match (ip, port) {
                        (Some(ip), Some(port)) => Ok((ip.to_owned(), port)),
                        _ => Err(bad(format!("{name} must be [ip, port]"))),
                    }
                };
                Ok(Control::Connected { peername: addr("peername")?, sockname: addr("sockname")? })
            }
        }
    }

    /// The message as JSON text.
    pub fn to_text(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}
