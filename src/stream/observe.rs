//! Observing a stream: the [`Event`]s a reader and its connection go through, delivered in
//! order to every observer.
//!
//! ```
//! use std::{cell::RefCell, rc::Rc};
//! use streamlab::stream::EventKind;
//! use streamlab::StreamReader;
//! futures::executor::block_on(async {
//!     let reader = StreamReader::new(4).unwrap();
//!     let seen = Rc::new(RefCell::new(Vec::new()));
//!     let log = Rc::clone(&seen);
//!     let _sub = reader.observe(move |e| log.borrow_mut().push(e.kind.clone()));
//!     reader.feed_data(b"ab\n").unwrap();
//!     reader.readline().await.unwrap();
//!     let seen = seen.borrow();
//!     assert_eq!(seen[0], EventKind::Chunk { size: 3 });
//!     assert!(matches!(&seen[1], EventKind::CallStarted { method: "readline", .. }));
//!     assert!(matches!(&seen[2], EventKind::CallFinished { outcome: Ok(Some(line)), .. } if line == "ab\n"));
//! });
//! ```

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::fmt;
use std::rc::{Rc, Weak};
use std::time::Duration;

use bytes::Bytes;

use crate::runtime;
use crate::sansio::{PyException, StreamError};

/// Something that happened, with when (the runtime's clock: [`runtime::now`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// Since the runtime's epoch (in a page: since it loaded streamlab).
    pub at: Duration,
    /// What happened.
    pub kind: EventKind,
}

/// The kinds of [`Event`], in the words of asyncio where it has them.
#[derive(Clone, Debug, PartialEq)]
pub enum EventKind {
    /// The transport is connected (`connection_made`).
    ConnectionMade,
    /// Bytes arrived (`data_received`, or `feed_data` on a bare reader).
    Chunk {
        /// How many.
        size: usize,
    },
    /// The peer's EOF (`eof_received` / `feed_eof`).
    Eof,
    /// An exception was stored in the reader (`set_exception`).
    Exception {
        /// The exception.
        exc: PyException,
    },
    /// The connection ended (`connection_lost`): `None` when it ended cleanly.
    ConnectionLost {
        /// Why, if not cleanly.
        exc: Option<PyException>,
    },
    /// The relay was granted this much more receive credit.
    CreditGranted {
        /// Bytes granted.
        bytes: u64,
    },
    /// The reader holds more than `2 × limit`: the transport stops reading.
    ReadingPaused,
    /// The transport reads again.
    ReadingResumed,
    /// A method was called (reads, `drain`, `wait_closed`).
    CallStarted {
        /// Which call (to match its waiting and finished events).
        id: u64,
        /// The method, e.g. `readuntil`.
        method: &'static str,
        /// Its arguments as Python source, e.g. `b'\r\n'`.
        args: String,
    },
    /// The call waits (for data, for the buffer to drain, for the end).
    CallWaiting {
        /// Which call.
        id: u64,
        /// For `readline`/`readuntil`: where the next scan for the separator starts.
        offset: Option<usize>,
    },
    /// The call returned or raised.
    CallFinished {
        /// Which call.
        id: u64,
        /// The method.
        method: &'static str,
        /// The bytes a read returned (`None` for `drain` and `wait_closed`), or its exception
        /// (`CancelledError` when the call was cancelled).
        outcome: Result<Option<Bytes>, StreamError>,
    },
    /// `write` / `writelines` handed this many bytes to the transport.
    Write {
        /// `write` or `writelines`.
        method: &'static str,
        /// Bytes.
        size: usize,
    },
    /// The transport's buffer went above the high-water mark (`pause_writing`).
    WritingPaused,
    /// … and drained to the low-water mark (`resume_writing`).
    WritingResumed,
    /// `write_eof()` half-closed the connection.
    WriteEof,
    /// `close()` was called.
    Close,
    /// This many events were dropped because observers kept producing events from inside
    /// their own callbacks (see [`Observers`]).
    Dropped {
        /// How many.
        count: u64,
    },
}

/// An observer: called once per event, in order.
pub type Observer = Rc<dyn Fn(&Event)>;

/// Keeps an observer subscribed; dropping it (or [`cancel`](Self::cancel)) unsubscribes.
#[must_use = "dropping a Subscription unsubscribes at once"]
pub struct Subscription {
    hub: Weak<Hub>,
    id: u64,
}

