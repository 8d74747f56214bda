//! Transports: what carries a connection's bytes — CPython's Transport/Protocol split.
//!
//! A transport reports to a [`Protocol`] (the stream layer's
//! [`StreamProtocol`](crate::stream::StreamProtocol) is the one this crate has) and is driven
//! through [`Transport`]. Transports know only these two traits, never the stream layer.
//!
//! * [`memory`]: the in-page demo servers (the embedded default, no relay needed);
//! * `websocket` (browser only): a relay speaking `streamlab.v1`, or a plain websockify;
//! * [`credit`], [`held`], [`sent_log`], [`write_flow`]: the pure bookkeeping those transports
//!   share.

pub mod credit;
pub mod held;
pub mod memory;
pub mod pipe;
pub mod sent_log;
#[cfg(target_arch = "wasm32")]
pub mod websocket;
pub mod write_flow;

use std::rc::Rc;

use crate::sansio::PyException;

pub use credit::{Credit, CreditWindow};
pub use held::{Held, HeldQueue, Payload};
pub use write_flow::{WriteFlow, HIGH_WATER, LOW_WATER};

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

impl ExtraInfo {
    /// `peername`, `sockname` or `socket` of a connection between `local` and `peer`; `None`
    /// for other names (a transport answers those itself).
    pub fn of_addresses(name: &str, local: &(String, u16), peer: &(String, u16)) -> Option<ExtraInfo> {
        match name {
            "peername" => Some(ExtraInfo::Address(peer.0.clone(), peer.1)),
            "sockname" => Some(ExtraInfo::Address(local.0.clone(), local.1)),
            "socket" => Some(ExtraInfo::Socket { laddr: local.clone(), raddr: peer.clone() }),
            _ => None,
        }
    }

    /// Python's `repr()` of the value, e.g. `('127.0.0.1', 80)`.
    ///
    /// ```
    /// use streamlab::transport::ExtraInfo;
    /// assert_eq!(ExtraInfo::Address("echo.demo".into(), 7).repr(), "('echo.demo', 7)");
    /// ```
    pub fn repr(&self) -> String {
        let address =
            |(host, port): &(String, u16)| format!("({}, {port})", crate::sansio::py_str_repr(host));
        match self {
            ExtraInfo::Address(host, port) => address(&(host.clone(), *port)),
            ExtraInfo::SslContext => "<ssl.SSLContext object>".to_owned(),
            ExtraInfo::Socket { laddr, raddr } => {
                format!("<asyncio.TransportSocket laddr={}, raddr={}>", address(laddr), address(raddr))
            }
        }
    }
}

/// What a transport reports, CPython's `asyncio.Protocol` (and `BaseProtocol`'s write-side
/// flow control).
///
/// Transports call these with no borrow of their own state held: a protocol may call back
/// into the transport.
pub trait Protocol {
    /// The transport is connected (CPython's `connection_made(transport)`).
    fn connection_made(&self, transport: Rc<dyn Transport>);
    /// Bytes from the peer.
    fn data_received(&self, data: &[u8]);
    /// Bytes from the peer that came in `origin` (a WebSocket message's own buffer), which
    /// the transport gives up: a read that returns exactly them may hand it out instead of a
    /// copy ([`StreamReader::feed_data_from`](crate::StreamReader::feed_data_from)).
    fn data_received_from(&self, data: &[u8], origin: Box<dyn std::any::Any>) {
        let _ = origin;
        self.data_received(data);
    }
    /// The peer's EOF (half-close): the protocol may still write.
    fn eof_received(&self);
    /// The connection is over: `None` when it ended cleanly, else why. Called once.
    fn connection_lost(&self, exc: Option<PyException>);
    /// The transport's write buffer went above its high-water mark.
    fn pause_writing(&self);
    /// … and back to its low-water mark or below.
    fn resume_writing(&self);
    /// streamlab's addition, for observers: the transport granted the relay `bytes` more of
    /// receive credit.
    fn credit_granted(&self, _bytes: u64) {}
}

/// What a protocol drives (CPython's `asyncio.Transport` methods).
pub trait Transport {
    /// `write(data)`: sends now or as soon as possible, in order. Above the high-water mark
    /// the transport calls [`Protocol::pause_writing`], and `resume_writing` once it drained.
    fn write(&self, data: &[u8]);
    /// `write_eof()`: half-closes, no more data from this side.
    fn write_eof(&self);
    /// `can_write_eof()` (CPython: not over TLS).
    fn can_write_eof(&self) -> bool;
    /// `close()`: deliver no more data, flush what was written, then report
    /// `connection_lost(None)` on a later tick, never from inside this call.
    fn close(&self);
    /// `is_closing()`: closed, or failing (a `connection_lost` with an error is on its way).
    fn is_closing(&self) -> bool;
    /// `get_write_buffer_size()`: bytes written but not yet passed to the network.
    fn get_write_buffer_size(&self) -> usize;
    /// `get_write_buffer_limits()`: `(low, high)`.
    fn get_write_buffer_limits(&self) -> (usize, usize) {
        (LOW_WATER, HIGH_WATER)
    }
    /// `pause_reading()`: stop delivering data (the reader holds more than `2 × limit`).
    fn pause_reading(&self);
    /// `resume_reading()`: deliver data again.
    fn resume_reading(&self);
    /// `is_reading()`: not paused and not closing.
    fn is_reading(&self) -> bool;
    /// `get_extra_info(name)`, or `None` for an unknown name.
    fn extra_info(&self, name: &str) -> Option<ExtraInfo>;
    /// The receive credit the relay holds, for transports that grant it.
    fn credit(&self) -> Option<Credit> {
        None
    }
    /// The transport's `repr()`.
    fn repr(&self) -> String;
}
