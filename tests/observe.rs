//! The observation API: the exact [`Event`] sequence and the [`ReaderSnapshot`] /
//! [`WriterSnapshot`] at each step of every read method on a bare reader (finishing at once,
//! waiting with its scan offset, overrun, EOF, a stored exception, bad arguments, read flow
//! control), of a cancelled read, and of connections to the in-page demo servers (writes,
//! drain, half-close, close, `wait_closed`, a lost connection, write flow control, a late
//! write to a closed peer), plus the delivery rules: observers may call back into the stream
//! from their callback, reentrant events come after the current one, a flood of them is
//! bounded, unsubscribing stops delivery, and every observer sees the same sequence.
//!
//! Timestamps are only checked never to decrease. The stream behaviour under the events (scan
//! offsets, errors and their reprs, what stays buffered after an overrun, EOF or cancellation,
//! the late write) was checked on CPython 3.13.0: offsets read from the suspended `readuntil`
//! frame's `offset` local, the late write over real TCP on loopback.

#![cfg(not(target_arch = "wasm32"))]

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::{pin, Pin};
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures::executor::block_on;
use futures::task::noop_waker_ref;
use streamlab::sansio::{Overrun, ValueError};
use streamlab::stream::{
    CallArgs, Event, EventKind, ReaderSnapshot, StreamProtocol, Subscription, WaitingCall, WriterSnapshot,
    QUEUE_CAP,
};
use streamlab::transport::{memory, Protocol};
use streamlab::{
    open_connection, run, PyException, ReadTransport, Separators, StreamError, StreamReader, StreamWriter,
    DEFAULT_LIMIT,
};

// ---- recording ----

/// Every event an observer was given, and how many a test has looked at.
#[derive(Clone, Default)]
struct Log(Rc<LogInner>);

#[derive(Default)]
struct LogInner {
    events: RefCell<Vec<Event>>,
    read: Cell<usize>,
}

impl Log {
    fn observer(&self) -> impl Fn(&Event) + 'static {
        let log = self.clone();
        move |e| log.0.events.borrow_mut().push(e.clone())
    }

    /// The kinds of the events since the last `take`, after checking that no timestamp ever
    /// went backwards.
    fn take(&self) -> Vec<EventKind> {
        let events = self.0.events.borrow();
        for pair in events.windows(2) {
            assert!(pair[0].at <= pair[1].at, "time went backwards: {:?} then {:?}", pair[0], pair[1]);
        }
        let new = events[self.0.read.get()..].iter().map(|e| e.kind.clone()).collect();
        self.0.read.set(events.len());
        new
    }

    fn events(&self) -> Vec<Event> {
        self.0.events.borrow().clone()
    }
}

fn observed(reader: &StreamReader) -> (Log, Subscription) {
    let log = Log::default();
    let sub = reader.observe(log.observer());
    (log, sub)
}

const NOTHING: [EventKind; 0] = [];

fn chunk(size: usize) -> EventKind {
    EventKind::Chunk { size }
}

fn started(id: u64, method: &'static str, args: &str) -> EventKind {
    EventKind::CallStarted { id, method, args: args.to_owned() }
}

fn waits(id: u64, offset: Option<usize>) -> EventKind {
    EventKind::CallWaiting { id, offset }
}

fn returned(id: u64, method: &'static str, data: &'static [u8]) -> EventKind {
    EventKind::CallFinished { id, method, outcome: Ok(Some(Bytes::from_static(data))) }
}

/// `drain` / `wait_closed` returned `None`.
fn finished(id: u64, method: &'static str) -> EventKind {
    EventKind::CallFinished { id, method, outcome: Ok(None) }
}

fn raised(id: u64, method: &'static str, err: StreamError) -> EventKind {
    EventKind::CallFinished { id, method, outcome: Err(err) }
}

/// A bare reader's snapshot with these bytes buffered and nothing else going on.
fn state(buffered: &[u8]) -> ReaderSnapshot {
    ReaderSnapshot {
        buffered: buffered.len(),
        window_start: 0,
        window: Bytes::copy_from_slice(buffered),
        limit: DEFAULT_LIMIT,
        eof: false,
        exception: None,
        paused: false,
        waiting: None,
    }
}

fn call(id: u64, method: &'static str, args: CallArgs, offset: Option<usize>) -> Option<WaitingCall> {
    Some(WaitingCall { id, method, args, offset })
}

fn sep(bytes: &'static [u8]) -> CallArgs {
    CallArgs::Separators(Separators::one(bytes))
}

fn poll_once<F: Future>(f: Pin<&mut F>) -> Poll<F::Output> {
    f.poll(&mut Context::from_waker(noop_waker_ref()))
}

#[track_caller]
fn pending<F: Future>(f: Pin<&mut F>) {
    assert!(poll_once(f).is_pending(), "the call should wait");
}

fn ok(data: &'static [u8]) -> Poll<Result<Bytes, StreamError>> {
    Poll::Ready(Ok(Bytes::from_static(data)))
}

fn exc_of(err: &StreamError) -> &PyException {
    match err {
        StreamError::Raised(e) => e,
        other => panic!("not a raised exception: {other:?}"),
    }
}