impl Subscription {
    /// Unsubscribes.
    pub fn cancel(self) {}

    /// Keeps the observer for as long as the stream lives.
    pub fn forever(mut self) {
        self.hub = Weak::new();
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        super::lend::settle(); // the leaving observer sees the events of what was handed out
        if let Some(hub) = self.hub.upgrade() {
            hub.observers.borrow_mut().retain(|(id, _)| *id != self.id);
            hub.active.set(!hub.observers.borrow().is_empty());
        }
    }
}

impl fmt::Debug for Subscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Subscription({})", self.id)
    }
}

/// The observers of one stream and the queue that keeps their events in order.
///
/// Nothing is built while nobody observes: every emitter first asks [`is_active`]
/// (one `Cell` read). Observers are called synchronously, with no borrow of the stream held,
/// so they may call back into it; the events those calls cause are queued and delivered
/// after the current one, in order. A slow observer therefore slows the stream instead of
/// piling events up, and the queue of reentrant events is bounded ([`QUEUE_CAP`]; beyond it
/// the oldest give way to one [`EventKind::Dropped`]).
///
/// [`is_active`]: Observers::is_active
#[derive(Clone, Default)]
pub struct Observers(Rc<Hub>);

/// The most reentrant events waiting for delivery.
pub const QUEUE_CAP: usize = 4096;

#[derive(Default)]
struct Hub {
    active: Cell<bool>,
    observers: RefCell<Vec<(u64, Observer)>>,
    next_id: Cell<u64>,
    queue: RefCell<VecDeque<Event>>,
    dropped: Cell<u64>,
    /// When the last dropped event happened: the `Dropped` event stands in its place, before
    /// the events that survived, so it carries that time (not its delivery's, which is later).
    dropped_at: Cell<Duration>,
    delivering: Cell<bool>,
    next_call: Cell<u64>,
}

impl Observers {
    /// Adds an observer.
    pub fn subscribe(&self, observer: Observer) -> Subscription {
        let id = self.0.next_id.get();
        self.0.next_id.set(id + 1);
        self.0.observers.borrow_mut().push((id, observer));
        self.0.active.set(true);
        Subscription { hub: Rc::downgrade(&self.0), id }
    }

    /// Whether anybody observes (emitters check this before building an event).
    #[inline]
    pub fn is_active(&self) -> bool {
        self.0.active.get()
    }

    /// A new call id.
    pub(crate) fn call_id(&self) -> u64 {
        let id = self.0.next_call.get();
        self.0.next_call.set(id + 1);
        id
    }

    /// Delivers `kind` now (or after the event being delivered). Call it with no borrow of
    /// the stream's state held.
    pub fn emit(&self, kind: EventKind) {
        // Lent lines read before now are read before this event (see `lend`).
        super::lend::settle();
        if !self.is_active() {
            return;
        }
        let hub = &self.0;
        {
            let mut queue = hub.queue.borrow_mut();
            if queue.len() >= QUEUE_CAP {
                if let Some(oldest) = queue.pop_front() {
                    hub.dropped_at.set(oldest.at);
                }
                hub.dropped.set(hub.dropped.get() + 1);
            }
            queue.push_back(Event { at: runtime::now(), kind });
        }
        if hub.delivering.replace(true) {
            return; // the outer emit delivers it, in order
        }
        // Even if an observer panics, the next emit delivers again.
        struct Delivering<'a>(&'a Cell<bool>);
        impl Drop for Delivering<'_> {
            fn drop(&mut self) {
                self.0.set(false);
            }
        }
        let _delivering = Delivering(&hub.delivering);
        loop {
            let dropped = hub.dropped.replace(0);
            let next = match dropped {
                0 => hub.queue.borrow_mut().pop_front(),
                count => Some(Event { at: hub.dropped_at.get(), kind: EventKind::Dropped { count } }),
            };
            let Some(event) = next else { break };
            let observers: Vec<Observer> = hub.observers.borrow().iter().map(|(_, o)| Rc::clone(o)).collect();
            for observer in observers {
                observer(&event);
            }
        }
    }
}

impl fmt::Debug for Observers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Observers({})", self.0.observers.borrow().len())
    }
}
