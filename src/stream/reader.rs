//! [`StreamReader`]: asyncio's `StreamReader`, async and exact, over the sans-I/O core.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::rc::Rc;

use bytes::Bytes;
use futures::Stream;

use super::lend;
use super::observe::{EventKind, Observers, Subscription};
use super::origins::Origins;
use super::snapshot::{CallArgs, ReaderSnapshot, WaitingCall};
use super::waiter::WaiterSlot;
use crate::sansio::{
    Flow, PyException, Read, ReadExactly, ReadLine, ReadOp, ReadUntil, Separators, StreamBuffer, StreamError,
};

/// How many buffered bytes [`StreamReader::snapshot`] copies out.
pub const SNAPSHOT_WINDOW: usize = 4096;

/// What a reader tells the transport that feeds it (CPython's `pause_reading` and
/// `resume_reading`).
pub trait ReadTransport {
    /// More than `2 × limit` bytes are buffered: stop delivering data.
    fn pause_reading(&self);
    /// Deliver data again.
    fn resume_reading(&self);
    /// The transport's `repr()` in the reader's `repr()`.
    fn repr(&self) -> String {
        "<Transport>".to_owned()
    }
}

/// asyncio's `StreamReader`: a transport feeds it, the application awaits reads.
///
/// A cheap handle (clones share one reader), single-threaded like an asyncio event loop.
/// Reads finish without suspending when the buffer already decides them. Only one read may
/// wait at a time. [`snapshot`](Self::snapshot) shows its state and
/// [`observe`](Self::observe) every change.
///
/// # Cancel safety
/// Dropping a read's future cancels it, as `task.cancel()` cancels a CPython read: it leaves
/// the reader exactly as CPython's (the waiter slot is free again; see each method for what
/// stays buffered), and observers see the call finish with `CancelledError`.
///
/// ```
/// use streamlab::StreamReader;
/// futures::executor::block_on(async {
///     let reader = StreamReader::new(65536).unwrap();
///     reader.feed_data(b"line1\nline2").unwrap();
///     reader.feed_eof();
///     assert_eq!(reader.readline().await.unwrap(), &b"line1\n"[..]);
///     assert_eq!(reader.read(-1).await.unwrap(), &b"line2"[..]);
///     assert!(reader.at_eof());
/// });
/// ```
#[derive(Clone)]
pub struct StreamReader(Rc<Shared>);

struct Shared {
    buf: RefCell<StreamBuffer>,
    waiter: WaiterSlot,
    transport: RefCell<Option<Rc<dyn ReadTransport>>>,
    observers: Observers,
    /// The call that waits (for snapshots).
    waiting: RefCell<Option<WaitingCall>>,
    /// What the chunks fed with [`StreamReader::feed_data_from`] came in.
    origins: RefCell<Origins>,
    /// The last read's result, if one step took it: where it starts and how long it is, and
    /// its address (which tells it from any other result alive), for [`StreamReader::take_origin`].
    last_read: Cell<Option<LastRead>>,
}

/// See `Shared::last_read`.
#[derive(Clone, Copy)]
struct LastRead {
    addr: usize,
    len: usize,
    start: u64,
}

impl StreamReader {
    /// `StreamReader(limit)`.
    ///
    /// # Errors
    /// `ValueError('Limit cannot be <= 0')`.
    pub fn new(limit: usize) -> Result<Self, StreamError> {
        StreamBuffer::new(limit).map(Self::from_buffer)
    }

    fn from_buffer(buf: StreamBuffer) -> Self {
        StreamReader(Rc::new(Shared {
            buf: RefCell::new(buf),
            waiter: WaiterSlot::default(),
            transport: RefCell::new(None),
            observers: Observers::default(),
            waiting: RefCell::new(None),
            origins: RefCell::default(),
            last_read: Cell::new(None),
        }))
    }

    /// Attaches the transport and turns on read-side flow control.
    ///
    /// # Errors
    /// `AssertionError('Transport already set')` the second time.
    pub fn set_transport(&self, transport: Rc<dyn ReadTransport>) -> Result<(), StreamError> {
        let mut slot = self.0.transport.borrow_mut();
        if slot.is_some() {
            return Err(StreamError::Assertion("Transport already set"));
        }
        *slot = Some(transport);
        self.0.buf.borrow_mut().enable_flow_control();
        Ok(())
    }

