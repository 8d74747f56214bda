//! [`open_connection`]: asyncio's `open_connection`, over the in-page demo servers or a relay.

use crate::sansio::{PyException, StreamError, DEFAULT_LIMIT};
use crate::stream::{Connection, StreamReader, StreamWriter};
use crate::{demo, transport};

/// Where connections go when not to an in-page demo server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Relay {
    /// The relay's WebSocket URL, e.g. `ws://127.0.0.1:8765` (`/connect` is added for
    /// `streamlab.v1`; a websockify URL is used as it is).
    pub url: String,
    /// A plain websockify endpoint (binary frames, close = EOF, target fixed by the server)
    /// instead of `streamlab.v1`.
    pub websockify: bool,
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
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions { limit: DEFAULT_LIMIT, ssl: false, server_hostname: None, relay: None }
    }
}

/// `await asyncio.open_connection(host, port, limit=…, ssl=…, server_hostname=…)`.
///
/// With no relay, `*.demo` hosts are the in-page demo servers (the same state machines the
/// relay runs): the embedded default. With a relay, every host goes through it.
///
/// # Errors
/// * `ValueError` for `limit=0` or `server_hostname` without `ssl`, before any connecting;
/// * `socket.gaierror` for a name that cannot be resolved (without a relay: anything but a
///   demo server);
/// * over a relay, the exception its close code stands for (`ConnectionRefusedError`,
///   `TimeoutError`, `PermissionError`, …).
pub async fn open_connection(
    host: &str,
    port: u16,
    opts: OpenOptions,
) -> Result<(StreamReader, StreamWriter), StreamError> {
    let reader = StreamReader::new(opts.limit)?;
    if opts.server_hostname.is_some() && !opts.ssl {
        return Err(StreamError::Raised(PyException::new(
            "ValueError",
            "server_hostname is only meaningful with ssl",
        )));
    }
    let conn = Connection::new(reader.clone());
    match &opts.relay {
        None => {
            let Some(demo) = demo::find(host, port) else {
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
            transport::memory::connect(demo, &conn).map_err(StreamError::Raised)?;
        }
        #[cfg(target_arch = "wasm32")]
        Some(relay) => transport::websocket::connect(relay, host, port, &opts, &conn).await?,
        #[cfg(not(target_arch = "wasm32"))]
        Some(_) => {
            return Err(StreamError::Raised(PyException::new(
                "NotImplementedError",
                "WebSocket relays are reached from the browser build",
            )))
        }
    }
    Ok((reader, StreamWriter::new(conn)))
}
