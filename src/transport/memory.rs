//! The memory transport: a connection to an in-page demo server (`echo.demo:7`, …), the
//! embedded default when there is no relay. The demo peer is the very state machine the relay
//! runs behind TCP; here a task drives it, with the page's timers, and behaves as that TCP
//! connection through the relay would:
//!
//! * what the peer has written so far arrives as one chunk, up to the relay's frame size
//!   ([`MAX_DATA_FRAME`]), as one TCP read through the relay does;
//! * a peer that closes its socket answers a later write with a reset: the first late write
//!   is accepted (the peer's RST is on its way), the next one fails the connection with
//!   `BrokenPipeError(32, 'Broken pipe')` — CPython over TCP on Linux.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::{pin, Pin};
use std::rc::{Rc, Weak};
use std::task::{Context, Poll, Waker};

use bytes::{Bytes, BytesMut};

use super::{ExtraInfo, Protocol, Transport};
use crate::demo::{Action, Demo, Peer};
use crate::protocol::MAX_DATA_FRAME;
use crate::runtime::{self, Instant};
use crate::sansio::PyException;

/// A connection to an in-page demo server.
pub struct MemoryTransport {
    demo: &'static Demo,
    start: Instant,
    peer: RefCell<Box<dyn Peer + Send>>,
    /// Bytes the peer produced beyond the last chunk's frame size.
    carry: RefCell<Bytes>,
    protocol: Weak<dyn Protocol>,
    state: Cell<State>,
    kick: Kick,
}

#[derive(Clone, Copy, Default)]
struct State {
    closing: bool,
    client_eof: bool,
    peer_eof: bool,
    /// The peer closed its socket (not only half-closed).
    peer_closed: bool,
    /// A write reached the closed peer: its RST is on the way.
    reset_sent: bool,
    /// … and has arrived: the next write fails.
    reset_arrived: bool,
    /// A write failed: the connection is lost on the next tick.
    broken: bool,
    paused: bool,
}

/// Connects `protocol` to `demo`: the peer runs in a task of its own from now on.
///
/// # Errors
/// Natively, outside [`run`](crate::run).
pub fn connect(demo: &'static Demo, protocol: Rc<dyn Protocol>) -> Result<Rc<MemoryTransport>, PyException> {
    let transport = Rc::new(MemoryTransport {
        demo,
        start: Instant::now(),
        peer: RefCell::new(demo.start()),
        carry: RefCell::default(),
        protocol: Rc::downgrade(&protocol),
        state: Cell::default(),
        kick: Kick::default(),
    });
    protocol.connection_made(Rc::clone(&transport) as Rc<dyn Transport>);
    runtime::spawn_local(drive(Rc::clone(&transport)))?;
    Ok(transport)
}

impl MemoryTransport {
    fn update(&self, f: impl FnOnce(&mut State)) {
        let mut s = self.state.get();
        f(&mut s);
        self.state.set(s);
        self.kick.kick();
    }

    /// What the peer sends next, coalesced up to a frame, and what comes after it.
    fn next_chunk(&self) -> (Bytes, Next) {
        let mut out = BytesMut::new();
        let mut carry = self.carry.borrow_mut();
        let mut peer = self.peer.borrow_mut();
        loop {
            if carry.is_empty() {
                match peer.poll(self.start.elapsed()) {
                    Action::Send(bytes) => *carry = bytes,
                    Action::Wait(until) => return (out.freeze(), Next::Wait(until)),
                    Action::Shutdown => return (out.freeze(), Next::Shutdown),
                    Action::Close => return (out.freeze(), Next::Close),
                }
            }
            let n = carry.len().min(MAX_DATA_FRAME - out.len());
            out.extend_from_slice(&carry.split_to(n));
            if out.len() == MAX_DATA_FRAME {
                return (out.freeze(), Next::More);
            }
        }
    }
}

/// What follows a chunk.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Next {
    /// The frame is full and the peer has more.
    More,
    /// The peer waits (for input, or until then).
    Wait(Option<std::time::Duration>),
    /// The peer half-closed.
    Shutdown,
    /// The peer closed its socket.
    Close,
}

