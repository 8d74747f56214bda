//! Lent lines (`stream::lend`): a reader that lent lines and had some handed out is, by the
//! time anything touches it or any event is emitted, exactly the reader that read those lines
//! with `readline()` — same buffer, same events in the same order, same flow control.

#![cfg(not(target_arch = "wasm32"))]

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use futures::executor::block_on;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use streamlab::sansio::{ReadLine, ReadOp, StreamBuffer};
use streamlab::stream::{Event, Subscription};
use streamlab::{PyException, ReadTransport, StreamReader};

/// Events as comparable text, times left out (lent lines' events carry the settling's time).
fn recorder(reader: &StreamReader) -> (Rc<RefCell<Vec<String>>>, Subscription) {
    let log = Rc::new(RefCell::new(Vec::new()));
    let sink = Rc::clone(&log);
    let sub = reader.observe(move |e: &Event| sink.borrow_mut().push(format!("{:?}", e.kind)));
    (log, sub)
}

/// A loan whose handed-out count the test sets.
fn lend(reader: &StreamReader, max: usize) -> (bytes::Bytes, Rc<Cell<usize>>, Rc<Cell<u32>>) {
    let handed_out = Rc::new(Cell::new(0));
    let asked = Rc::new(Cell::new(0));
    let (count, times) = (Rc::clone(&handed_out), Rc::clone(&asked));
    let lent = reader.lend_lines(max, move || {
        times.set(times.get() + 1);
        count.get()
    });
    (lent, handed_out, asked)
}

#[test]
fn decided_is_what_successive_readlines_return_at_once() {
    let mut rng = StdRng::seed_from_u64(0x1e9d);
    for _ in 0..20_000 {
        let limit = rng.random_range(1..12);
        let len = rng.random_range(0..40);
        let data: Vec<u8> = (0..len).map(|_| if rng.random_bool(0.25) { b'\n' } else { b'a' }).collect();
        let mut buf = StreamBuffer::new(limit).unwrap();
        buf.feed_data(&data).unwrap();
        if rng.random_bool(0.2) {
            buf.feed_eof();
        }
        let max = if rng.random_bool(0.5) { usize::MAX } else { rng.random_range(0..40) };
        let decided = ReadLine::decided(&buf, max);
        let mut read = 0;
        while read < decided {
            let line = ReadLine::new().step(&mut buf).unwrap().unwrap();
            assert!(line.ends_with(b"\n"), "{data:?} limit {limit}: a whole line");
            read += line.len();
        }
        assert_eq!(read, decided, "{data:?} limit {limit} max {max}");
        // And it stopped where the next readline would not return a whole line at once (or
        // where the next one would pass `max`).
        let next = ReadLine::new().step(&mut buf);
        let whole = matches!(&next, Ok(Some(line)) if line.ends_with(b"\n"));
        if whole {
            let Ok(Some(line)) = next else { unreachable!() };
            assert!(decided + line.len() > max, "{data:?} limit {limit} max {max}: stopped early");
        }
    }
}

#[test]
fn nothing_is_lent_while_an_exception_is_stored_or_no_line_is_whole() {
    let reader = StreamReader::new(8).unwrap();
    reader.feed_data(b"partial").unwrap();
    assert!(lend(&reader, 1024).0.is_empty());
    reader.feed_data(b"\nok\n").unwrap();
    reader.set_exception(PyException::new("ConnectionResetError", "gone"));
    assert!(lend(&reader, 1024).0.is_empty(), "readline raises first");
}

#[test]
fn lent_lines_handed_out_are_read_before_anything_touches_the_reader() {
    let reader = StreamReader::new(64).unwrap();
    reader.feed_data(b"a\nb\nc\nd\n").unwrap();
    let (log, _sub) = recorder(&reader);
    let (lent, handed_out, asked) = lend(&reader, 1024);
    assert_eq!(&lent[..], b"a\nb\nc\nd\n");
    assert!(log.borrow().is_empty(), "no events until settled");
    handed_out.set(3);
    // The next touch — here a read — settles first: three readlines, then the read.
    assert_eq!(block_on(reader.read(100)).unwrap(), &b"d\n"[..]);
    assert_eq!(asked.get(), 1, "asked once");
    let kinds: Vec<String> =
        log.borrow().iter().map(|e| e.split(['{', ' ']).next().unwrap().to_owned()).collect();
    assert_eq!(
        kinds,
        [
            "CallStarted",
            "CallFinished",
            "CallStarted",
            "CallFinished",
            "CallStarted",
            "CallFinished",
            "CallStarted",
            "CallFinished"
        ]
    );
    assert!(log.borrow()[1].contains("a\\n") && log.borrow()[5].contains("c\\n"), "{:?}", log.borrow());
    assert!(log.borrow()[6].contains("\"read\""), "then the read: {:?}", log.borrow());
}

