//! The memory transport: a connection to an in-page demo server (`echo.demo:7`, …), the
//! embedded default when there is no relay. The demo peer is the very state machine the relay
//! runs behind TCP; here a task drives it, with the page's timers.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::{pin, Pin};
use std::rc::{Rc, Weak};
use std::task::{Context, Poll, Waker};

use crate::demo::{Action, Demo, Peer};
use crate::runtime::{self, Instant};
use crate::sansio::PyException;
use crate::stream::Connection;
use crate::transport::{ExtraInfo, Transport};

/// A connection to an in-page demo server.
pub struct MemoryTransport {
    demo: &'static Demo,
    start: Instant,
    peer: RefCell<Box<dyn Peer + Send>>,
    conn: Weak<Connection>,
    state: Cell<State>,
    kick: Kick,
}

#[derive(Clone, Copy, Default)]
struct State {
    closing: bool,
    client_eof: bool,
    peer_eof: bool,
    paused: bool,
}

/// Connects `conn` to `demo`: the peer runs in a task of its own from now on.
///
/// # Errors
/// Natively, outside [`run`](crate::run).
pub fn connect(demo: &'static Demo, conn: &Rc<Connection>) -> Result<Rc<MemoryTransport>, PyException> {
    let transport = Rc::new(MemoryTransport {
        demo,
        start: Instant::now(),
        peer: RefCell::new(demo.start()),
        conn: Rc::downgrade(conn),
        state: Cell::default(),
        kick: Kick::default(),
    });
    conn.attach(Rc::clone(&transport) as Rc<dyn Transport>);
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
}

/// Runs the peer: delivers what it sends (one piece per tick, as packets arrive), honours
/// read pauses, sleeps until its timers, and ends the connection when both sides are done or
/// the page closes it.
async fn drive(t: Rc<MemoryTransport>) {
    loop {
        let Some(conn) = t.conn.upgrade() else { return };
        let s = t.state.get();
        if s.closing {
            conn.connection_lost(None);
            return;
        }
        if s.peer_eof && s.client_eof {
            conn.connection_lost(None);
            return;
        }
        let action = if s.paused || s.peer_eof {
            Action::Wait(None)
        } else {
            t.peer.borrow_mut().poll(t.start.elapsed())
        };
        match action {
            Action::Send(bytes) => {
                conn.data_received(&bytes);
                drop(conn);
                crate::stream::yield_now().await;
            }
            Action::Shutdown | Action::Close => {
                t.update(|s| s.peer_eof = true);
                conn.eof_received();
            }
            Action::Wait(until) => {
                drop(conn);
                let timer = async {
                    match until {
                        Some(at) => runtime::sleep(at.saturating_sub(t.start.elapsed())).await,
                        None => std::future::pending().await,
                    }
                };
                let kicked = t.kick.wait();
                futures::future::select(pin!(timer), pin!(kicked)).await;
            }
        }
    }
}

impl Transport for MemoryTransport {
    fn send(&self, data: &[u8]) {
        if !self.state.get().closing {
            self.peer.borrow_mut().on_data(data, self.start.elapsed());
            self.kick.kick();
        }
    }

    fn send_eof(&self) {
        self.peer.borrow_mut().on_eof(self.start.elapsed());
        self.update(|s| s.client_eof = true);
    }

    fn close(&self) {
        self.update(|s| s.closing = true);
    }

    fn buffered_amount(&self) -> usize {
        0 // the peer takes every byte at once
    }

    fn pause_reading(&self) {
        self.update(|s| s.paused = true);
    }

    fn resume_reading(&self) {
        self.update(|s| s.paused = false);
    }

    fn can_write_eof(&self) -> bool {
        true
    }

    /// # Python parity
    /// There is no socket in a page: `peername` is the demo's name and port,
    /// `sockname` is `('page', 0)`.
    fn extra_info(&self, name: &str) -> Option<ExtraInfo> {
        let peer = (self.demo.host.to_owned(), self.demo.port);
        let local = ("page".to_owned(), 0);
        match name {
            "peername" => Some(ExtraInfo::Address(peer.0, peer.1)),
            "sockname" => Some(ExtraInfo::Address(local.0, local.1)),
            "socket" => Some(ExtraInfo::Socket { laddr: local, raddr: peer }),
            _ => None,
        }
    }

    fn repr(&self) -> String {
        let state = if self.state.get().closing { " closing" } else { "" };
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