/// Runs the peer: delivers what it sends (a chunk per tick, as TCP reads through the relay
/// arrive), honours read pauses, sleeps until its timers, and ends the connection when the
/// page closes it or a write broke it.
async fn drive(t: Rc<MemoryTransport>) {
    // Chunks follow each other on microtask ticks; after FAIR of work, the driver waits for
    // the page's next frame to be drawn, so a fast demo stream cannot freeze the page (a
    // timer's turn alone is not enough: browsers run ready timers before rendering). 5 ms, a
    // third of a 60 Hz frame, leaves the page's views and the paint the rest: 8 ms missed
    // frames (docs/benchmarks.md, the page's budgets).
    const FAIR: std::time::Duration = std::time::Duration::from_millis(5);
    let mut turn = Instant::now();
    loop {
        let Some(protocol) = t.protocol.upgrade() else { return };
        let s = t.state.get();
        if s.broken {
            protocol.connection_lost(Some(PyException::with_errno("BrokenPipeError", 32, "Broken pipe")));
            return;
        }
        // Both sides sent EOF: as over TCP, the connection is over only once the page closes.
        if s.closing {
            protocol.connection_lost(None);
            return;
        }
        if s.reset_sent && !s.reset_arrived {
            t.update(|s| s.reset_arrived = true); // one tick: the RST's round trip
        }
        let (chunk, end) =
            if s.paused || s.peer_eof { (Bytes::new(), Next::Wait(None)) } else { t.next_chunk() };
        if !chunk.is_empty() {
            protocol.data_received(&chunk);
        }
        match end {
            Next::Shutdown | Next::Close => {
                t.update(|s| {
                    s.peer_eof = true;
                    s.peer_closed = end == Next::Close;
                });
                protocol.eof_received();
            }
            Next::More | Next::Wait(_) if !chunk.is_empty() => {
                drop(protocol);
                if turn.elapsed() >= FAIR {
                    runtime::after_frame().await;
                    turn = Instant::now();
                } else {
                    runtime::yield_now().await; // the next chunk on a later tick
                }
            }
            Next::More => {}
            Next::Wait(until) => {
                drop(protocol);
                let timer = async {
                    match until {
                        Some(at) => runtime::sleep(at.saturating_sub(t.start.elapsed())).await,
                        None => std::future::pending().await,
                    }
                };
                let kicked = t.kick.wait();
                let waiting = Instant::now();
                futures::future::select(pin!(timer), pin!(kicked)).await;
                // A reader that pauses and resumes wakes us on microtasks: only a long wait
                // (the page idle) leaves the renderer its turn and starts a new slice.
                if waiting.elapsed() >= FAIR {
                    turn = Instant::now();
                }
            }
        }
    }
}

impl std::fmt::Debug for MemoryTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.repr())
    }
}

impl Transport for MemoryTransport {
    fn write(&self, data: &[u8]) {
        let s = self.state.get();
        if s.closing || s.broken {
            return;
        }
        if s.peer_closed {
            // TCP: the closed peer answers with RST; a write after it arrived fails (EPIPE).
            match s.reset_arrived {
                false => self.update(|s| s.reset_sent = true),
                true => self.update(|s| s.broken = true),
            }
            return;
        }
        self.peer.borrow_mut().on_data(data, self.start.elapsed());
        self.kick.kick();
    }

    fn write_eof(&self) {
        if !self.state.get().peer_closed {
            self.peer.borrow_mut().on_eof(self.start.elapsed());
        }
        self.update(|s| s.client_eof = true);
    }

    fn can_write_eof(&self) -> bool {
        true
    }

    fn close(&self) {
        self.update(|s| s.closing = true);
    }

    fn is_closing(&self) -> bool {
        let s = self.state.get();
        s.closing || s.broken
    }

    fn get_write_buffer_size(&self) -> usize {
        0 // the peer takes every byte at once
    }

    fn pause_reading(&self) {
        self.update(|s| s.paused = true);
    }

    fn resume_reading(&self) {
        self.update(|s| s.paused = false);
    }

    fn is_reading(&self) -> bool {
        let s = self.state.get();
        !s.paused && !s.closing && !s.broken
    }

    /// # Python parity
    /// There is no socket in a page: `peername` is the demo's name and port,
    /// `sockname` is `('page', 0)`.
    fn extra_info(&self, name: &str) -> Option<ExtraInfo> {
        ExtraInfo::of_addresses(name, &("page".to_owned(), 0), &(self.demo.host.to_owned(), self.demo.port))
    }

    fn repr(&self) -> String {
        let state = if self.is_closing() { " closing" } else { "" };
        format!("<MemoryTransport {}:{}{state}>", self.demo.host, self.demo.port)
    }
}

/// A wake-up for the driver: set by any event, consumed when the driver looks.
#[derive(Default)]
struct Kick {
    pending: Cell<bool>,
    waker: Cell<Option<Waker>>,
}

impl Kick {
    fn kick(&self) {
        self.pending.set(true);
        if let Some(w) = self.waker.take() {
            w.wake();
        }
    }

    fn wait(&self) -> impl Future<Output = ()> + '_ {
        KickFuture(self)
    }
}

struct KickFuture<'a>(&'a Kick);

impl Future for KickFuture<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0.pending.replace(false) {
            Poll::Ready(())
        } else {
            self.0.waker.set(Some(cx.waker().clone()));
            Poll::Pending
        }
    }
}
