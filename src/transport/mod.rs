//! Transports: what carries a connection's bytes. The stream layer sees only [`Transport`];
//! transports see only the [`Connection`](crate::stream::Connection) they report to.
//!
//! * [`memory`]: the in-page demo servers (the embedded default, no relay needed);
//! * `websocket` (browser only): a relay speaking `streamlab.v1`, or a plain websockify.

pub mod memory;
#[cfg(target_arch = "wasm32")]
pub mod websocket;

/// What `get_extra_info(name)` can answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExtraInfo {
    /// `peername` / `sockname`: `(host, port)`.
    Address(String, u16),
    /// `sslcontext`: the connection uses TLS.
    SslContext,
    /// `socket`: a stand-in for CPython's `TransportSocket` (there is no socket in a page).
    Socket {
        /// Local address.
        laddr: (String, u16),
        /// Remote address.
        raddr: (String, u16),
    },
}

/// What the stream layer needs from a transport (CPython's transport methods, minus what the
/// [`Connection`](crate::stream::Connection) decides itself: dropping writes after a loss,
/// EOF bookkeeping, flow-control state).
pub trait Transport {
    /// Sends bytes now or as soon as possible, in order.
    fn send(&self, data: &[u8]);
    /// Half-closes: no more data from this side.
    fn send_eof(&self);
    /// Local close: deliver no more data, flush what was written, then report
    /// `connection_lost(None)` (on a later tick, never from inside this call).
    fn close(&self);
    /// Bytes written but not yet passed to the network (the write-side flow control reads it).
    fn buffered_amount(&self) -> usize;
    /// Stop delivering data (the reader holds more than `2 × limit`).
    fn pause_reading(&self);
    /// Deliver data again.
    fn resume_reading(&self);
    /// Whether `write_eof()` is possible (CPython: not over TLS).
    fn can_write_eof(&self) -> bool;
    /// `get_extra_info(name)`, or `None` for an unknown name.
    fn extra_info(&self, name: &str) -> Option<ExtraInfo>;
    /// The transport's `repr()`.
    fn repr(&self) -> String;
}
