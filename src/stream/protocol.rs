//! [`StreamProtocol`]: the stream side of one connection — CPython's `StreamReaderProtocol`
//! with its `FlowControlMixin`. The transport reports to it through
//! [`Protocol`](crate::transport::Protocol); the [`StreamWriter`](super::StreamWriter) acts
//! through it.

use std::cell::RefCell;
use std::fmt;
use std::rc::{Rc, Weak};

use super::observe::{EventKind, Observers};
use super::reader::{Call, ReadTransport};
use super::signal::{Awaited, Signal};
use super::snapshot::{CallArgs, WriterSnapshot};
use super::StreamReader;
use crate::runtime::yield_now;
use crate::sansio::{PyException, StreamError};
use crate::transport::{ExtraInfo, Protocol, Transport};

/// One connection's stream side: its reader, its transport once connected, and the state
/// CPython keeps between them.
pub struct StreamProtocol {
    reader: StreamReader,
    transport: RefCell<Option<Rc<dyn Transport>>>,
    state: RefCell<State>,
}

#[derive(Default)]
struct State {
    /// `close()` was called or the connection was lost.
    closing: bool,
    /// `write_eof()` was called.
    eof_written: bool,
    /// Writes are dropped silently (lost, or closed with nothing left to flush).
    dropping: bool,
    /// `FlowControlMixin._connection_lost`.
    lost: bool,
    /// The "closed" future's result.
    closed: Option<Result<(), PyException>>,
    /// A `wait_closed()` was cancelled: as in CPython, that cancelled the "closed" future
    /// itself, and every `wait_closed()` raises `CancelledError` from now on.
    closed_cancelled: bool,
    closed_waiters: Vec<Rc<Signal>>,
    /// Writing is paused (the transport called `pause_writing`).
    paused: bool,
    drain_waiters: Vec<Rc<Signal>>,
}

impl StreamProtocol {
    /// The protocol of a connection that will feed `reader`.
    pub fn new(reader: StreamReader) -> Rc<StreamProtocol> {
        Rc::new(StreamProtocol { reader, transport: RefCell::new(None), state: RefCell::default() })
    }

    /// The reader this connection feeds.
    pub fn reader(&self) -> &StreamReader {
        &self.reader
    }

    fn observers(&self) -> &Observers {
        self.reader.observers()
    }

    fn transport(&self) -> Option<Rc<dyn Transport>> {
        self.transport.borrow().clone()
    }

    // ---- what the writer does (see StreamWriter for the Python-facing documentation) ----

    pub(crate) fn write(&self, data: &[u8], method: &'static str) -> Result<(), StreamError> {
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
            self.observers().emit(EventKind::Write { method, size: data.len() });
            t.write(data);
        }
        Ok(())
    }

    pub(crate) fn write_eof(&self) -> Result<(), StreamError> {
        let Some(t) = self.transport() else { return Ok(()) };
        if !t.can_write_eof() {
            return Err(StreamError::NotImplemented);
        }
        {
            let mut s = self.state.borrow_mut();
            if s.closing || s.eof_written || t.is_closing() {
                return Ok(());
            }
            s.eof_written = true;
        }
        self.observers().emit(EventKind::WriteEof);
        t.write_eof();
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
        self.observers().emit(EventKind::Close);
        if let Some(t) = transport {
            // CPython: with nothing left to flush the connection counts as lost at once, and
            // later writes are dropped; otherwise they join the buffer until it is flushed.
            if t.get_write_buffer_size() == 0 {
                self.state.borrow_mut().dropping = true;
            }
            t.close();
        }
    }

    pub(crate) fn is_closing(&self) -> bool {
        self.state.borrow().closing || self.transport().is_some_and(|t| t.is_closing())
    }

    pub(crate) async fn drain(&self) -> Result<(), StreamError> {
        let mut call = Call::observed(self.observers(), "drain", &CallArgs::None);
        let result = self.drain_inner(&call).await;
        call.finish(result.as_ref().map(|()| None));
        result
    }

    async fn drain_inner(&self, call: &Call<'_>) -> Result<(), StreamError> {
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
        call.waits();
        // A cancelled drain leaves no waiter behind (CPython removes it in a `finally`).
        let _forget = Forget(&self.state, Rc::clone(&waiter));
        Awaited(waiter).await.map_err(StreamError::Raised)
    }

    pub(crate) async fn wait_closed(&self) -> Result<(), StreamError> {
        let mut call = Call::observed(self.observers(), "wait_closed", &CallArgs::None);
        if self.state.borrow().closed_cancelled {
            call.finish(Err(&StreamError::Cancelled));
            return Err(StreamError::Cancelled);
        }
        let waiter = {
            let mut s = self.state.borrow_mut();
            match &s.closed {
                Some(Ok(())) => None,
                Some(Err(e)) => Some(Err(e.clone())),
                None => {
                    let w = Signal::new();
                    s.closed_waiters.push(Rc::clone(&w));
                    Some(Ok(w))
                }
            }
        };
        let result = match waiter {
            None => Ok(()),
            Some(Err(e)) => Err(StreamError::Raised(e)),
            Some(Ok(w)) => {
                call.waits();
                let mut cancels = CancelsClosed(&self.state, true);
                let outcome = Awaited(w).await;
                cancels.1 = false;
                outcome.map_err(|e| match e.name() {
                    "CancelledError" => StreamError::Cancelled,
                    _ => StreamError::Raised(e),
                })
            }
        };
        call.finish(result.as_ref().map(|()| None));
        result
    }

    pub(crate) fn extra_info(&self, name: &str) -> Option<ExtraInfo> {
        self.transport().and_then(|t| t.extra_info(name))
    }

    pub(crate) fn transport_repr(&self) -> String {
        self.transport().map_or_else(|| "None".to_owned(), |t| t.repr())
    }

    /// The write side's state (see [`StreamWriter::snapshot`](super::StreamWriter::snapshot)).
    pub(crate) fn snapshot(&self) -> WriterSnapshot {
        super::lend::settle(); // lines handed out by a binding are read first (flow control)
        let t = self.transport();
        let is_closing = self.is_closing();
        let s = self.state.borrow();
        WriterSnapshot {
            write_buffer_size: t.as_ref().map_or(0, |t| t.get_write_buffer_size()),
            write_buffer_limits: t.as_ref().map_or((0, 0), |t| t.get_write_buffer_limits()),
            is_reading: !is_closing && t.as_ref().is_some_and(|t| t.is_reading()),
            is_closing,
            writing_paused: s.paused,
            eof_written: s.eof_written,
            lost: s.closed.clone().map(|r| r.err()),
            credit: t.as_ref().and_then(|t| t.credit()),
        }
    }
}

