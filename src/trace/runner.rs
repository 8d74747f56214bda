//! Runs a [`Scenario`] against a real [`StreamReader`], each read a task, as the CPython oracle
//! does with `asyncio` tasks and `sleep(0)`.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use bytes::Bytes;
use serde::Serialize;

use super::scenario::{Scenario, Step};
use crate::sansio::{PyException, StreamError};
use crate::StreamReader;

/// What one scenario did: `{"events":[...],"pending":[...],"buffer":HEX,"at_eof":bool}`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TraceOutput {
    /// Finished steps, in completion order.
    pub events: Vec<Event>,
    /// Steps still waiting at the end.
    pub pending: Vec<usize>,
    /// The unread bytes, hex.
    pub buffer: String,
    /// `at_eof()` at the end.
    pub at_eof: bool,
}

/// A finished step.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Event {
    /// The step's index.
    pub step: usize,
    /// Its result.
    pub result: Outcome,
}

/// A step's result: `{"ok":HEX}`, `{"ok":bool}` or `{"error":NAME,...}`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Outcome {
    /// Bytes from a read, hex.
    Data {
        /// The bytes, hex.
        ok: String,
    },
    /// `at_eof()`'s answer.
    Flag {
        /// The answer.
        ok: bool,
    },
    /// An exception.
    Error(ErrorOutcome),
}

/// An exception: its Python class name and, where CPython has them, its attributes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ErrorOutcome {
    /// The class name.
    pub error: String,
    /// `IncompleteReadError.partial`, hex.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partial: Option<String>,
    /// `IncompleteReadError.expected` (`null` for readuntil).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<Option<usize>>,
    /// `LimitOverrunError.consumed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumed: Option<usize>,
    /// `str(exc)`, only when asked for ([`Options::messages`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// How to report.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Add `"message": str(exc)` to every error (an extension of the format).
    pub messages: bool,
}

type Op<'a> = Pin<Box<dyn Future<Output = Result<Outcome, StreamError>> + 'a>>;

struct Task<'a> {
    step: usize,
    op: Op<'a>,
    woken: Arc<Flag>,
}

struct Flag(AtomicBool);

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Runs a scenario: a read op runs until it finishes or must wait; after every step, each
/// woken op runs again until nothing more can happen.
///
/// ```
/// use streamlab::trace::{run, Options, Scenario};
/// let s = Scenario::parse(r#"{"steps":[{"op":"readline"},{"op":"feed","data":"610a62"}]}"#).unwrap();
/// let out = run(&s, Options::default());
/// assert_eq!(serde_json::to_string(&out).unwrap(),
///     r#"{"events":[{"step":0,"result":{"ok":"610a"}}],"pending":[],"buffer":"62","at_eof":false}"#);
/// ```
pub fn run(scenario: &Scenario, opts: Options) -> TraceOutput {
    let reader = match StreamReader::new(scenario.limit) {
        Ok(reader) => reader,
        // Scenario::parse only accepts limits >= 1.
        Err(e) => {
            return TraceOutput {
                events: vec![error_event(0, &e, opts)],
                pending: vec![],
                buffer: String::new(),
                at_eof: false,
            }
        }
    };
    let mut events = Vec::new();
    let mut tasks: Vec<Task<'_>> = Vec::new();
    for (i, step) in scenario.steps.iter().enumerate() {
        match step {
            Step::Feed(data) => {
                // Scenario::parse refuses a feed after eof, the only way this can fail.
                let _ = reader.feed_data(data);
            }
            Step::Eof => reader.feed_eof(),
            Step::SetException => {
                reader.set_exception(PyException::new("ConnectionResetError", "Connection lost"))
            }
            Step::AtEof => events.push(Event { step: i, result: Outcome::Flag { ok: reader.at_eof() } }),
            read => tasks.push(Task {
                step: i,
                op: start(&reader, read.clone()),
                woken: Arc::new(Flag(AtomicBool::new(true))),
            }),
        }
        settle(&mut tasks, &mut events, opts);
    }
    let pending = tasks.iter().map(|t| t.step).collect();
    drop(tasks); // cancels what still waits, as the oracle does
    TraceOutput { events, pending, buffer: hex::encode(reader.buffered()), at_eof: reader.at_eof() }
}

fn start<'a>(reader: &'a StreamReader, step: Step) -> Op<'a> {
    Box::pin(async move {
        let data: Bytes = match step {
            Step::Read(n) => reader.read(n).await?,
            Step::ReadLine => reader.readline().await?,
            Step::ReadExactly(n) => reader.readexactly(n).await?,
            Step::ReadUntil(seps) => reader.readuntil(seps).await?,
            Step::Feed(_) | Step::Eof | Step::SetException | Step::AtEof => Bytes::new(),
        };
        Ok(Outcome::Data { ok: hex::encode(data) })
    })
}

/// Polls woken tasks, in the order they started, until none is woken.
fn settle(tasks: &mut Vec<Task<'_>>, events: &mut Vec<Event>, opts: Options) {
    loop {
        let mut any = false;
        let mut i = 0;
        while i < tasks.len() {
            let task = &mut tasks[i];
            if !task.woken.0.swap(false, Ordering::SeqCst) {
                i += 1;
                continue;
            }
            any = true;
            let waker = Waker::from(Arc::clone(&task.woken));
            match task.op.as_mut().poll(&mut Context::from_waker(&waker)) {
                Poll::Pending => i += 1,
                Poll::Ready(result) => {
                    let step = task.step;
                    tasks.remove(i);
                    events.push(match result {
                        Ok(outcome) => Event { step, result: outcome },
                        Err(e) => error_event(step, &e, opts),
                    });
                }
            }
        }
        if !any {
            return;
        }
    }
}

fn error_event(step: usize, e: &StreamError, opts: Options) -> Event {
    let mut out = ErrorOutcome {
        error: e.python_name().to_owned(),
        partial: None,
        expected: None,
        consumed: None,
        message: opts.messages.then(|| e.to_string()),
    };
    match e {
        StreamError::IncompleteRead { partial, expected } => {
            out.partial = Some(hex::encode(partial));
            out.expected = Some(*expected);
        }
        StreamError::LimitOverrun { consumed, .. } => out.consumed = Some(*consumed),
        _ => {}
    }
    Event { step, result: Outcome::Error(out) }
}
