//! Lines lent ahead of their `readline()`s, for a binding whose every call into the library
//! is costly (Python in Pyodide: each call crosses to JavaScript and WebAssembly and back).
//!
//! [`StreamReader::lend_lines`] copies out the lines successive `readline()`s would return
//! now, and consumes nothing. The binding hands them to its program one `readline()` at a
//! time, without calling the library. Before the library next does anything with any reader
//! — a call, a snapshot, data arriving, an event — it [`settle`]s: it asks the binding how
//! many lines it handed out, reads those for real (the same bytes, events in order, flow
//! control), and the binding forgets the rest. A task scheduled at the loan settles it at
//! the latest when the binding's code gives the event loop back (its next task). As nothing
//! else runs between two steps of an asyncio task, no view, transport or peer can tell a lent
//! line from a line read when it was handed out; only its events' times are those of the
//! settling.
//!
//! ```
//! use std::{cell::Cell, rc::Rc};
//! use streamlab::StreamReader;
//! let reader = StreamReader::new(64).unwrap();
//! reader.feed_data(b"a\nb\nc\n").unwrap();
//! let handed_out = Rc::new(Cell::new(0));
//! let count = Rc::clone(&handed_out);
//! let lent = reader.lend_lines(1024, move || count.get()); // nothing consumed
//! assert_eq!(&lent[..], b"a\nb\nc\n");
//! handed_out.set(2); // the binding's program took "a\n" and "b\n"
//! assert_eq!(reader.snapshot().buffered, 2); // settled first: they were read, "c\n" is left
//! ```

use std::cell::{Cell, RefCell};

use futures::FutureExt;

use super::StreamReader;
use crate::runtime;

/// The loan: whose lines, how many, and how to ask how many were handed out. There is at most
/// one: lending settles the one before.
struct Loan {
    reader: StreamReader,
    lines: usize,
    handed_out: Box<dyn FnOnce() -> usize>,
}

thread_local! {
    static LOAN: RefCell<Option<Loan>> = const { RefCell::new(None) };
    static ANY: Cell<bool> = const { Cell::new(false) };
}

/// Registers a loan of `lines` lines of `reader` (see [`StreamReader::lend_lines`], which
/// settles first).
pub(super) fn register(reader: StreamReader, lines: usize, handed_out: Box<dyn FnOnce() -> usize>) {
    let earlier = LOAN.with(|loan| loan.borrow_mut().replace(Loan { reader, lines, handed_out }));
    debug_assert!(earlier.is_none(), "a loan was not settled before the next");
    ANY.set(true);
    // At the latest when the binding's code gives the event loop back: in a page, its next
    // task, not a microtask (a JS `for await` passes a microtask checkpoint at every line);
    // natively, where a spawned task already runs on a later turn, that turn. Natively outside
    // `runtime::run` there is no loop: the next touch settles.
    let _ = runtime::spawn_local(async {
        #[cfg(target_arch = "wasm32")]
        runtime::next_task().await;
        settle();
    });
}

/// Settles the loan: reads the lines handed out, for real. Every entry point of a reader and
/// every event calls it first; it costs one `Cell` read when nothing is lent.
#[inline]
pub fn settle() {
    if ANY.get() {
        settle_now();
    }
}

#[cold]
#[inline(never)]
fn settle_now() {
    ANY.set(false);
    let Some(loan) = LOAN.with(|loan| loan.borrow_mut().take()) else { return };
    for _ in 0..(loan.handed_out)().min(loan.lines) {
        // Decided by the buffer when lent, and nothing touched it since: ready at once.
        let line = loan.reader.readline().now_or_never();
        debug_assert!(matches!(line, Some(Ok(_))), "a lent line was not there: {line:?}");
    }
}