impl Protocol for StreamProtocol {
    /// Keeps the transport; the reader's flow control now reaches it.
    fn connection_made(&self, transport: Rc<dyn Transport>) {
        let _ = self.reader.set_transport(Rc::new(ReadFlow(Rc::downgrade(&transport))));
        *self.transport.borrow_mut() = Some(transport);
        self.observers().emit(EventKind::ConnectionMade);
    }

    /// Ignored after a local `close()` (CPython stops reading at once).
    fn data_received(&self, data: &[u8]) {
        if !self.state.borrow().closing {
            let _ = self.reader.feed_data(data);
        }
    }

    fn data_received_from(&self, data: &[u8], origin: Box<dyn std::any::Any>) {
        if !self.state.borrow().closing {
            let _ = self.reader.feed_data_from(data, origin);
        }
    }

    /// The writer stays usable.
    fn eof_received(&self) {
        self.reader.feed_eof();
    }

    /// Cleanly, the reader gets EOF and keeps its data; with an exception, the reader,
    /// `drain()` and `wait_closed()` raise it. Once only.
    fn connection_lost(&self, exc: Option<PyException>) {
        let (closed_waiters, drain_waiters) = {
            let mut s = self.state.borrow_mut();
            if s.closed.is_some() {
                return;
            }
            s.closed = Some(exc.clone().map_or(Ok(()), Err));
            s.lost = true;
            s.closing = true;
            s.dropping = true;
            let drains = if s.paused { std::mem::take(&mut s.drain_waiters) } else { Vec::new() };
            (std::mem::take(&mut s.closed_waiters), drains)
        };
        if self.observers().is_active() {
            self.observers().emit(EventKind::ConnectionLost { exc: exc.clone() });
        }
        match &exc {
            None => self.reader.feed_eof(),
            Some(e) => self.reader.set_exception(e.clone()),
        }
        for waiter in closed_waiters.into_iter().chain(drain_waiters) {
            waiter.complete(exc.clone().map_or(Ok(()), Err));
        }
    }

    fn pause_writing(&self) {
        self.state.borrow_mut().paused = true;
        self.observers().emit(EventKind::WritingPaused);
    }

    /// Every drain waiter completes.
    fn resume_writing(&self) {
        let waiters = {
            let mut s = self.state.borrow_mut();
            s.paused = false;
            std::mem::take(&mut s.drain_waiters)
        };
        self.observers().emit(EventKind::WritingResumed);
        waiters.into_iter().for_each(|w| w.complete(Ok(())));
    }

    fn credit_granted(&self, bytes: u64) {
        self.observers().emit(EventKind::CreditGranted { bytes });
    }
}

impl fmt::Debug for StreamProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<StreamProtocol transport={} reader={}>", self.transport_repr(), self.reader)
    }
}

/// Cancels the "closed" future when a waiting `wait_closed()` is dropped (CPython's
/// `wait_closed()` awaits that very future): every other waiter ends with `CancelledError`.
struct CancelsClosed<'a>(&'a RefCell<State>, bool);

impl Drop for CancelsClosed<'_> {
    fn drop(&mut self) {
        if !self.1 {
            return;
        }
        let waiters = {
            let mut s = self.0.borrow_mut();
            s.closed_cancelled = true;
            std::mem::take(&mut s.closed_waiters)
        };
        for w in waiters {
            w.complete(Err(PyException::new("CancelledError", "")));
        }
    }
}

/// Removes a drain waiter when its `drain()` ends, completed or cancelled.
struct Forget<'a>(&'a RefCell<State>, Rc<Signal>);

impl Drop for Forget<'_> {
    fn drop(&mut self) {
        self.0.borrow_mut().drain_waiters.retain(|w| !Rc::ptr_eq(w, &self.1));
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
