//! [`Connection`]: one connection's shared state — CPython's `StreamReaderProtocol` and
//! `FlowControlMixin`, and the write-side bookkeeping of its transport. Transports report to
//! it ([`data_received`](Connection::data_received), [`eof_received`](Connection::eof_received),
//! [`connection_lost`](Connection::connection_lost)); the [`StreamWriter`](super::StreamWriter)
//! acts through it.

use std::cell::RefCell;
use std::rc::{Rc, Weak};
use std::time::Duration;

use super::signal::{yield_now, Awaited, Signal};
use super::StreamReader;
use crate::runtime;
use crate::sansio::{PyException, StreamError};
use crate::transport::{ExtraInfo, Transport};
use crate::ReadTransport;

/// Write-side flow control: pause above this many buffered bytes (CPython's default high
/// water mark).
pub const HIGH_WATER: usize = 64 * 1024;
/// … and resume at or below this many (`high // 4`).
pub const LOW_WATER: usize = HIGH_WATER / 4;
/// How often a paused writer looks at the buffer (browsers fire no event when it drains).
const RESUME_POLL: Duration = Duration::from_millis(4);

/// One connection: its reader, its transport and the state CPython keeps between them.
pub struct Connection {
    reader: StreamReader,
    transport: RefCell<Option<Rc<dyn Transport>>>,
    state: RefCell<State>,
}

#[derive(Default)]
struct State {
    /// `transport.is_closing()`: `close()` was called or the connection was lost.
    closing: bool,
    /// `write_eof()` was called.
    eof_written: bool,
    /// Writes are dropped silently (lost, or closed with nothing left to flush).
    dropping: bool,
    /// `FlowControlMixin._connection_lost`.
    lost: bool,
    /// The "closed" future's result.
    closed: Option<Result<(), PyException>>,
    closed_waiters: Vec<Rc<Signal>>,
    /// Writing is paused (more than [`HIGH_WATER`] buffered).
    paused: bool,
    drain_waiters: Vec<Rc<Signal>>,
}

impl Connection {
    /// A connection that will feed `reader`.
    pub fn new(reader: StreamReader) -> Rc<Connection> {
        Rc::new(Connection { reader, transport: RefCell::new(None), state: RefCell::default() })
    }

    /// Attaches the transport (once it is connected); the reader's flow control now reaches it.
    pub fn attach(&self, transport: Rc<dyn Transport>) {
        let _ = self.reader.set_transport(Rc::new(ReadFlow(Rc::downgrade(&transport))));
        *self.transport.borrow_mut() = Some(transport);
    }

    /// The reader this connection feeds.
    pub fn reader(&self) -> &StreamReader {
        &self.reader
    }

    fn transport(&self) -> Option<Rc<dyn Transport>> {
        self.transport.borrow().clone()
    }

    // ---- what transports report ----

    /// Data from the peer. Ignored after a local `close()` (CPython stops reading at once).
    pub fn data_received(&self, data: &[u8]) {
        if !self.state.borrow().closing {
            let _ = self.reader.feed_data(data);
        }
    }

    /// The peer's EOF (half-close): the writer stays usable.
    pub fn eof_received(&self) {
        self.reader.feed_eof();
    }

    /// The connection is over: cleanly (`None`: the reader gets EOF and keeps its data) or
    /// with an exception (the reader, `drain()` and `wait_closed()` raise it). Once only.
    pub fn connection_lost(&self, exc: Option<PyException>) {
        let (closed_waiters, drain_waiters) = {
            let mut s = self.state.borrow_mut();
            if s.closed.is_some() {
                return;
            }
            let result = match &exc {
                None => Ok(()),
                Some(e) => Err(e.clone()),
            };
            s.closed = Some(result);
            s.lost = true;
            s.closing = true;
            s.dropping = true;
            let drains = if s.paused { std::mem::take(&mut s.drain_waiters) } else { Vec::new() };
            (std::mem::take(&mut s.closed_waiters), drains)
        };
        match &exc {
            None => self.reader.feed_eof(),
            Some(e) => self.reader.set_exception(e.clone()),
        }
        for waiter in closed_waiters {
            waiter.complete(exc.clone().map_or(Ok(()), Err));
        }
        for waiter in drain_waiters {
            waiter.complete(exc.clone().map_or(Ok(()), Err));
        }
    }

    // ---- what the writer does (see StreamWriter for the Python-facing documentation) ----