    /// Data from the peer; wakes a waiting read. Empty data is ignored.
    ///
    /// # Errors
    /// `AssertionError('feed_data after feed_eof')`.
    pub fn feed_data(&self, data: &[u8]) -> Result<(), StreamError> {
        lend::settle();
        let mut buf = self.0.buf.borrow_mut();
        buf.feed_data(data)?;
        let flow = buf.has_flow();
        drop(buf);
        if data.is_empty() {
            return Ok(());
        }
        self.0.observers.emit(EventKind::Chunk { size: data.len() });
        if flow {
            self.flush_flow();
        }
        self.0.waiter.wake(Ok(()));
        Ok(())
    }

    /// [`feed_data`](Self::feed_data) of a chunk that came in `origin` (a message's own buffer):
    /// a read that returns exactly this chunk's bytes may hand out `origin` instead of a copy
    /// ([`take_origin`](Self::take_origin)).
    ///
    /// ```
    /// use streamlab::StreamReader;
    /// futures::executor::block_on(async {
    ///     let reader = StreamReader::new(65536).unwrap();
    ///     reader.feed_data_from(b"abc", Box::new("message 1")).unwrap();
    ///     let got = reader.read(100).await.unwrap();
    ///     let origin = reader.take_origin(&got).unwrap();
    ///     assert_eq!(origin.downcast_ref::<&str>(), Some(&"message 1"));
    /// });
    /// ```
    ///
    /// # Errors
    /// As [`feed_data`](Self::feed_data).
    pub fn feed_data_from(&self, data: &[u8], origin: Box<dyn std::any::Any>) -> Result<(), StreamError> {
        lend::settle();
        let start = {
            let buf = self.0.buf.borrow();
            buf.consumed() + buf.len() as u64
        };
        self.feed_data(data)?;
        if !data.is_empty() {
            self.0.origins.borrow_mut().push(start, data.len(), origin);
        }
        Ok(())
    }

    /// The origin of the chunk that `got`, what a read just returned, is exactly, if it is one
    /// ([`feed_data_from`](Self::feed_data_from)); `None` for anything else (part of a chunk,
    /// several, bytes fed by hand, or not the latest read's result).
    pub fn take_origin(&self, got: &Bytes) -> Option<Box<dyn std::any::Any>> {
        let last = self.0.last_read.get()?;
        if (last.addr, last.len) != (got.as_ptr() as usize, got.len()) {
            return None;
        }
        self.0.last_read.set(None);
        self.0.origins.borrow_mut().take(last.start, last.len)
    }

    /// The peer's EOF; wakes a waiting read. Buffered data stays readable.
    pub fn feed_eof(&self) {
        lend::settle();
        let mut buf = self.0.buf.borrow_mut();
        let first = !buf.is_eof();
        buf.feed_eof();
        drop(buf);
        if first {
            self.0.observers.emit(EventKind::Eof);
        }
        self.0.waiter.wake(Ok(()));
    }

    /// Stores `exc`: a waiting read raises it, and so does every later read.
    pub fn set_exception(&self, exc: PyException) {
        lend::settle();
        self.0.buf.borrow_mut().set_exception(exc.clone());
        if self.0.observers.is_active() {
            self.0.observers.emit(EventKind::Exception { exc: exc.clone() });
        }
        self.0.waiter.wake(Err(exc));
    }

    /// Calls `observer` with every [`Event`](super::Event) of this reader (and, for a reader
    /// of a connection, of its writer and transport) until the [`Subscription`] is dropped.
    pub fn observe(&self, observer: impl Fn(&super::Event) + 'static) -> Subscription {
        lend::settle(); // a new observer sees no event of reads before it came
        self.0.observers.subscribe(Rc::new(observer))
    }

    /// The observers (the connection emits its events through its reader's).
    pub(crate) fn observers(&self) -> &Observers {
        &self.0.observers
    }

    /// The reader's state now, with the first [`SNAPSHOT_WINDOW`] buffered bytes.
    ///
    /// ```
    /// use streamlab::StreamReader;
    /// let reader = StreamReader::new(8).unwrap();
    /// reader.feed_data(b"abc").unwrap();
    /// let snap = reader.snapshot();
    /// assert_eq!((snap.buffered, &snap.window[..], snap.limit), (3, &b"abc"[..], 8));
    /// assert!(snap.waiting.is_none() && !snap.eof && !snap.paused);
    /// ```
    pub fn snapshot(&self) -> ReaderSnapshot {
        self.snapshot_window(0, SNAPSHOT_WINDOW)
    }