#[test]
fn another_readers_event_comes_after_the_lent_lines_read_before_it() {
    let lender = StreamReader::new(64).unwrap();
    let other = StreamReader::new(64).unwrap();
    lender.feed_data(b"x\ny\n").unwrap();
    let order = Rc::new(RefCell::new(Vec::new()));
    let (a, b) = (Rc::clone(&order), Rc::clone(&order));
    let _s1 = lender.observe(move |e| a.borrow_mut().push(format!("lender {:?}", e.kind)));
    let _s2 = other.observe(move |e| b.borrow_mut().push(format!("other {:?}", e.kind)));
    let (_, handed_out, _) = lend(&lender, 1024);
    handed_out.set(2);
    assert!(order.borrow().is_empty(), "no events until settled");
    other.feed_data(b"z").unwrap();
    let order = order.borrow();
    assert_eq!(lender.buffered(), &b""[..]);
    assert_eq!(order.len(), 5, "{order:?}");
    assert!(order[..4].iter().all(|e| e.starts_with("lender")), "{order:?}");
    assert_eq!(order[4], "other Chunk { size: 1 }");
}

#[test]
fn lines_not_handed_out_stay_buffered_and_data_or_an_exception_arrive_after() {
    let reader = StreamReader::new(64).unwrap();
    reader.feed_data(b"1\n2\n3\n").unwrap();
    let (_, handed_out, _) = lend(&reader, 1024);
    handed_out.set(1);
    reader.set_exception(PyException::new("ConnectionResetError", "gone"));
    // "1\n" was read before the exception; "2\n3\n" stay, and the next read raises.
    assert_eq!(reader.buffered(), &b"2\n3\n"[..]);
    assert!(block_on(reader.readline()).is_err());

    let reader = StreamReader::new(64).unwrap();
    reader.feed_data(b"1\n2\n").unwrap();
    let (_, handed_out, _) = lend(&reader, 1024);
    handed_out.set(99); // more than lent: only what was lent is read
    reader.feed_data(b"3\n").unwrap();
    assert_eq!(reader.buffered(), &b"3\n"[..]);
}

#[test]
fn a_loan_respects_max_and_settles_before_the_next_loan() {
    let reader = StreamReader::new(64).unwrap();
    reader.feed_data(b"aa\nbb\ncc\n").unwrap();
    let (lent, handed_out, _) = lend(&reader, 6);
    assert_eq!(&lent[..], b"aa\nbb\n");
    handed_out.set(2);
    let (lent, _, _) = lend(&reader, 6);
    assert_eq!(&lent[..], b"cc\n", "the first loan was settled: two lines read");
}

#[derive(Default)]
struct Flow(RefCell<Vec<&'static str>>);

impl ReadTransport for Flow {
    fn pause_reading(&self) {
        self.0.borrow_mut().push("pause");
    }
    fn resume_reading(&self) {
        self.0.borrow_mut().push("resume");
    }
}

#[test]
fn flow_control_resumes_when_the_handed_out_lines_are_settled() {
    let reader = StreamReader::new(4).unwrap();
    let flow = Rc::new(Flow::default());
    reader.set_transport(flow.clone()).unwrap();
    reader.feed_data(b"ab\ncd\nef\n").unwrap(); // 9 > 2 × 4: paused
    assert_eq!(*flow.0.borrow(), ["pause"]);
    let (_, handed_out, _) = lend(&reader, 1024);
    handed_out.set(2);
    assert_eq!(*flow.0.borrow(), ["pause"], "nothing read yet");
    assert!(!reader.is_paused(), "settled first: 3 bytes left ≤ limit, resumed");
    assert_eq!(*flow.0.borrow(), ["pause", "resume"]);
}

#[test]
fn the_event_loop_settles_a_loan_at_its_next_turn() {
    streamlab::runtime::run(async {
        let reader = StreamReader::new(64).unwrap();
        reader.feed_data(b"a\nb\n").unwrap();
        let (log, _sub) = recorder(&reader);
        let (_, handed_out, asked) = lend(&reader, 1024);
        handed_out.set(2);
        streamlab::runtime::yield_now().await;
        assert_eq!(asked.get(), 1, "settled by the task the loan scheduled");
        assert_eq!(log.borrow().len(), 4);
    });
}

#[test]
fn lending_settles_every_earlier_loan_first() {
    let (a, b) = (StreamReader::new(64).unwrap(), StreamReader::new(64).unwrap());
    a.feed_data(b"a1\na2\n").unwrap();
    b.feed_data(b"b1\nb2\n").unwrap();
    let (log, _sub) = recorder(&a);
    let (_, handed_a, _) = lend(&a, 1024);
    handed_a.set(1);
    let _ = lend(&b, 1024);
    assert_eq!(log.borrow().len(), 2, "a1 read when b lent: {:?}", log.borrow());
    assert_eq!(a.buffered(), &b"a2\n"[..]);
}
