//! The demo servers, as sans-I/O state machines: the relay runs them behind real TCP on
//! loopback, the page runs the very same ones in memory.
//!
//! A driver feeds a [`Peer`] what the client sends ([`on_data`](Peer::on_data),
//! [`on_eof`](Peer::on_eof)) and asks it what to do next ([`poll`](Peer::poll)) whenever it
//! can write, passing the time since the connection began: no clock, no I/O here.

mod big;
mod drip;
mod echo;
mod example;
mod lines;
mod silent;

use std::time::Duration;

use bytes::Bytes;

pub use big::{Big, BIG_LINE};
pub use drip::Drip;
pub use echo::Echo;
pub use example::{Example, PAGE};
pub use lines::{Lines, MAX_LINES};
pub use silent::Silent;

/// What a peer does next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Send these bytes, then poll again.
    Send(Bytes),
    /// Half-close: send FIN; the peer still reads. Poll again.
    Shutdown,
    /// Close the connection (FIN, and stop reading). Nothing follows.
    Close,
    /// Nothing to do until more input comes, or until this time if given.
    Wait(Option<Duration>),
}

/// A scripted server.
pub trait Peer {
    /// Bytes from the client.
    fn on_data(&mut self, data: &[u8], now: Duration);
    /// The client's FIN.
    fn on_eof(&mut self, now: Duration);
    /// The next action. A driver polls until it gets [`Action::Wait`] or [`Action::Close`],
    /// and again after input or when the wait time has come. It polls only while it can
    /// write, so a peer that produces a lot produces it in pieces.
    fn poll(&mut self, now: Duration) -> Action;
}

/// A demo server's name, port and what it shows.
#[derive(Clone, Copy, Debug)]
pub struct Demo {
    /// Its virtual host name, e.g. `echo.demo`.
    pub host: &'static str,
    /// Its port.
    pub port: u16,
    /// One line on what it does and what it teaches.
    pub summary: &'static str,
    make: fn() -> Box<dyn Peer + Send>,
}

impl Demo {
    /// A fresh peer for one connection.
    pub fn start(&self) -> Box<dyn Peer + Send> {
        (self.make)()
    }
}

/// Every demo server.
pub const DEMOS: &[Demo] = &[
    Demo {
        host: "echo.demo",
        port: 7,
        summary: "echoes every byte; half-close it and it half-closes",
        make: || Box::new(Echo::default()),
    },
    Demo {
        host: "example.demo",
        port: 80,
        summary: "an HTTP/1.0 and 1.1 server with a small HTML page (404 elsewhere)",
        make: || Box::new(Example::default()),
    },
    Demo {
        host: "drip.demo",
        port: 9000,
        summary: "a reply in small pieces with pauses: reads return partial data",
        make: || Box::new(Drip::default()),
    },
    Demo {
        host: "lines.demo",
        port: 9001,
        summary: "send N and a newline: N numbered lines come back",
        make: || Box::new(Lines::default()),
    },
    Demo {
        host: "silent.demo",
        port: 9002,
        summary: "accepts and never sends nor closes: EOF never comes",
        make: || Box::new(Silent),
    },
    Demo {
        host: "big.demo",
        port: 9003,
        summary: "a line longer than 64 KiB: readline overruns the default limit",
        make: || Box::new(Big::default()),
    },
];

/// The demo at `host:port` (host compared without case), if there is one.
///
/// ```
/// assert_eq!(streamlab::demo::find("Echo.Demo", 7).map(|d| d.port), Some(7));
/// assert!(streamlab::demo::find("echo.demo", 8).is_none());
/// ```
pub fn find(host: &str, port: u16) -> Option<&'static Demo> {
    DEMOS.iter().find(|d| d.port == port && d.host.eq_ignore_ascii_case(host))
}

/// Whether `host` is the name of a demo server (on any of its ports): it resolves, so a
/// connect to a port no demo serves is refused, as a real host's would be.
///
/// ```
/// assert!(streamlab::demo::names_a_server("Echo.demo"));
/// assert!(!streamlab::demo::names_a_server("nosuch.demo"));
/// ```
pub fn names_a_server(host: &str) -> bool {
    DEMOS.iter().any(|d| d.host.eq_ignore_ascii_case(host))
}

/// Whether `host` is a demo name (`*.demo`), which only the relay and the page resolve.
pub fn is_demo_host(host: &str) -> bool {
    host.len() > 5 && host[host.len() - 5..].eq_ignore_ascii_case(".demo")
}

/// Runs a peer to quiescence in tests: everything it sends until it waits or closes.
#[cfg(test)]
pub(crate) fn drain(peer: &mut dyn Peer, now: Duration) -> (Vec<u8>, Action) {
    let mut out = Vec::new();
    loop {
        match peer.poll(now) {
            Action::Send(b) => out.extend_from_slice(&b),
            other => return (out, other),
        }
    }
}