    /// [`snapshot`](Self::snapshot), with `len` buffered bytes from `start` in its window.
    pub fn snapshot_window(&self, start: usize, len: usize) -> ReaderSnapshot {
        lend::settle();
        let buf = self.0.buf.borrow();
        let bytes = buf.as_bytes();
        let start = start.min(bytes.len());
        let end = start.saturating_add(len).min(bytes.len());
        ReaderSnapshot {
            buffered: bytes.len(),
            window_start: start,
            window: Bytes::copy_from_slice(&bytes[start..end]),
            limit: buf.limit(),
            eof: buf.is_eof(),
            exception: buf.exception().cloned(),
            paused: buf.is_paused(),
            waiting: self.0.waiting.borrow().clone(),
        }
    }

    /// The stored exception.
    pub fn exception(&self) -> Option<PyException> {
        lend::settle();
        self.0.buf.borrow().exception().cloned()
    }

    /// `at_eof()`: EOF was fed and the buffer is empty.
    pub fn at_eof(&self) -> bool {
        lend::settle();
        self.0.buf.borrow().at_eof()
    }

    /// The `limit`.
    pub fn limit(&self) -> usize {
        self.0.buf.borrow().limit()
    }

    /// A copy of the unread bytes, for display.
    pub fn buffered(&self) -> Bytes {
        lend::settle();
        Bytes::copy_from_slice(self.0.buf.borrow().as_bytes())
    }

    /// Whether a read is waiting for data.
    pub fn is_waiting(&self) -> bool {
        lend::settle();
        self.0.waiter.is_taken()
    }

    /// Whether the transport is paused by flow control.
    pub fn is_paused(&self) -> bool {
        lend::settle();
        self.0.buf.borrow().is_paused()
    }

    /// `read(n)`: up to `n` bytes once any are there (`b''` at EOF); `n < 0` reads to EOF.
    /// See [`Read`].
    ///
    /// # Errors
    /// A stored exception; `RuntimeError` if another read waits.
    ///
    /// # Cancel safety
    /// Dropping it loses nothing for `n ≥ 0`; for `n < 0` the blocks already taken are lost,
    /// as in CPython.
    pub async fn read(&self, n: isize) -> Result<Bytes, StreamError> {
        self.run(|| CallArgs::Size(n), Read::new(n)).await
    }

    /// `readline()`: one line with its `\n`, the tail at EOF, `b''` when done. See [`ReadLine`].
    ///
    /// # Errors
    /// [`StreamError::LineTooLong`] (a `ValueError`) past `limit`, which discards the line.
    ///
    /// # Cancel safety
    /// Cancel-safe: nothing is consumed until the line is returned.
    pub async fn readline(&self) -> Result<Bytes, StreamError> {
        self.run(|| CallArgs::None, ReadLine::new()).await
    }

    /// `readexactly(n)`. See [`ReadExactly`].
    ///
    /// # Errors
    /// `ValueError` for `n < 0`; `IncompleteReadError` at EOF (buffer emptied into `partial`).
    ///
    /// # Cancel safety
    /// Cancel-safe: partial data stays buffered.
    pub async fn readexactly(&self, n: isize) -> Result<Bytes, StreamError> {
        match ReadExactly::new(n) {
            Ok(op) => self.run(|| CallArgs::Size(n), op).await,
            Err(e) => self.rejected::<ReadExactly>(CallArgs::Size(n), e),
        }
    }

    /// `readuntil(separator)` with one separator or a [`Separators::tuple`]. See [`ReadUntil`].
    ///
    /// # Errors
    /// `ValueError` for an empty separator or tuple; `LimitOverrunError` (buffer untouched);
    /// `IncompleteReadError` at EOF (buffer emptied).
    ///
    /// # Cancel safety
    /// Cancel-safe: nothing is consumed until the data is returned.
    pub async fn readuntil(&self, separator: impl Into<Separators>) -> Result<Bytes, StreamError> {
        let seps = separator.into();
        let shown = seps.clone();
        match ReadUntil::new(seps) {
            Ok(op) => self.run(move || CallArgs::Separators(shown.clone()), op).await,
            Err(e) => self.rejected::<ReadUntil>(CallArgs::Separators(shown), e),
        }
    }

    /// CPython's `_wait_for_data(method)`: waits once, until data or EOF arrives (resuming a
    /// paused transport first). The JS layer uses it to raise CPython's `TypeError`s for bad
    /// arguments when CPython does — once data is there.
    ///
    /// # Errors
    /// `RuntimeError` if another read waits; the exception `set_exception` stores meanwhile.
    pub async fn wait_for_data(&self, method: &'static str) -> Result<(), StreamError> {
        lend::settle();
        let wait = self.0.waiter.register(method)?;
        self.with_buffer(StreamBuffer::before_wait);
        wait.await.map_err(StreamError::Raised)
    }