    pub(crate) fn write(self: &Rc<Self>, data: &[u8], method: &'static str) -> Result<(), StreamError> {
        let transport = {
            let s = self.state.borrow();
            if s.eof_written {
                return Err(StreamError::WriteAfterEof { method });
            }
            if data.is_empty() || s.dropping {
                return Ok(()); // CPython drops writes to a lost connection silently
            }
            self.transport()
        };
        if let Some(t) = transport {
            t.send(data);
            self.maybe_pause(&t);
        }
        Ok(())
    }

    /// CPython's `_maybe_pause_protocol`: above the high water mark, pause; a poll of the
    /// buffer then resumes at the low water mark.
    fn maybe_pause(self: &Rc<Self>, transport: &Rc<dyn Transport>) {
        if transport.buffered_amount() <= HIGH_WATER || self.state.borrow().paused {
            return;
        }
        self.state.borrow_mut().paused = true;
        let conn = Rc::downgrade(self);
        let _ = runtime::spawn_local(async move {
            loop {
                runtime::sleep(RESUME_POLL).await;
                let Some(conn) = conn.upgrade() else { return };
                if conn.state.borrow().lost {
                    return;
                }
                if conn.transport().is_none_or(|t| t.buffered_amount() <= LOW_WATER) {
                    conn.resume_writing();
                    return;
                }
            }
        });
    }

    /// `resume_writing()`: every drain waiter completes.
    fn resume_writing(&self) {
        let waiters = {
            let mut s = self.state.borrow_mut();
            s.paused = false;
            std::mem::take(&mut s.drain_waiters)
        };
        waiters.into_iter().for_each(|w| w.complete(Ok(())));
    }

    pub(crate) fn write_eof(&self) -> Result<(), StreamError> {
        let Some(t) = self.transport() else { return Ok(()) };
        if !t.can_write_eof() {
            return Err(StreamError::NotImplemented);
        }
        {
            let mut s = self.state.borrow_mut();
            if s.closing || s.eof_written {
                return Ok(());
            }
            s.eof_written = true;
        }
        t.send_eof();
        Ok(())
    }

    pub(crate) fn can_write_eof(&self) -> bool {
        self.transport().is_some_and(|t| t.can_write_eof())
    }

    pub(crate) fn close(&self) {
        let transport = {
            let mut s = self.state.borrow_mut();
            if s.closing {
                return;
            }
            s.closing = true;
            self.transport()
        };
        if let Some(t) = transport {
            // CPython: with nothing left to flush the connection counts as lost at once, and
            // later writes are dropped; otherwise they join the buffer until it is flushed.
            if t.buffered_amount() == 0 {
                self.state.borrow_mut().dropping = true;
            }
            t.close();
        }
    }

    pub(crate) fn is_closing(&self) -> bool {
        self.state.borrow().closing
    }

    pub(crate) async fn drain(&self) -> Result<(), StreamError> {
        if let Some(exc) = self.reader.exception() {
            return Err(StreamError::Raised(exc));
        }
        if self.is_closing() {
            // Let a pending connection_lost run first (bpo-25441).
            yield_now().await;
        }
        let waiter = {
            let mut s = self.state.borrow_mut();
            if s.lost {
                return Err(StreamError::Raised(PyException::new("ConnectionResetError", "Connection lost")));
            }
            if !s.paused {
                return Ok(());
            }
            let w = Signal::new();
            s.drain_waiters.push(Rc::clone(&w));
            w
        };
        Awaited(waiter).await.map_err(StreamError::Raised)
    }

    pub(crate) async fn wait_closed(&self) -> Result<(), StreamError> {
        let waiter = {
            let mut s = self.state.borrow_mut();
            match &s.closed {
                Some(Ok(())) => return Ok(()),
                Some(Err(e)) => return Err(StreamError::Raised(e.clone())),
                None => {
                    let w = Signal::new();
                    s.closed_waiters.push(Rc::clone(&w));
                    w
                }
            }
        };
        Awaited(waiter).await.map_err(StreamError::Raised)
    }

    pub(crate) fn extra_info(&self, name: &str) -> Option<ExtraInfo> {
        self.transport().and_then(|t| t.extra_info(name))
    }

    pub(crate) fn transport_repr(&self) -> String {
        self.transport().map_or_else(|| "None".to_owned(), |t| t.repr())
    }
}

/// The reader's flow-control hook, reaching the transport without owning it.
struct ReadFlow(Weak<dyn Transport>);

impl ReadTransport for ReadFlow {
    fn pause_reading(&self) {
        if let Some(t) = self.0.upgrade() {
            t.pause_reading();
        }
    }

    fn resume_reading(&self) {
        if let Some(t) = self.0.upgrade() {
            t.resume_reading();
        }
    }

    fn repr(&self) -> String {
        self.0.upgrade().map_or_else(|| "None".to_owned(), |t| t.repr())
    }
}
