//! One table of demo-server transcripts, run through the in-page memory transport (natively
//! by `tests/demos.rs`, in the browser by `tests/browser/demo.rs`) and through the relay over
//! real TCP (`tests/browser/relay.rs`): every demo means the same in both places.
//!
//! Each case is a script of steps; each step's outcome is written as Python would print it
//! (`b'…'`, `None`, `True`, an exception's `repr`). The scripts avoid what real TCP leaves to
//! chance (how bytes split into reads), so one expected transcript holds everywhere; a late
//! write's error is read after a pause, when the peer's reset has come back either way.

#![allow(dead_code)]

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use streamlab::runtime::{sleep, timeout};
use streamlab::sansio::py_bytes_repr;
use streamlab::{StreamError, StreamReader, StreamWriter};

/// One step of a script.
#[derive(Clone, Copy, Debug)]
pub enum Step {
    Write(&'static [u8]),
    WriteEof,
    Drain,
    Read(isize),
    Readline,
    ReadExactly(isize),
    ReadUntil(&'static [u8]),
    /// `wait_for(read(-1), ms)`: `TimeoutError()` when nothing ends it in time.
    ReadAllWithin(u64),
    /// The length of `read(-1)`'s result.
    ReadAllLen,
    AtEof,
    IsClosing,
    Close,
    WaitClosed,
    Sleep(u64),
}

/// A demo server, a script, and what every step gives.
pub struct Case {
    pub name: &'static str,
    pub host: &'static str,
    pub port: u16,
    pub steps: &'static [Step],
    pub expected: &'static [&'static str],
}

use Step::*;

/// The table.
pub const CASES: &[Case] = &[
    Case {
        name: "echo: lines back, then half-close both ways; over at close()",
        host: "echo.demo",
        port: 7,
        steps: &[
            Write(b"hello\n"),
            Drain,
            Readline,
            Write(b"tail"),
            WriteEof,
            Read(-1),
            AtEof,
            IsClosing,
            Write(b"x"),
            Close,
            WaitClosed,
            IsClosing,
        ],
        expected: &[
            "None",
            "None",
            "b'hello\\n'",
            "None",
            "None",
            "b'tail'",
            "True",
            "False",
            "RuntimeError('Cannot call write() after write_eof()')",
            "None",
            "None",
            "True",
        ],
    },
    Case {
        name: "example: HTTP/1.0, EOF, then late writes to the closed peer",
        host: "example.demo",
        port: 80,
        steps: &[
            Write(b"GET / HTTP/1.0\r\nHost: example.demo\r\n\r\n"),
            Readline,
            ReadUntil(b"\r\n\r\n"),
            ReadAllLen,
            AtEof,
            IsClosing,
            Write(b"late"),
            Drain,
            Sleep(200),
            Write(b"later"),
            Sleep(200),
            Drain,
            IsClosing,
            WaitClosed,
            Read(10),
        ],
        expected: &[
            "None",
            "b'HTTP/1.0 200 OK\\r\\n'",
            "HEADERS",
            "PAGE",
            "True",
            "False",
            "None",
            "None",
            "None",
            "None",
            "None",
            "BrokenPipeError(32, 'Broken pipe')",
            "True",
            "BrokenPipeError(32, 'Broken pipe')",
            "BrokenPipeError(32, 'Broken pipe')",
        ],
    },
    Case {
        name: "example: HTTP/1.1 keep-alive, so read() waits for an EOF that does not come",
        host: "example.demo",
        port: 80,
        steps: &[
            Write(b"HEAD / HTTP/1.1\r\nHost: example.demo\r\n\r\n"),
            Readline,
            ReadAllWithin(300),
            AtEof,
            Close,
            WaitClosed,
        ],
        expected: &["None", "b'HTTP/1.1 200 OK\\r\\n'", "TimeoutError()", "False", "None", "None"],
    },
    Case {
        name: "lines: N numbered lines; half-closed after the client's EOF",
        host: "lines.demo",
        port: 9001,
        steps: &[
            Write(b"3\n"),
            Readline,
            Readline,
            WriteEof,
            Readline,
            Readline,
            AtEof,
            IsClosing,
            Close,
            WaitClosed,
        ],
        expected: &[
            "None",
            "b'line 1\\n'",
            "b'line 2\\n'",
            "None",
            "b'line 3\\n'",
            "b''",
            "True",
            "False",
            "None",
            "None",
        ],
    },
    Case {
        name: "drip: the whole reply, then EOF",
        host: "drip.demo",
        port: 9000,
        steps: &[ReadUntil(b"\n"), Read(-1), AtEof, Close, WaitClosed],
        expected: &[
            "b'drip.demo: this line arrives in pieces.\\n'",
            "b'read(100) returns whatever has come; readline() waits for the newline.\\nbye\\n'",
            "True",
            "None",
            "None",
        ],
    },
    Case {
        name: "silent: nothing comes, EOF never does",
        host: "silent.demo",
        port: 9002,
        steps: &[ReadAllWithin(300), AtEof, Write(b"anyone?\n"), Drain, Close, IsClosing, WaitClosed],
        expected: &["TimeoutError()", "False", "None", "None", "None", "True", "None"],
    },
    Case {
        name: "big: a 150,000-byte line, then a short one",
        host: "big.demo",
        port: 9003,
        steps: &[ReadExactly(149_999), Readline, Readline, Readline, AtEof, Close, WaitClosed],
        expected: &["149999 bytes", "b'\\n'", "b'after the long line\\n'", "b''", "True", "None", "None"],
    },
];

/// example.demo's response head after the status line.
const HEADERS: &str = "b'Server: streamlab-demo\\r\\nContent-Type: text/html; charset=utf-8\\r\\nContent-Length: 146\\r\\nConnection: close\\r\\n\\r\\n'";

/// Opens a connection to a demo server, in-page or through a relay.
pub type Open =
    fn(&'static str, u16) -> Pin<Box<dyn Future<Output = Result<(StreamReader, StreamWriter), StreamError>>>>;

fn show(r: Result<Option<String>, StreamError>) -> String {
    match r {
        Ok(Some(s)) => s,
        Ok(None) => "None".to_owned(),
        Err(e) => e.repr(),
    }
}

fn bytes(r: Result<bytes::Bytes, StreamError>) -> String {
    show(r.map(|b| {
        Some(match b.len() {
            n if n > 1000 => format!("{n} bytes"),
            _ => py_bytes_repr(&b),
        })
    }))
}

/// Runs one case; returns its transcript.
pub async fn run(case: &Case, open: Open) -> Vec<String> {
    let (reader, writer) =
        open(case.host, case.port).await.unwrap_or_else(|e| panic!("{}: {e:?}", case.name));
    let mut out = Vec::new();
    for step in case.steps {
        out.push(match *step {
            Write(data) => show(writer.write(data).map(|()| None)),
            WriteEof => show(writer.write_eof().map(|()| None)),
            Drain => show(writer.drain().await.map(|()| None)),
            Read(n) => bytes(reader.read(n).await),
            Readline => bytes(reader.readline().await),
            ReadExactly(n) => bytes(reader.readexactly(n).await),
            ReadUntil(sep) => bytes(reader.readuntil(sep).await),
            ReadAllWithin(ms) => match timeout(Duration::from_millis(ms), reader.read(-1)).await {
                Some(r) => bytes(r),
                None => "TimeoutError()".to_owned(),
            },
            ReadAllLen => show(reader.read(-1).await.map(|b| {
                Some(match &b[..] == streamlab::demo::PAGE.as_bytes() {
                    true => "PAGE".to_owned(),
                    false => py_bytes_repr(&b),
                })
            })),
            AtEof => py_bool(reader.at_eof()),
            IsClosing => py_bool(writer.is_closing()),
            Close => {
                writer.close();
                "None".to_owned()
            }
            WaitClosed => show(writer.wait_closed().await.map(|()| None)),
            Sleep(ms) => {
                sleep(Duration::from_millis(ms)).await;
                "None".to_owned()
            }
        });
    }
    out
}

fn py_bool(b: bool) -> String {
    if b { "True" } else { "False" }.to_owned()
}

/// Runs every case and compares: a panic lists every difference.
pub async fn check_all(open: Open) {
    let mut failures = Vec::new();
    for case in CASES {
        let got = run(case, open).await;
        let expected: Vec<String> = case.expected.iter().map(|e| e.replace("HEADERS", HEADERS)).collect();
        if got != expected {
            failures.push(format!("{}:\n  expected {expected:?}\n  got      {got:?}", case.name));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