    /// One step of `async for line in reader`: `None` at the end (`readline()` gave `b''`).
    ///
    /// # Errors
    /// As [`readline`](Self::readline).
    pub async fn next_line(&self) -> Result<Option<Bytes>, StreamError> {
        let line = self.readline().await?;
        Ok((!line.is_empty()).then_some(line))
    }

    /// `async for line in reader`, as a [`Stream`]. An error is yielded and iteration may go on.
    ///
    /// # Cancel safety
    /// Dropping the stream while it waits cancels that `readline`, which loses nothing.
    pub fn lines(&self) -> impl Stream<Item = Result<Bytes, StreamError>> + '_ {
        futures::stream::unfold(self, |reader| async move {
            reader.next_line().await.transpose().map(|item| (item, reader))
        })
    }

    /// Lends the lines successive `readline()`s would return now (whole lines within the
    /// limit, up to `max` bytes), consuming nothing until they are settled: see
    /// [`lend`](super::lend). `handed_out` is asked, once, how many of them the caller's
    /// program has read; those are then read for real. Empty when no line is decided.
    pub fn lend_lines(&self, max: usize, handed_out: impl FnOnce() -> usize + 'static) -> Bytes {
        lend::settle();
        let buf = self.0.buf.borrow();
        let end = ReadLine::decided(&buf, max);
        if end == 0 {
            return Bytes::new();
        }
        let lent = Bytes::copy_from_slice(&buf.as_bytes()[..end]);
        drop(buf);
        let lines = memchr::memchr_iter(b'\n', &lent).count();
        lend::register(self.clone(), lines, Box::new(handed_out));
        lent
    }

    /// Drives a read: step it, and wait whenever it asks to; snapshots show what waits.
    ///
    /// Nobody observing (the common case) costs one `Cell` read per call: the call's events
    /// are built only on the observed path.
    async fn run<O: ReadOp<Output = Bytes>>(
        &self,
        args: impl Fn() -> CallArgs,
        mut op: O,
    ) -> Result<Bytes, StreamError> {
        lend::settle();
        if self.0.observers.is_active() {
            // Boxed: the observed path must not make every read's future bigger.
            return Box::pin(self.run_observed(args(), Ok(op))).await;
        }
        loop {
            if let Some(out) = self.step(&mut op)? {
                return Ok(out);
            }
            let wait = self.0.waiter.register(O::NAME)?;
            self.with_buffer(StreamBuffer::before_wait);
            let _shown = self.show_waiting(None, O::METHOD, args(), op.offset());
            wait.await.map_err(StreamError::Raised)?;
        }
    }

    /// A call refused before it started (a bad argument), as observers see it.
    #[cold]
    fn rejected<O: ReadOp>(&self, args: CallArgs, e: StreamError) -> Result<Bytes, StreamError> {
        lend::settle();
        if self.0.observers.is_active() {
            Call::observed(&self.0.observers, O::METHOD, &args).finish(Err(&e));
        }
        Err(e)
    }

    /// [`run`](Self::run), telling observers: started, waiting, finished (or cancelled).
    #[cold]
    async fn run_observed<O: ReadOp<Output = Bytes>>(
        &self,
        args: CallArgs,
        op: Result<O, StreamError>,
    ) -> Result<Bytes, StreamError> {
        let mut call = Call::observed(&self.0.observers, O::METHOD, &args);
        let id = call.id;
        let result = async {
            let mut op = op?;
            loop {
                if let Some(out) = self.step(&mut op)? {
                    return Ok(out);
                }
                let wait = self.0.waiter.register(O::NAME)?;
                self.with_buffer(StreamBuffer::before_wait);
                let _shown = self.show_waiting(Some(id), O::METHOD, args.clone(), op.offset());
                wait.await.map_err(StreamError::Raised)?;
            }
        }
        .await;
        call.finish(result.as_ref().map(|b| Some(b.clone())));
        result
    }

    /// Shows a waiting call in snapshots (until the guard is dropped) and tells observers.
    #[cold]
    #[inline(never)]
    fn show_waiting(
        &self,
        id: Option<u64>,
        method: &'static str,
        args: CallArgs,
        offset: Option<usize>,
    ) -> Shown<'_> {
        let id = id.unwrap_or_else(|| self.0.observers.call_id());
        let shown = Shown::new(&self.0.waiting, WaitingCall { id, method, args, offset });
        self.0.observers.emit(EventKind::CallWaiting { id, offset });
        shown
    }

    /// One step of `op`; a result that this one step took is remembered for
    /// [`take_origin`](Self::take_origin), and any other outcome forgets the last.
    #[inline]
    fn step<O: ReadOp<Output = Bytes>>(&self, op: &mut O) -> Result<Option<Bytes>, StreamError> {
        self.with_buffer(|buf| {
            let start = buf.consumed();
            let out = op.step(buf);
            let last = match &out {
                Ok(Some(got)) if buf.consumed() - start == got.len() as u64 => {
                    Some(LastRead { addr: got.as_ptr() as usize, len: got.len(), start })
                }
                _ => None,
            };
            self.0.last_read.set(last);
            // What earlier steps passed is forgotten (this one's own chunks stay, for
            // take_origin, until the next step).
            self.0.origins.borrow_mut().prune(start);
            out
        })
    }

    /// Runs `f` on the buffer, then hands its flow-control decisions to the transport (with no
    /// borrow held, so the transport may call back into the reader).
    #[inline]
    fn with_buffer<R>(&self, f: impl FnOnce(&mut StreamBuffer) -> R) -> R {
        let mut buf = self.0.buf.borrow_mut();
        let out = f(&mut buf);
        if buf.has_flow() {
            drop(buf);
            self.flush_flow();
        }
        out
    }

    #[cold]
    #[inline(never)]
    fn flush_flow(&self) {
        loop {
            let Some(flow) = self.0.buf.borrow_mut().poll_flow() else { return };
            let transport = self.0.transport.borrow().clone();
            if let Some(t) = transport {
                match flow {
                    Flow::Pause => t.pause_reading(),
                    Flow::Resume => t.resume_reading(),
                }
            }
            self.0.observers.emit(match flow {
                Flow::Pause => EventKind::ReadingPaused,
                Flow::Resume => EventKind::ReadingResumed,
            });
        }
    }
}