/// A transport that records what the reader tells it.
#[derive(Default)]
struct Recorder(RefCell<Vec<&'static str>>);

impl ReadTransport for Recorder {
    fn pause_reading(&self) {
        self.0.borrow_mut().push("pause");
    }
    fn resume_reading(&self) {
        self.0.borrow_mut().push("resume");
    }
}

// ---- 1. the read methods on a bare reader ----

#[test]
fn read_n_finishes_at_once_or_when_a_chunk_comes() {
    let reader = StreamReader::default();
    let (log, _sub) = observed(&reader);
    reader.feed_data(b"").unwrap();
    assert_eq!(log.take(), NOTHING, "empty data is no chunk");
    reader.feed_data(b"abc").unwrap();
    assert_eq!(log.take(), [chunk(3)]);
    assert_eq!(reader.snapshot(), state(b"abc"));

    assert_eq!(block_on(reader.read(2)).unwrap(), &b"ab"[..]);
    assert_eq!(log.take(), [started(0, "read", "2"), returned(0, "read", b"ab")]);
    assert_eq!(reader.snapshot(), state(b"c"));
    assert_eq!(block_on(reader.read(0)).unwrap(), &b""[..]);
    assert_eq!(block_on(reader.read(5)).unwrap(), &b"c"[..]);
    assert_eq!(
        log.take(),
        [
            started(1, "read", "0"),
            returned(1, "read", b""),
            started(2, "read", "5"),
            returned(2, "read", b"c")
        ]
    );

    let mut read = pin!(reader.read(5));
    pending(read.as_mut());
    assert_eq!(log.take(), [started(3, "read", "5"), waits(3, None)]);
    let snap = reader.snapshot();
    assert_eq!(snap, ReaderSnapshot { waiting: call(3, "read", CallArgs::Size(5), None), ..state(b"") });
    assert_eq!(snap.waiting.unwrap().args.repr(), "5");
    assert!(reader.is_waiting());

    reader.feed_data(b"xy").unwrap();
    assert_eq!(log.take(), [chunk(2)]);
    assert_eq!(poll_once(read.as_mut()), ok(b"xy"));
    assert_eq!(log.take(), [returned(3, "read", b"xy")]);
    assert_eq!(reader.snapshot(), state(b""));
    assert!(!reader.is_waiting());
}

#[test]
fn read_to_eof_waits_after_every_chunk() {
    let reader = StreamReader::default();
    let (log, _sub) = observed(&reader);
    reader.feed_data(b"ab").unwrap();
    let mut read = pin!(reader.read(-1));
    pending(read.as_mut());
    assert_eq!(log.take(), [chunk(2), started(0, "read", "-1"), waits(0, None)]);
    let snap = reader.snapshot();
    // The block it took is its own now: the buffer is empty while it waits.
    assert_eq!(snap, ReaderSnapshot { waiting: call(0, "read", CallArgs::Size(-1), None), ..state(b"") });
    assert_eq!(snap.waiting.unwrap().args.repr(), "-1");

    reader.feed_data(b"cd").unwrap();
    pending(read.as_mut());
    assert_eq!(log.take(), [chunk(2), waits(0, None)]);
    reader.feed_eof();
    assert_eq!(log.take(), [EventKind::Eof]);
    assert_eq!(poll_once(read.as_mut()), ok(b"abcd"));
    assert_eq!(log.take(), [returned(0, "read", b"abcd")]);
    assert_eq!(reader.snapshot(), ReaderSnapshot { eof: true, ..state(b"") });
}

#[test]
fn readline_waits_with_its_scan_offset() {
    let reader = StreamReader::default();
    let (log, _sub) = observed(&reader);
    let mut line = pin!(reader.readline());
    pending(line.as_mut());
    assert_eq!(log.take(), [started(0, "readline", ""), waits(0, Some(0))]);
    let snap = reader.snapshot();
    assert_eq!(snap, ReaderSnapshot { waiting: call(0, "readline", CallArgs::None, Some(0)), ..state(b"") });
    assert_eq!(snap.waiting.unwrap().args.repr(), "");

    reader.feed_data(b"ab").unwrap();
    pending(line.as_mut());
    assert_eq!(log.take(), [chunk(2), waits(0, Some(2))]);
    assert_eq!(
        reader.snapshot(),
        ReaderSnapshot { waiting: call(0, "readline", CallArgs::None, Some(2)), ..state(b"ab") }
    );

    reader.feed_data(b"c\nd").unwrap();
    assert_eq!(poll_once(line.as_mut()), ok(b"abc\n"));
    assert_eq!(log.take(), [chunk(3), returned(0, "readline", b"abc\n")]);
    assert_eq!(reader.snapshot(), state(b"d"));

    reader.feed_data(b"e\n").unwrap();
    assert_eq!(block_on(reader.readline()).unwrap(), &b"de\n"[..]);
    assert_eq!(log.take(), [chunk(2), started(1, "readline", ""), returned(1, "readline", b"de\n")]);
}

#[test]
fn readuntil_one_separator_waits_with_its_scan_offset() {
    let reader = StreamReader::default();
    let (log, _sub) = observed(&reader);
    let mut until = pin!(reader.readuntil(b"\r\n"));
    pending(until.as_mut());
    assert_eq!(log.take(), [started(0, "readuntil", r"b'\r\n'"), waits(0, Some(0))]);
    let snap = reader.snapshot();
    assert_eq!(snap, ReaderSnapshot { waiting: call(0, "readuntil", sep(b"\r\n"), Some(0)), ..state(b"") });
    assert_eq!(snap.waiting.unwrap().args.repr(), r"b'\r\n'");

    reader.feed_data(b"ab\r").unwrap();
    pending(until.as_mut());
    // One byte of overlap kept: a separator split across chunks is still found.
    assert_eq!(log.take(), [chunk(3), waits(0, Some(2))]);
    assert_eq!(
        reader.snapshot(),
        ReaderSnapshot { waiting: call(0, "readuntil", sep(b"\r\n"), Some(2)), ..state(b"ab\r") }
    );

    reader.feed_data(b"\nrest").unwrap();
    assert_eq!(poll_once(until.as_mut()), ok(b"ab\r\n"));
    assert_eq!(log.take(), [chunk(5), returned(0, "readuntil", b"ab\r\n")]);
    assert_eq!(reader.snapshot(), state(b"rest"));
}

#[test]
fn readuntil_a_tuple_waits_with_its_scan_offset() {
    let seps = || Separators::tuple([&b"\r\n"[..], b"\n"]);
    let reader = StreamReader::default();
    let (log, _sub) = observed(&reader);
    let mut until = pin!(reader.readuntil(seps()));
    pending(until.as_mut());
    assert_eq!(log.take(), [started(0, "readuntil", r"(b'\r\n', b'\n')"), waits(0, Some(0))]);
    let snap = reader.snapshot();
    let args = CallArgs::Separators(seps());
    assert_eq!(snap, ReaderSnapshot { waiting: call(0, "readuntil", args.clone(), Some(0)), ..state(b"") });
    assert_eq!(snap.waiting.unwrap().args.repr(), r"(b'\r\n', b'\n')");

    // CPython 3.13.0: offset = len + 1 - (longest separator) → 1, then 3.
    reader.feed_data(b"ab").unwrap();
    pending(until.as_mut());
    assert_eq!(log.take(), [chunk(2), waits(0, Some(1))]);
    reader.feed_data(b"c\r").unwrap();
    pending(until.as_mut());
    assert_eq!(log.take(), [chunk(2), waits(0, Some(3))]);
    assert_eq!(
        reader.snapshot(),
        ReaderSnapshot { waiting: call(0, "readuntil", args, Some(3)), ..state(b"abc\r") }
    );

    reader.feed_data(b"\nX").unwrap();
    assert_eq!(poll_once(until.as_mut()), ok(b"abc\r\n"));
    assert_eq!(log.take(), [chunk(2), returned(0, "readuntil", b"abc\r\n")]);
    assert_eq!(reader.snapshot(), state(b"X"));
}

#[test]
fn readexactly_waits_until_n_bytes_are_there() {
    let reader = StreamReader::default();
    let (log, _sub) = observed(&reader);
    assert_eq!(block_on(reader.readexactly(0)).unwrap(), &b""[..]);
    assert_eq!(log.take(), [started(0, "readexactly", "0"), returned(0, "readexactly", b"")]);

    let mut exact = pin!(reader.readexactly(5));
    pending(exact.as_mut());
    assert_eq!(log.take(), [started(1, "readexactly", "5"), waits(1, None)]);
    let snap = reader.snapshot();
    assert_eq!(
        snap,
        ReaderSnapshot { waiting: call(1, "readexactly", CallArgs::Size(5), None), ..state(b"") }
    );
    assert_eq!(snap.waiting.unwrap().args.repr(), "5");

    reader.feed_data(b"abc").unwrap();
    pending(exact.as_mut());
    assert_eq!(log.take(), [chunk(3), waits(1, None)]);
    assert_eq!(
        reader.snapshot(),
        ReaderSnapshot { waiting: call(1, "readexactly", CallArgs::Size(5), None), ..state(b"abc") }
    );

    reader.feed_data(b"defg").unwrap();
    assert_eq!(poll_once(exact.as_mut()), ok(b"abcde"));
    assert_eq!(log.take(), [chunk(4), returned(1, "readexactly", b"abcde")]);
    assert_eq!(reader.snapshot(), state(b"fg"));
}

#[test]
fn readuntil_overrun_is_a_limit_overrun_error_that_keeps_the_buffer() {
    let reader = StreamReader::new(4).unwrap();
    let (log, _sub) = observed(&reader);
    let limited = |buffered: &[u8]| ReaderSnapshot { limit: 4, ..state(buffered) };
    let mut until = pin!(reader.readuntil(b"\n"));
    pending(until.as_mut());
    reader.feed_data(b"abc").unwrap();
    pending(until.as_mut());
    assert_eq!(
        log.take(),
        [started(0, "readuntil", r"b'\n'"), waits(0, Some(0)), chunk(3), waits(0, Some(3))]
    );
    assert_eq!(
        reader.snapshot(),
        ReaderSnapshot { waiting: call(0, "readuntil", sep(b"\n"), Some(3)), ..limited(b"abc") }
    );

    reader.feed_data(b"defg").unwrap();
    let not_found = StreamError::LimitOverrun { overrun: Overrun::NotFound, consumed: 7 };
    assert_eq!(poll_once(until.as_mut()), Poll::Ready(Err(not_found.clone())));
    assert_eq!(not_found.python_name(), "LimitOverrunError");
    assert_eq!(not_found.to_string(), "Separator is not found, and chunk exceed the limit");
    assert_eq!(log.take(), [chunk(4), raised(0, "readuntil", not_found)]);
    assert_eq!(reader.snapshot(), limited(b"abcdefg"), "the buffer is untouched");

    // The separator is there, but beyond the limit: at once, and the buffer still untouched.
    reader.feed_data(b"\n").unwrap();
    let found = StreamError::LimitOverrun { overrun: Overrun::Found, consumed: 7 };
    assert_eq!(block_on(reader.readuntil(b"\n")), Err(found.clone()));
    assert_eq!(found.to_string(), "Separator is found, but chunk is longer than limit");
    assert_eq!(log.take(), [chunk(1), started(1, "readuntil", r"b'\n'"), raised(1, "readuntil", found)]);
    assert_eq!(reader.snapshot(), limited(b"abcdefg\n"));
}

#[test]
fn readline_overrun_is_a_value_error_that_discards_the_line() {
    let reader = StreamReader::new(4).unwrap();
    let (log, _sub) = observed(&reader);
    let limited = |buffered: &[u8]| ReaderSnapshot { limit: 4, ..state(buffered) };
    let mut line = pin!(reader.readline());
    pending(line.as_mut());
    reader.feed_data(b"abc").unwrap();
    pending(line.as_mut());
    assert_eq!(log.take(), [started(0, "readline", ""), waits(0, Some(0)), chunk(3), waits(0, Some(3))]);

    reader.feed_data(b"defg\nxy").unwrap();
    let found = StreamError::LineTooLong { overrun: Overrun::Found, consumed: 7 };
    assert_eq!(poll_once(line.as_mut()), Poll::Ready(Err(found.clone())));
    assert_eq!(found.python_name(), "ValueError");
    assert_eq!(found.repr(), "ValueError('Separator is found, but chunk is longer than limit')");
    assert_eq!(log.take(), [chunk(7), raised(0, "readline", found)]);
    assert_eq!(reader.snapshot(), limited(b"xy"), "discarded through its newline");

    // No newline and too long: the whole buffer goes.
    reader.feed_data(b"zzzz").unwrap();
    let not_found = StreamError::LineTooLong { overrun: Overrun::NotFound, consumed: 6 };
    assert_eq!(block_on(reader.readline()), Err(not_found.clone()));
    assert_eq!(not_found.to_string(), "Separator is not found, and chunk exceed the limit");
    assert_eq!(log.take(), [chunk(4), started(1, "readline", ""), raised(1, "readline", not_found)]);
    assert_eq!(reader.snapshot(), limited(b""));
}

#[test]
fn eof_ends_each_waiting_read() {
    // readexactly: IncompleteReadError with what was buffered, which is emptied.
    let reader = StreamReader::default();
    let (log, _sub) = observed(&reader);
    let mut exact = pin!(reader.readexactly(5));
    pending(exact.as_mut());
    reader.feed_data(b"ab").unwrap();
    pending(exact.as_mut());
    reader.feed_eof();
    let incomplete = StreamError::IncompleteRead { partial: Bytes::from_static(b"ab"), expected: Some(5) };
    assert_eq!(poll_once(exact.as_mut()), Poll::Ready(Err(incomplete.clone())));
    assert_eq!(incomplete.repr(), "IncompleteReadError('2 bytes read on a total of 5 expected bytes')");
    assert_eq!(
        log.take(),
        [
            started(0, "readexactly", "5"),
            waits(0, None),
            chunk(2),
            waits(0, None),
            EventKind::Eof,
            raised(0, "readexactly", incomplete),
        ]
    );
    assert_eq!(reader.snapshot(), ReaderSnapshot { eof: true, ..state(b"") });
    // At EOF nothing waits: read gives b''.
    assert_eq!(block_on(reader.read(5)).unwrap(), &b""[..]);
    assert_eq!(log.take(), [started(1, "read", "5"), returned(1, "read", b"")]);

    // readuntil: IncompleteReadError with an undefined expectation.
    let reader = StreamReader::default();
    let (log, _sub) = observed(&reader);
    let mut until = pin!(reader.readuntil(b"\r\n"));
    pending(until.as_mut());
    reader.feed_data(b"ab\r").unwrap();
    pending(until.as_mut());
    reader.feed_eof();
    let incomplete = StreamError::IncompleteRead { partial: Bytes::from_static(b"ab\r"), expected: None };
    assert_eq!(poll_once(until.as_mut()), Poll::Ready(Err(incomplete.clone())));
    assert_eq!(incomplete.to_string(), "3 bytes read on a total of undefined expected bytes");
    assert_eq!(
        log.take(),
        [
            started(0, "readuntil", r"b'\r\n'"),
            waits(0, Some(0)),
            chunk(3),
            waits(0, Some(2)),
            EventKind::Eof,
            raised(0, "readuntil", incomplete),
        ]
    );
    assert_eq!(reader.snapshot(), ReaderSnapshot { eof: true, ..state(b"") });

    // readline: the unterminated tail, then b''.
    let reader = StreamReader::default();
    let (log, _sub) = observed(&reader);
    let mut line = pin!(reader.readline());
    pending(line.as_mut());
    reader.feed_data(b"ab").unwrap();
    pending(line.as_mut());
    reader.feed_eof();
    assert_eq!(poll_once(line.as_mut()), ok(b"ab"));
    assert_eq!(block_on(reader.readline()).unwrap(), &b""[..]);
    assert_eq!(
        log.take(),
        [
            started(0, "readline", ""),
            waits(0, Some(0)),
            chunk(2),
            waits(0, Some(2)),
            EventKind::Eof,
            returned(0, "readline", b"ab"),
            started(1, "readline", ""),
            returned(1, "readline", b""),
        ]
    );
    assert!(reader.at_eof());
}

#[test]
fn set_exception_ends_the_waiting_read_and_every_later_one() {
    let reader = StreamReader::default();
    let (log, _sub) = observed(&reader);
    let mut line = pin!(reader.readline());
    pending(line.as_mut());
    assert_eq!(log.take(), [started(0, "readline", ""), waits(0, Some(0))]);

    let exc = PyException::with_errno("ConnectionResetError", 104, "Connection reset by peer");
    reader.set_exception(exc.clone());
    assert_eq!(log.take(), [EventKind::Exception { exc: exc.clone() }]);
    assert_eq!(reader.snapshot().exception, Some(exc.clone()));
    let Poll::Ready(Err(err)) = poll_once(line.as_mut()) else { panic!("the read should raise") };
    assert!(exc_of(&err).is(&exc), "the very exception that was set");
    assert_eq!(log.take(), [raised(0, "readline", StreamError::Raised(exc.clone()))]);
    assert_eq!(reader.snapshot(), ReaderSnapshot { exception: Some(exc.clone()), ..state(b"") });

    // Later reads raise it at once, even over buffered data; argument errors come first.
    reader.feed_data(b"x\n").unwrap();
    assert!(matches!(block_on(reader.readline()), Err(StreamError::Raised(e)) if e.is(&exc)));
    assert_eq!(block_on(reader.readexactly(-1)), Err(StreamError::Value(ValueError::NegativeSize)));
    assert_eq!(
        log.take(),
        [
            chunk(2),
            started(1, "readline", ""),
            raised(1, "readline", StreamError::Raised(exc.clone())),
            started(2, "readexactly", "-1"),
            raised(2, "readexactly", StreamError::Value(ValueError::NegativeSize)),
        ]
    );
    assert_eq!(reader.snapshot(), ReaderSnapshot { exception: Some(exc), ..state(b"x\n") });
}

#[test]
fn bad_arguments_still_start_and_finish_a_call() {
    let reader = StreamReader::default();
    let (log, _sub) = observed(&reader);
    let negative = StreamError::Value(ValueError::NegativeSize);
    let empty = StreamError::Value(ValueError::EmptySeparator);
    let no_sep = StreamError::Value(ValueError::NoSeparator);
    assert_eq!(block_on(reader.readexactly(-1)), Err(negative.clone()));
    assert_eq!(block_on(reader.readuntil(b"")), Err(empty.clone()));
    assert_eq!(block_on(reader.readuntil(Separators::tuple(Vec::<Bytes>::new()))), Err(no_sep.clone()));
    assert_eq!(block_on(reader.readuntil(Separators::tuple([&b"\n"[..], b""]))), Err(empty.clone()));
    assert_eq!(negative.to_string(), "readexactly size can not be less than zero");
    assert_eq!(empty.repr(), "ValueError('Separator should be at least one-byte string')");
    assert_eq!(no_sep.to_string(), "Separator should contain at least one element");
    assert_eq!(
        log.take(),
        [
            started(0, "readexactly", "-1"),
            raised(0, "readexactly", negative),
            started(1, "readuntil", "b''"),
            raised(1, "readuntil", empty.clone()),
            started(2, "readuntil", "()"),
            raised(2, "readuntil", no_sep),
            started(3, "readuntil", r"(b'\n', b'')"),
            raised(3, "readuntil", empty),
        ]
    );
    assert_eq!(reader.snapshot(), state(b""));
}

#[test]
fn flow_control_pauses_above_twice_the_limit_and_resumes_at_the_limit() {
    let reader = StreamReader::new(4).unwrap();
    let transport = Rc::new(Recorder::default());
    reader.set_transport(transport.clone()).unwrap();
    let (log, _sub) = observed(&reader);
    let limited = |buffered: &[u8], paused: bool| ReaderSnapshot { limit: 4, paused, ..state(buffered) };

    reader.feed_data(b"abcd").unwrap();
    assert_eq!(log.take(), [chunk(4)]);
    reader.feed_data(b"efgh").unwrap();
    assert_eq!(log.take(), [chunk(4)], "8 bytes is not more than 2 × 4");
    reader.feed_data(b"i").unwrap();
    assert_eq!(log.take(), [chunk(1), EventKind::ReadingPaused]);
    assert_eq!(reader.snapshot(), limited(b"abcdefghi", true));
    assert_eq!(*transport.0.borrow(), ["pause"]);

    assert_eq!(block_on(reader.read(4)).unwrap(), &b"abcd"[..]);
    assert_eq!(log.take(), [started(0, "read", "4"), returned(0, "read", b"abcd")], "5 left: still paused");
    assert_eq!(reader.snapshot(), limited(b"efghi", true));
    assert_eq!(block_on(reader.read(1)).unwrap(), &b"e"[..]);
    assert_eq!(log.take(), [started(1, "read", "1"), EventKind::ReadingResumed, returned(1, "read", b"e")]);
    assert_eq!(reader.snapshot(), limited(b"fghi", false));
    assert_eq!(*transport.0.borrow(), ["pause", "resume"]);
}

#[test]
fn a_read_that_must_wait_resumes_a_paused_transport() {
    let reader = StreamReader::new(4).unwrap();
    let transport = Rc::new(Recorder::default());
    reader.set_transport(transport.clone()).unwrap();
    let (log, _sub) = observed(&reader);
    reader.feed_data(b"0123456789").unwrap();
    let mut exact = pin!(reader.readexactly(16));
    pending(exact.as_mut());
    assert_eq!(
        log.take(),
        [
            chunk(10),
            EventKind::ReadingPaused,
            started(0, "readexactly", "16"),
            EventKind::ReadingResumed,
            waits(0, None)
        ]
    );
    assert_eq!(
        reader.snapshot(),
        ReaderSnapshot {
            limit: 4,
            waiting: call(0, "readexactly", CallArgs::Size(16), None),
            ..state(b"0123456789")
        }
    );
    reader.feed_data(b"abcdef").unwrap();
    assert_eq!(log.take(), [chunk(6), EventKind::ReadingPaused]);
    assert_eq!(poll_once(exact.as_mut()), ok(b"0123456789abcdef"));
    assert_eq!(log.take(), [EventKind::ReadingResumed, returned(0, "readexactly", b"0123456789abcdef")]);
    assert_eq!(*transport.0.borrow(), ["pause", "resume", "pause", "resume"]);
}

// ---- 2. cancellation ----

#[test]
fn a_cancelled_readline_leaves_the_reader_as_cpython_does() {
    let reader = StreamReader::default();
    let (log, _sub) = observed(&reader);
    reader.feed_data(b"ab").unwrap();
    {
        let mut line = pin!(reader.readline());
        pending(line.as_mut());
        assert_eq!(log.take(), [chunk(2), started(0, "readline", ""), waits(0, Some(2))]);
        assert_eq!(
            reader.snapshot(),
            ReaderSnapshot { waiting: call(0, "readline", CallArgs::None, Some(2)), ..state(b"ab") }
        );
        assert!(reader.is_waiting());
    } // dropped: task.cancel()
    let events = log.take();
    assert_eq!(events, [raised(0, "readline", StreamError::Cancelled)]);
    let EventKind::CallFinished { outcome: Err(err), .. } = &events[0] else { unreachable!() };
    assert_eq!((err.python_name(), err.repr().as_str()), ("CancelledError", "CancelledError()"));
    assert_eq!(reader.snapshot(), state(b"ab"), "nothing waits and the bytes are untouched");
    assert!(!reader.is_waiting());
    assert_eq!(reader.to_string(), "<StreamReader 2 bytes>");

    // A new read may wait (no RuntimeError) and scans from the start again.
    let mut line = pin!(reader.readline());
    pending(line.as_mut());
    reader.feed_data(b"c\n").unwrap();
    assert_eq!(poll_once(line.as_mut()), ok(b"abc\n"));
    assert_eq!(
        log.take(),
        [started(1, "readline", ""), waits(1, Some(2)), chunk(2), returned(1, "readline", b"abc\n")]
    );
}

#[test]
fn a_read_cancelled_after_its_wake_up_keeps_the_data_too() {
    let reader = StreamReader::default();
    let (log, _sub) = observed(&reader);
    {
        let mut line = pin!(reader.readline());
        pending(line.as_mut());
        reader.feed_data(b"x\n").unwrap(); // woken, not yet resumed
    }
    assert_eq!(
        log.take(),
        [
            started(0, "readline", ""),
            waits(0, Some(0)),
            chunk(2),
            raised(0, "readline", StreamError::Cancelled)
        ]
    );
    assert_eq!(reader.snapshot(), state(b"x\n"));
    assert_eq!(block_on(reader.readline()).unwrap(), &b"x\n"[..]);
}

#[test]
fn a_cancelled_read_to_eof_loses_the_blocks_it_took() {
    let reader = StreamReader::default();
    let (log, _sub) = observed(&reader);
    reader.feed_data(b"ab").unwrap();
    {
        let mut read = pin!(reader.read(-1));
        pending(read.as_mut());
    }
    assert_eq!(
        log.take(),
        [chunk(2), started(0, "read", "-1"), waits(0, None), raised(0, "read", StreamError::Cancelled)]
    );
    assert_eq!(reader.snapshot(), state(b""), "as in CPython, the joined blocks are gone");
    reader.feed_data(b"cd").unwrap();
    reader.feed_eof();
    assert_eq!(block_on(reader.read(-1)).unwrap(), &b"cd"[..]);
}

#[test]
fn a_second_read_that_must_wait_is_a_runtime_error_call() {
    let reader = StreamReader::default();
    let (log, _sub) = observed(&reader);
    let mut line = pin!(reader.readline());
    pending(line.as_mut());
    let busy = StreamError::ConcurrentWait { op: "read" };
    assert_eq!(block_on(reader.read(5)), Err(busy.clone()));
    assert_eq!(
        busy.to_string(),
        "read() called while another coroutine is already waiting for incoming data"
    );
    assert_eq!(
        log.take(),
        [started(0, "readline", ""), waits(0, Some(0)), started(1, "read", "5"), raised(1, "read", busy)]
    );
    assert_eq!(
        reader.snapshot().waiting,
        call(0, "readline", CallArgs::None, Some(0)),
        "the first still waits"
    );
}

#[test]
fn a_read_dropped_before_it_was_polled_is_no_call() {
    let reader = StreamReader::default();
    let (log, _sub) = observed(&reader);
    drop(reader.readline());
    assert_eq!(log.take(), NOTHING);
}

// ---- 3. the writer side, over the in-page demo servers ----

/// A connection wired by hand, observed before it is made (`open_connection` makes it before
/// anyone can subscribe).
fn connect(host: &str, port: u16) -> (StreamReader, StreamWriter, Rc<StreamProtocol>, Log, Subscription) {
    let reader = StreamReader::default();
    let (log, sub) = observed(&reader);
    let conn = StreamProtocol::new(reader.clone());
    memory::connect(streamlab::demo::find(host, port).unwrap(), conn.clone()).unwrap();
    let writer = StreamWriter::new(Rc::clone(&conn));
    (reader, writer, conn, log, sub)
}

fn open_writer() -> WriterSnapshot {
    WriterSnapshot {
        write_buffer_size: 0,
        write_buffer_limits: (16384, 65536),
        is_reading: true,
        is_closing: false,
        writing_paused: false,
        eof_written: false,
        lost: None,
        credit: None,
    }
}

#[test]
fn an_echo_session_from_connection_made_to_wait_closed() {
    run(async {
        let (reader, writer, _conn, log, _sub) = connect("echo.demo", 7);
        assert_eq!(log.take(), [EventKind::ConnectionMade]);
        assert_eq!(writer.snapshot(), open_writer());
        assert_eq!(reader.snapshot(), state(b""));

        writer.write(b"ping\n").unwrap();
        writer.writelines([&b"po"[..], b"ng\n"]).unwrap();
        writer.write(b"").unwrap();
        assert_eq!(
            log.take(),
            [
                EventKind::Write { method: "write", size: 5 },
                EventKind::Write { method: "writelines", size: 5 }
            ],
            "an empty write is no write"
        );
        writer.drain().await.unwrap();
        assert_eq!(log.take(), [started(0, "drain", ""), finished(0, "drain")]);

        assert_eq!(reader.readline().await.unwrap(), &b"ping\n"[..]);
        assert_eq!(
            log.take(),
            [started(1, "readline", ""), waits(1, Some(0)), chunk(10), returned(1, "readline", b"ping\n")],
            "both writes come back as one chunk"
        );
        assert_eq!(reader.readline().await.unwrap(), &b"pong\n"[..]);
        assert_eq!(log.take(), [started(2, "readline", ""), returned(2, "readline", b"pong\n")]);
        assert_eq!(writer.snapshot(), open_writer());

        writer.close();
        assert_eq!(log.take(), [EventKind::Close]);
        assert_eq!(
            writer.snapshot(),
            WriterSnapshot { is_closing: true, is_reading: false, ..open_writer() }
        );
        writer.close();
        assert_eq!(log.take(), NOTHING, "close() is idempotent");

        writer.wait_closed().await.unwrap();
        assert_eq!(
            log.take(),
            [
                started(3, "wait_closed", ""),
                waits(3, None),
                EventKind::ConnectionLost { exc: None },
                EventKind::Eof,
                finished(3, "wait_closed"),
            ]
        );
        assert_eq!(
            writer.snapshot(),
            WriterSnapshot { is_closing: true, is_reading: false, lost: Some(None), ..open_writer() }
        );
        assert_eq!(reader.snapshot(), ReaderSnapshot { eof: true, ..state(b"") });
        writer.wait_closed().await.unwrap();
        assert_eq!(log.take(), [started(4, "wait_closed", ""), finished(4, "wait_closed")]);
    });
}

#[test]
fn write_eof_half_closes_and_the_connection_stays_until_close() {
    run(async {
        let (reader, writer, _conn, log, _sub) = connect("echo.demo", 7);
        writer.write(b"tail").unwrap();
        writer.write_eof().unwrap();
        writer.write_eof().unwrap();
        assert_eq!(
            log.take(),
            [EventKind::ConnectionMade, EventKind::Write { method: "write", size: 4 }, EventKind::WriteEof],
            "write_eof() is idempotent"
        );
        assert_eq!(writer.snapshot(), WriterSnapshot { eof_written: true, ..open_writer() });
        assert_eq!(writer.write(b"x"), Err(StreamError::WriteAfterEof { method: "write" }));
        assert_eq!(log.take(), NOTHING);

        assert_eq!(reader.read(-1).await.unwrap(), &b"tail"[..]);
        // The echo's FIN (eof_received). Both sides sent EOF, but as a TCP socket in CPython
        // the connection is over only at close().
        assert_eq!(
            log.take(),
            [
                started(0, "read", "-1"),
                waits(0, None),
                chunk(4),
                EventKind::Eof,
                returned(0, "read", b"tail")
            ]
        );
        assert_eq!(writer.snapshot(), WriterSnapshot { eof_written: true, ..open_writer() });
        assert!(!writer.is_closing());
        writer.close();
        writer.wait_closed().await.unwrap();
        assert_eq!(
            log.take(),
            [
                EventKind::Close,
                started(1, "wait_closed", ""),
                waits(1, None),
                EventKind::ConnectionLost { exc: None },
                finished(1, "wait_closed"),
            ]
        );
        assert_eq!(
            writer.snapshot(),
            WriterSnapshot {
                eof_written: true,
                is_closing: true,
                is_reading: false,
                lost: Some(None),
                ..open_writer()
            }
        );
    });
}

#[test]
fn observing_an_opened_connection_through_its_writer() {
    run(async {
        let (reader, writer) = open_connection("echo.demo", 7, Default::default()).await.unwrap();
        let log = Log::default();
        let _sub = writer.observe(log.observer());
        assert_eq!(log.take(), NOTHING, "the connection was made before anyone could observe it");
        assert_eq!(writer.snapshot(), open_writer());

        writer.write(b"hi\n").unwrap();
        assert_eq!(reader.readline().await.unwrap(), &b"hi\n"[..]);
        assert_eq!(
            log.take(),
            [
                EventKind::Write { method: "write", size: 3 },
                started(0, "readline", ""),
                waits(0, Some(0)),
                chunk(3),
                returned(0, "readline", b"hi\n"),
            ]
        );

        writer.close();
        writer.write(b"dropped").unwrap();
        assert_eq!(log.take(), [EventKind::Close], "a write after close() is dropped, no Write");
        let lost = PyException::new("ConnectionResetError", "Connection lost");
        let err = writer.drain().await.unwrap_err();
        assert_eq!(err.repr(), "ConnectionResetError('Connection lost')");
        // drain() yields once when closing, so connection_lost runs first (bpo-25441).
        assert_eq!(
            log.take(),
            [
                started(1, "drain", ""),
                EventKind::ConnectionLost { exc: None },
                EventKind::Eof,
                raised(1, "drain", StreamError::Raised(lost)),
            ]
        );
        writer.wait_closed().await.unwrap();
        assert_eq!(log.take(), [started(2, "wait_closed", ""), finished(2, "wait_closed")]);
        assert_eq!(
            writer.snapshot(),
            WriterSnapshot { is_closing: true, is_reading: false, lost: Some(None), ..open_writer() }
        );
    });
}

// ---- 4. a lost connection, and write flow control ----

#[test]
fn a_lost_connection_ends_the_waiting_calls_with_its_exception() {
    run(async {
        let (reader, writer, conn, log, _sub) = connect("echo.demo", 7);
        let mut line = pin!(reader.readline());
        pending(line.as_mut());
        let mut closed = pin!(writer.wait_closed());
        pending(closed.as_mut());
        assert_eq!(
            log.take(),
            [
                EventKind::ConnectionMade,
                started(0, "readline", ""),
                waits(0, Some(0)),
                started(1, "wait_closed", ""),
                waits(1, None),
            ]
        );

        let exc = PyException::with_errno("ConnectionResetError", 104, "Connection reset by peer");
        conn.connection_lost(Some(exc.clone()));
        assert_eq!(
            log.take(),
            [EventKind::ConnectionLost { exc: Some(exc.clone()) }, EventKind::Exception { exc: exc.clone() }]
        );
        assert!(exc_of(&line.await.unwrap_err()).is(&exc));
        assert!(exc_of(&closed.await.unwrap_err()).is(&exc));
        assert_eq!(
            log.take(),
            [
                raised(0, "readline", StreamError::Raised(exc.clone())),
                raised(1, "wait_closed", StreamError::Raised(exc.clone())),
            ]
        );
        assert_eq!(reader.snapshot(), ReaderSnapshot { exception: Some(exc.clone()), ..state(b"") });
        let snap = writer.snapshot();
        assert_eq!((snap.is_closing, snap.lost), (true, Some(Some(exc.clone()))));

        // The reader's exception first, for drain as for reads; writes are dropped.
        assert!(exc_of(&writer.drain().await.unwrap_err()).is(&exc));
        assert!(exc_of(&reader.read(1).await.unwrap_err()).is(&exc));
        writer.write(b"more").unwrap();
        conn.connection_lost(None); // once only
        assert_eq!(
            log.take(),
            [
                started(2, "drain", ""),
                raised(2, "drain", StreamError::Raised(exc.clone())),
                started(3, "read", "1"),
                raised(3, "read", StreamError::Raised(exc)),
            ]
        );
    });
}

#[test]
fn paused_writing_makes_drain_wait_until_resumed_or_lost() {
    run(async {
        let (_reader, writer, conn, log, _sub) = connect("echo.demo", 7);
        conn.pause_writing();
        assert_eq!(log.take(), [EventKind::ConnectionMade, EventKind::WritingPaused]);
        assert_eq!(writer.snapshot(), WriterSnapshot { writing_paused: true, ..open_writer() });
        {
            let mut drain = pin!(writer.drain());
            pending(drain.as_mut());
            assert_eq!(log.take(), [started(0, "drain", ""), waits(0, None)]);
            conn.resume_writing();
            assert_eq!(log.take(), [EventKind::WritingResumed]);
            drain.await.unwrap();
            assert_eq!(log.take(), [finished(0, "drain")]);
        }
        assert_eq!(writer.snapshot(), open_writer());

        conn.credit_granted(4096);
        assert_eq!(log.take(), [EventKind::CreditGranted { bytes: 4096 }]);
        assert_eq!(writer.snapshot().credit, None, "the memory transport has no credit");

        // A drain cancelled while it waits finishes with CancelledError.
        conn.pause_writing();
        {
            let mut drain = pin!(writer.drain());
            pending(drain.as_mut());
        }
        assert_eq!(
            log.take(),
            [
                EventKind::WritingPaused,
                started(1, "drain", ""),
                waits(1, None),
                raised(1, "drain", StreamError::Cancelled)
            ]
        );

        // Lost while paused: the waiting drain raises the exception.
        let mut drain = pin!(writer.drain());
        pending(drain.as_mut());
        let exc = PyException::with_errno("BrokenPipeError", 32, "Broken pipe");
        conn.connection_lost(Some(exc.clone()));
        assert!(exc_of(&drain.await.unwrap_err()).is(&exc));
        assert_eq!(
            log.take(),
            [
                started(2, "drain", ""),
                waits(2, None),
                EventKind::ConnectionLost { exc: Some(exc.clone()) },
                EventKind::Exception { exc: exc.clone() },
                raised(2, "drain", StreamError::Raised(exc)),
            ]
        );
    });
}

// ---- 5. a late write to a peer that closed: CPython 3.13.0 over TCP ----

#[test]
fn a_late_write_to_a_closed_peer_breaks_the_pipe_as_over_tcp() {
    // CPython 3.13.0, to a loopback server that answered and closed:
    //   write + drain: ok; (sleep) write: ok, drain: ConnectionResetError('Connection lost');
    //   later drains and wait_closed: BrokenPipeError(32, 'Broken pipe'); is_closing() true.
    run(async {
        let (reader, writer, _conn, log, _sub) = connect("example.demo", 80);
        writer.write(b"GET / HTTP/1.0\r\n\r\n").unwrap();
        let response = reader.read(-1).await.unwrap();
        assert!(response.starts_with(b"HTTP/1.0 200 OK\r\n") && response.ends_with(b"</html>\n"));
        assert_eq!(
            log.take(),
            [
                EventKind::ConnectionMade,
                EventKind::Write { method: "write", size: 18 },
                started(0, "read", "-1"),
                waits(0, None),
                chunk(response.len()),
                EventKind::Eof,
                EventKind::CallFinished { id: 0, method: "read", outcome: Ok(Some(response.clone())) },
            ],
            "the whole response in one chunk, then the peer's FIN"
        );
        assert!(!writer.is_closing(), "the peer's EOF does not make the writer closing");
        assert_eq!(writer.snapshot(), open_writer());

        // The first late write reaches the closed peer, which answers with RST.
        writer.write(b"late").unwrap();
        writer.drain().await.unwrap();
        assert_eq!(
            log.take(),
            [EventKind::Write { method: "write", size: 4 }, started(1, "drain", ""), finished(1, "drain")]
        );
        assert!(!writer.is_closing());
        streamlab::runtime::sleep(Duration::from_millis(5)).await;
        assert_eq!(log.take(), NOTHING);

        // The RST has arrived: the next write fails (EPIPE) and the connection is lost with it.
        let broken = PyException::with_errno("BrokenPipeError", 32, "Broken pipe");
        writer.write(b"late").unwrap();
        assert!(writer.is_closing());
        let err = writer.drain().await.unwrap_err();
        assert_eq!(err.repr(), "ConnectionResetError('Connection lost')");
        assert_eq!(
            log.take(),
            [
                EventKind::Write { method: "write", size: 4 },
                started(2, "drain", ""),
                EventKind::ConnectionLost { exc: Some(broken.clone()) },
                EventKind::Exception { exc: broken.clone() },
                raised(
                    2,
                    "drain",
                    StreamError::Raised(PyException::new("ConnectionResetError", "Connection lost"))
                ),
            ]
        );

        for _ in 0..2 {
            writer.write(b"late").unwrap();
            let err = writer.drain().await.unwrap_err();
            assert_eq!(err.repr(), "BrokenPipeError(32, 'Broken pipe')");
        }
        let err = writer.wait_closed().await.unwrap_err();
        assert_eq!(
            (err.python_name(), err.repr().as_str()),
            ("BrokenPipeError", "BrokenPipeError(32, 'Broken pipe')")
        );
        assert!(writer.is_closing());
        assert_eq!(
            log.take(),
            [
                started(3, "drain", ""),
                raised(3, "drain", StreamError::Raised(broken.clone())),
                started(4, "drain", ""),
                raised(4, "drain", StreamError::Raised(broken.clone())),
                started(5, "wait_closed", ""),
                raised(5, "wait_closed", StreamError::Raised(broken.clone())),
            ],
            "writes to the lost connection are dropped: no Write"
        );
        assert_eq!(
            writer.snapshot(),
            WriterSnapshot {
                is_closing: true,
                is_reading: false,
                lost: Some(Some(broken.clone())),
                ..open_writer()
            }
        );
        assert_eq!(reader.snapshot(), ReaderSnapshot { eof: true, exception: Some(broken), ..state(b"") });
    });
}

// ---- 6. delivery: reentrant observers, unsubscribing ----

#[test]
fn an_observer_may_take_snapshots_from_its_callback() {
    let reader = StreamReader::new(8).unwrap();
    type Seen = Vec<(EventKind, ReaderSnapshot, bool, String)>;
    let seen: Rc<RefCell<Seen>> = Rc::default();
    let sub = {
        let (seen, r) = (Rc::clone(&seen), reader.clone());
        reader.observe(move |e| {
            let snap = r.snapshot_window(1, 2);
            seen.borrow_mut().push((e.kind.clone(), snap, r.is_waiting(), r.to_string()));
        })
    };
    let limited = |buffered: &[u8], start: usize, window: &[u8], waiting| ReaderSnapshot {
        limit: 8,
        window_start: start,
        window: Bytes::copy_from_slice(window),
        waiting,
        ..state(buffered)
    };
    reader.feed_data(b"ab").unwrap();
    let mut line = pin!(reader.readline());
    pending(line.as_mut());
    reader.feed_data(b"cd\n").unwrap();
    assert_eq!(poll_once(line.as_mut()), ok(b"abcd\n"));
    drop(sub);

    let waiting = call(0, "readline", CallArgs::None, Some(2));
    let expected = [
        (chunk(2), limited(b"ab", 1, b"b", None), false, "<StreamReader 2 bytes limit=8>".to_owned()),
        (
            started(0, "readline", ""),
            limited(b"ab", 1, b"b", None),
            false,
            "<StreamReader 2 bytes limit=8>".to_owned(),
        ),
        (
            waits(0, Some(2)),
            limited(b"ab", 1, b"b", waiting.clone()),
            true,
            "<StreamReader 2 bytes limit=8 waiter=<Future pending cb=[Task.task_wakeup()]>>".to_owned(),
        ),
        // The Chunk comes before the waiter is woken.
        (
            chunk(3),
            limited(b"abcd\n", 1, b"bc", waiting),
            true,
            "<StreamReader 5 bytes limit=8 waiter=<Future pending cb=[Task.task_wakeup()]>>".to_owned(),
        ),
        (
            returned(0, "readline", b"abcd\n"),
            limited(b"", 0, b"", None),
            false,
            "<StreamReader limit=8>".to_owned(),
        ),
    ];
    assert_eq!(*seen.borrow(), expected);
}

#[test]
fn an_observer_may_look_at_the_writer_from_its_callback() {
    run(async {
        let reader = StreamReader::default();
        let conn = StreamProtocol::new(reader.clone());
        let writer = StreamWriter::new(Rc::clone(&conn));
        let seen: Rc<RefCell<Vec<(EventKind, WriterSnapshot, bool)>>> = Rc::default();
        let sub = {
            let (seen, w, r) = (Rc::clone(&seen), writer.clone(), reader.clone());
            writer.observe(move |e| {
                let _ = (r.snapshot(), r.to_string(), w.to_string(), w.get_extra_info("peername"));
                seen.borrow_mut().push((e.kind.clone(), w.snapshot(), w.is_closing()));
            })
        };
        memory::connect(streamlab::demo::find("echo.demo", 7).unwrap(), conn.clone()).unwrap();
        writer.write(b"x\n").unwrap();
        assert_eq!(reader.readline().await.unwrap(), &b"x\n"[..]);
        writer.close();
        writer.wait_closed().await.unwrap();
        drop(sub);

        let closing = WriterSnapshot { is_closing: true, is_reading: false, ..open_writer() };
        let lost = WriterSnapshot { lost: Some(None), ..closing.clone() };
        assert_eq!(
            *seen.borrow(),
            [
                (EventKind::ConnectionMade, open_writer(), false),
                (EventKind::Write { method: "write", size: 2 }, open_writer(), false),
                (started(0, "readline", ""), open_writer(), false),
                (waits(0, Some(0)), open_writer(), false),
                (chunk(2), open_writer(), false),
                (returned(0, "readline", b"x\n"), open_writer(), false),
                (EventKind::Close, closing.clone(), true),
                (started(1, "wait_closed", ""), closing.clone(), true),
                (waits(1, None), closing, true),
                (EventKind::ConnectionLost { exc: None }, lost.clone(), true),
                (EventKind::Eof, lost.clone(), true),
                (finished(1, "wait_closed"), lost, true),
            ]
        );
    });
}

#[test]
fn an_event_an_observer_causes_comes_after_the_current_one() {
    let reader = StreamReader::default();
    let first = Log::default();
    let fed = Rc::new(Cell::new(false));
    let _a = {
        let (log, r, fed) = (first.clone(), reader.clone(), Rc::clone(&fed));
        reader.observe(move |e| {
            log.0.events.borrow_mut().push(e.clone());
            if matches!(e.kind, EventKind::CallWaiting { .. }) && !fed.replace(true) {
                r.feed_data(b"\n").unwrap(); // from inside the callback: completes the read
            }
        })
    };
    let second = Log::default();
    let _b = reader.observe(second.observer());

    reader.feed_data(b"ab").unwrap();
    // The observer fed the newline while the read was registering its wait: it finishes in
    // the same poll.
    assert_eq!(poll_once(pin!(reader.readline())), ok(b"ab\n"));
    let expected =
        [chunk(2), started(0, "readline", ""), waits(0, Some(2)), chunk(1), returned(0, "readline", b"ab\n")];
    assert_eq!(first.take(), expected);
    assert_eq!(second.take(), expected, "the other observer got CallWaiting before the Chunk it caused");
    assert_eq!(first.events(), second.events());
    assert_eq!(reader.snapshot(), state(b""));
}

#[test]
fn a_flood_of_reentrant_events_gives_way_to_one_dropped_event() {
    let reader = StreamReader::default();
    let log = Log::default();
    let _sub = {
        let (log, r) = (log.clone(), reader.clone());
        reader.observe(move |e| {
            log.0.events.borrow_mut().push(e.clone());
            if e.kind == chunk(2) {
                for _ in 0..QUEUE_CAP + 904 {
                    r.feed_data(b"x").unwrap();
                }
            }
        })
    };
    reader.feed_data(b"ab").unwrap();
    let events = log.take(); // also checks that time never went backwards
    assert_eq!(events.len(), 2 + QUEUE_CAP);
    assert_eq!(events[..2], [chunk(2), EventKind::Dropped { count: 904 }]);
    assert!(events[2..].iter().all(|k| *k == chunk(1)));
    assert_eq!(reader.snapshot().buffered, 2 + QUEUE_CAP + 904, "only events were dropped, not data");
    reader.feed_eof();
    assert_eq!(log.take(), [EventKind::Eof], "delivery goes on normally");
}

#[test]
fn dropping_the_subscription_stops_delivery() {
    let reader = StreamReader::default();
    let log = Log::default();
    let sub = reader.observe(log.observer());
    reader.feed_data(b"a").unwrap();
    drop(sub);
    reader.feed_data(b"b").unwrap();
    assert_eq!(log.take(), [chunk(1)]);

    let sub = reader.observe(log.observer());
    reader.feed_data(b"c").unwrap();
    sub.cancel();
    reader.feed_data(b"d").unwrap();
    assert_eq!(log.take(), [chunk(1)]);

    // Unsubscribing from inside its own callback: that event was delivered, no later one is.
    let slot: Rc<RefCell<Option<Subscription>>> = Rc::default();
    let sub = {
        let (log, slot) = (log.clone(), Rc::clone(&slot));
        reader.observe(move |e| {
            log.0.events.borrow_mut().push(e.clone());
            slot.borrow_mut().take();
        })
    };
    *slot.borrow_mut() = Some(sub);
    reader.feed_data(b"e").unwrap();
    reader.feed_data(b"f").unwrap();
    assert_eq!(log.take(), [chunk(1)]);
    assert!(slot.borrow().is_none());

    // forever(): the observer stays although the Subscription is gone.
    reader.observe(log.observer()).forever();
    reader.feed_data(b"g").unwrap();
    reader.feed_eof();
    assert_eq!(log.take(), [chunk(1), EventKind::Eof]);
    assert_eq!(reader.snapshot(), ReaderSnapshot { eof: true, ..state(b"abcdefg") });
}

#[test]
fn with_no_observer_nothing_is_kept_for_a_later_one() {
    let reader = StreamReader::default();
    reader.feed_data(b"ab\n").unwrap();
    assert_eq!(block_on(reader.readline()).unwrap(), &b"ab\n"[..]);
    reader.set_exception(PyException::new("RuntimeError", "x"));
    let (log, _sub) = observed(&reader);
    assert_eq!(log.take(), NOTHING);
    let err = block_on(reader.read(1)).unwrap_err();
    // Call ids count the calls that were observed or had to wait (an unobserved call that
    // finishes at once costs nothing).
    assert_eq!(log.take(), [started(0, "read", "1"), raised(0, "read", err)]);
}

// ---- 7. several observers ----

#[test]
fn several_observers_see_the_same_sequence() {
    run(async {
        let (reader, writer, _conn, first, _a) = connect("lines.demo", 9001);
        let second = Log::default();
        let _b = reader.observe(second.observer());
        let third = Log::default();
        let _c = writer.observe(third.observer());
        writer.write(b"3\n").unwrap();
        for i in 1..=3 {
            assert_eq!(reader.readline().await.unwrap(), format!("line {i}\n").as_bytes());
        }
        writer.close();
        writer.wait_closed().await.unwrap();

        let kinds = first.take();
        assert_eq!(kinds[0], EventKind::ConnectionMade, "only the first observer was there for it");
        assert_eq!(second.take(), kinds[1..]);
        assert_eq!(third.take(), kinds[1..]);
        assert_eq!(first.events()[1..], second.events(), "the very same events, timestamps and all");
        assert_eq!(second.events(), third.events());
        assert_eq!(kinds[1], EventKind::Write { method: "write", size: 2 });
        assert_eq!(
            kinds[kinds.len() - 3..],
            [EventKind::ConnectionLost { exc: None }, EventKind::Eof, finished(3, "wait_closed")]
        );
    });
}
