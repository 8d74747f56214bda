//! [`open_connection`]: asyncio's `open_connection` — it picks the transport (an in-page demo
//! server, or a relay in one of the protocols it speaks) and wires it to a
//! [`StreamProtocol`]. It sits above both the stream layer and the transports.

pub use crate::protocol::RelayProtocol;
use crate::sansio::{PyException, StreamError, DEFAULT_LIMIT};
use crate::stream::{StreamProtocol, StreamReader, StreamWriter};
use crate::{demo, transport};

/// A relay, and the protocol it speaks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Relay {
    /// The relay's WebSocket URL, e.g. `ws://127.0.0.1:8765`.
    pub url: String,
    /// What it speaks.
    pub protocol: RelayProtocol,
}

impl Relay {
    /// A `streamlab.v1` relay at `url`.
    pub fn streamlab(url: impl Into<String>) -> Relay {
        Relay { url: url.into(), protocol: RelayProtocol::StreamlabV1 }
    }

    /// A websockify endpoint at `url`.
    pub fn websockify(url: impl Into<String>) -> Relay {
        Relay { url: url.into(), protocol: RelayProtocol::Websockify }
    }
}

/// `open_connection`'s keyword arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenOptions {
    /// The reader's limit (default 64 KiB).
    pub limit: usize,
    /// Speak TLS to the target (through the relay).
    pub ssl: bool,
    /// The TLS server name (default: the host); only with `ssl`.
    pub server_hostname: Option<String>,
    /// The relay; `None` reaches only the in-page demo servers (`*.demo`).
    pub relay: Option<Relay>,
    /// A token for this target from the relay's owner (`streamlab-relay token`), for a relay
    /// started with `--token-secret`; only with a `streamlab.v1` relay.
    pub token: Option<String>,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions { limit: DEFAULT_LIMIT, ssl: false, server_hostname: None, relay: None, token: None }
    }
}

/// `await asyncio.open_connection(host, port, limit=…, ssl=…, server_hostname=…)`.
///
/// With no relay, `*.demo` hosts are the in-page demo servers (the same state machines the
/// relay runs): the embedded default. With a relay, every host goes through it.
///
/// # Errors
/// * `ValueError` for `limit=0`, port 0 or `server_hostname` without `ssl`, before any
///   connecting;
/// * `socket.gaierror` for a name that cannot be resolved (without a relay: anything but a
///   demo server's or an in-page server's name), `ConnectionRefusedError` for such a name on a
///   port nothing listens on;
/// * over a relay, the exception its close code stands for (`ConnectionRefusedError`,
///   `TimeoutError`, `PermissionError`, …).
///
/// # Cancel safety
/// Dropping it before it resolves cancels the connect: a WebSocket being opened is closed,
/// and nothing is left behind.
pub async fn open_connection(
    host: &str,
    port: u16,
    opts: OpenOptions,
) -> Result<(StreamReader, StreamWriter), StreamError> {
    let reader = StreamReader::new(opts.limit)?;
    if port == 0 {
        // Python parity: CPython lets the kernel refuse port 0; a page cannot try.
        return Err(StreamError::Raised(PyException::new("ValueError", "port must be 1 to 65535, got 0")));
    }
    if opts.server_hostname.is_some() && !opts.ssl {
        return Err(StreamError::Raised(PyException::new(
            "ValueError",
            "server_hostname is only meaningful with ssl",
        )));
    }
    if opts.token.is_some() && opts.relay.as_ref().is_none_or(|r| r.protocol != RelayProtocol::StreamlabV1) {
        return Err(StreamError::Raised(PyException::new(
            "ValueError",
            "token is only meaningful with a streamlab relay",
        )));
    }
    let protocol = StreamProtocol::new(reader.clone());
    // A server of this page's own (start_server) is reached first, relay or not.
    if let Some(connected) = crate::serve::connect(host, port, protocol.clone()) {
        if opts.ssl {
            return Err(StreamError::Raised(PyException::new(
                "SSLError",
                "in-page servers do not speak TLS",
            )));
        }
        connected.map_err(StreamError::Raised)?;
        return Ok((reader, StreamWriter::new(protocol)));
    }
    match &opts.relay {
        None => {
            let Some(demo) = demo::find(host, port) else {
                if demo::names_a_server(host) || crate::serve::serves_host(host) {
                    // The name resolves; nothing listens on the port. The address is the name:
                    // in-page hosts have no IP (as their peername).
                    let why = format!("Connect call failed ('{host}', {port})");
                    return Err(StreamError::Raised(PyException::with_errno(
                        "ConnectionRefusedError",
                        111,
                        why,
                    )));
                }
                let why = match demo::is_demo_host(host) {
                    true => "Name or service not known",
                    false => "Name or service not known (without a relay, only the in-page *.demo servers can be reached)",
                };
                return Err(StreamError::Raised(PyException::with_errno("gaierror", -2, why)));
            };
            if opts.ssl {
                return Err(StreamError::Raised(PyException::new(
                    "SSLError",
                    "the in-page demo servers do not speak TLS (use a relay for ssl=True)",
                )));
            }
            transport::memory::connect(demo, protocol.clone()).map_err(StreamError::Raised)?;
        }
        #[cfg(target_arch = "wasm32")]
        Some(relay) => {
            let target = transport::websocket::Target {
                url: &relay.url,
                protocol: relay.protocol,
                host,
                port,
                ssl: opts.ssl,
                server_hostname: opts.server_hostname.as_deref(),
                token: opts.token.as_deref(),
            };
            transport::websocket::connect(target, protocol.clone()).await?;
        }
        #[cfg(not(target_arch = "wasm32"))]
        Some(_) => {
            return Err(StreamError::Raised(PyException::new(
                "NotImplementedError",
                "WebSocket relays are reached from the browser build",
            )))
        }
    }
    Ok((reader, StreamWriter::new(protocol)))
}