/// The waiting call a snapshot shows, for as long as it waits (cancelled or not).
struct Shown<'a>(&'a RefCell<Option<WaitingCall>>);

impl<'a> Shown<'a> {
    fn new(slot: &'a RefCell<Option<WaitingCall>>, call: WaitingCall) -> Self {
        *slot.borrow_mut() = Some(call);
        Shown(slot)
    }
}

impl Drop for Shown<'_> {
    fn drop(&mut self) {
        self.0.borrow_mut().take();
    }
}

/// One call, as observers see it: started now, finished by [`finish`](Self::finish) or, when
/// its future is dropped first, cancelled.
pub(crate) struct Call<'a> {
    observers: &'a Observers,
    pub(crate) id: u64,
    method: &'static str,
    done: bool,
}

impl<'a> Call<'a> {
    /// A call of `method` on a stream with these observers (the writer's calls too).
    pub(crate) fn observed(observers: &'a Observers, method: &'static str, args: &CallArgs) -> Self {
        let id = observers.call_id();
        if observers.is_active() {
            observers.emit(EventKind::CallStarted { id, method, args: args.repr() });
        }
        Call { observers, id, method, done: false }
    }

    /// The call waits.
    pub(crate) fn waits(&self) {
        self.observers.emit(EventKind::CallWaiting { id: self.id, offset: None });
    }

    /// The call returned or raised.
    pub(crate) fn finish(&mut self, outcome: Result<Option<Bytes>, &StreamError>) {
        self.done = true;
        if self.observers.is_active() {
            let outcome = outcome.map_err(Clone::clone);
            self.observers.emit(EventKind::CallFinished { id: self.id, method: self.method, outcome });
        }
    }
}

impl Drop for Call<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.finish(Err(&StreamError::Cancelled));
        }
    }
}

impl Default for StreamReader {
    /// A reader with asyncio's default limit of 64 KiB.
    fn default() -> Self {
        Self::from_buffer(StreamBuffer::default())
    }
}

impl fmt::Display for StreamReader {
    /// Python's `repr(reader)`, e.g. `<StreamReader 4 bytes eof limit=5>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        lend::settle();
        let waiter = self.0.waiter.is_taken().then_some("<Future pending cb=[Task.task_wakeup()]>");
        let transport = self.0.transport.borrow().as_ref().map(|t| t.repr());
        f.write_str(&self.0.buf.borrow().repr(waiter, transport.as_deref()))
    }
}

impl fmt::Debug for StreamReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
