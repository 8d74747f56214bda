//! The JavaScript API (browser build): `openConnection` and the `StreamReader` /
//! `StreamWriter` classes, thin over the Rust ones. Errors are real `Error` objects named after
//! the Python exception (`IncompleteReadError`, `ConnectionResetError`, …) with CPython's
//! attributes (`partial`, `expected`, `consumed`, `errno`).
//!
//! ```js
//! const { reader, writer } = await openConnection("example.demo", 80);
//! writer.write(new TextEncoder().encode("GET / HTTP/1.0\r\n\r\n"));
//! for await (const line of reader) console.log(new TextDecoder().decode(line));
//! ```

// wasm-bindgen's generated glue needs `unsafe`.
#![allow(unsafe_code)]

mod args;
mod cancel;
mod errors;
mod observe;
mod server;

use std::cell::Cell;
use std::rc::Rc;

use cancel::cancellable;
use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;

use crate::transport::ExtraInfo;

use args::Deferred;
pub use cancel::PendingCall;
pub use errors::to_js_error;
use errors::{bytes_arg, type_error};
pub use server::{start_server, Server};

#[wasm_bindgen(inline_js = r#"
// `for await`: each step runs readline at once, as `__anext__` does in CPython, and the lines
// the buffer holds beyond it come lent in the same call (`readlineAhead`, see
// src/stream/lend.rs): the next steps hand them out without calling in, and the library,
// before it next does anything, asks how many were handed out and reads those for real.
const AHEAD_MIN = 1024, AHEAD_MAX = 1 << 16;
function settleLoan(it) {
  const handed = it.handed;
  it.handed = 0;
  if (it.at < it.lent.length) it.ahead = AHEAD_MIN; // some not handed out: lend less
  else it.ahead = Math.min(2 * it.ahead, AHEAD_MAX);
  it.lent = [];
  it.at = 0;
  return handed;
}
const step = (line) => (line.length === 0 ? { done: true, value: undefined } : { done: false, value: line });
export function install_async_iterator(proto) {
  if (proto[Symbol.asyncIterator]) return;
  proto[Symbol.asyncIterator] = function () {
    const reader = this;
    const it = { lent: [], at: 0, handed: 0, ahead: AHEAD_MIN };
    // A lent line needs no async function's frame (which costs Firefox most of a step).
    it.next = () => {
      if (it.at < it.lent.length) {
        it.handed++;
        return Promise.resolve(step(it.lent[it.at++]));
      }
      return more();
    };
    const more = async () => {
      let got = reader.readlineAhead(settleLoan, it, it.ahead, true);
      if (!(got instanceof Uint8Array)) {
        const pending = got; // a PendingCall: it must wait (and comes alone)
        const promise = pending.promise;
        pending.free();
        return step(await promise);
      }
      let end = got.indexOf(10) + 1;
      if (end === 0 || end === got.length) return step(got); // one line
      // The line, then whole lines lent; each a Uint8Array of its own, as a readline's is.
      const line = got.slice(0, end);
      const lent = [];
      for (let start = end; start < got.length; start = end) {
        end = got.indexOf(10, start) + 1;
        lent.push(got.slice(start, end));
      }
      it.lent = lent;
      it.at = 0;
      return step(line);
    };
    return it;
  };
}"#)]
extern "C" {
    fn install_async_iterator(proto: &JsValue);
}

// The TypeScript side: the types below, and `unchecked_*` attributes on the `JsValue`
// arguments (`unchecked_optional_param_type` where CPython has a default: `read()`, every
// `{signal}`). What an attribute cannot say (a generic, overloads, the async iterator) is in
// sections beside the items, with `skip_typescript` on them and interfaces merged into the
// classes. Checked with `tsc --strict`, default libs and lib esnext + dom, by tests/typescript/
// (`cargo xtask test-typescript`).
#[wasm_bindgen(typescript_custom_section)]
const TYPES_TS: &str = r#"
declare global {
  interface SymbolConstructor {
    /**
     * wasm-bindgen declares `[Symbol.dispose](): void` (the same as `free()`) on every class.
     * This is `lib.esnext.disposable`'s own declaration, which it merges with, so the classes
     * type-check with the default libs too. The method exists where the engine has
     * `Symbol.dispose`.
     */
    readonly dispose: unique symbol;
  }
}
/** Python's bytes-like object: what every method taking bytes accepts. */
export type BytesLike = Uint8Array | ArrayBuffer;
/** What `reader.snapshot()` returns: the reader's state now. */
export interface ReaderSnapshot {
  /** Bytes buffered. */
  buffered: number;
  /** Where `window` starts in the buffer. */
  windowStart: number;
  /** A window of the buffered bytes (4096 from `windowStart` unless asked otherwise). */
  window: Uint8Array;
  limit: number;
  /** EOF was fed (bytes may still be buffered). */
  eof: boolean;
  /** `at_eof()`. */
  atEof: boolean;
  /** The stored exception. */
  exception: PythonError | null;
  /** The transport was told to pause (more than 2 × limit buffered). */
  paused: boolean;
  /** The call that waits for data. */
  waiting: { id: number; method: string; args: string; offset: number | null } | null;
}
/** What `writer.snapshot()` returns, with CPython's transport names. */
export interface WriterSnapshot {
  /** `transport.get_write_buffer_size()`. */
  writeBufferSize: number;
  /** `transport.get_write_buffer_limits()`: [low, high]. */
  writeBufferLimits: [number, number];
  /** `transport.is_reading()`. */
  isReading: boolean;
  isClosing: boolean;
  /** Above the high-water mark: `drain()` waits. */
  writingPaused: boolean;
  eofWritten: boolean;
  /** `undefined` while connected, `null` once ended cleanly, else why it was lost. */
  lost: PythonError | null | undefined;
  /** The relay's receive credit (relay connections only). */
  credit: { window: number; outstanding: number; granted: number } | null;
}
/** A Python exception as a JS `Error`: `name` is the class, plus CPython's attributes. */
export interface PythonError extends Error {
  /** Python's `repr()` of the exception. */
  pythonRepr: string;
  /** The last line of CPython's traceback, e.g. `socket.gaierror: [Errno -2] Name or service not known`. */
  pythonLine?: string;
  partial?: Uint8Array;
  expected?: number | null;
  consumed?: number;
  errno?: number;
  strerror?: string;
}
/** Something that happened to a stream; `t` is milliseconds on the runtime's clock. */
export type StreamEvent = { t: number } & (
  | { type: "connectionMade" }
  | { type: "chunk"; size: number }
  | { type: "eof" }
  | { type: "exception"; error: PythonError }
  | { type: "connectionLost"; error: PythonError | null }
  | { type: "credit"; bytes: number }
  | { type: "readingPaused" }
  | { type: "readingResumed" }
  | { type: "callStarted"; id: number; method: string; args: string }
  | { type: "callWaiting"; id: number; offset: number | null }
  | { type: "callFinished"; id: number; method: string; size?: number; preview?: Uint8Array; error?: PythonError }
  | { type: "write"; method: "write" | "writelines"; size: number }
  | { type: "writingPaused" }
  | { type: "writingResumed" }
  | { type: "writeEof" }
  | { type: "close" }
  | { type: "dropped"; count: number }
);
/** Options of every awaitable method: aborting `signal` cancels the call (`CancelledError`). */
export interface CallOptions {
  signal?: AbortSignal;
  /**
   * For bindings (the Python module reads this way: one synchronous call per read). The call
   * runs at once: when the buffer already decides it, its result is returned (or its error
   * thrown) without a Promise, as CPython's reads return without suspending; a call that must
   * wait returns a `PendingCall` (`.promise`, `.cancel()`). The method's declared return type
   * does not say so: cast it.
   */
  eager?: boolean;
}
/** `openConnection`'s options; any other key is CPython's `TypeError` (unexpected keyword). */
export interface OpenOptions {
  /** The reader's limit (default 65536). */
  limit?: number;
  /** TLS to the target, through the relay. */
  ssl?: boolean;
  /** The TLS server name (default: host); only with ssl. */
  serverHostname?: string;
  /** The relay's URL, e.g. "ws://127.0.0.1:8765"; without it only the in-page *.demo hosts exist. */
  relay?: string | null;
  /** The relay is a plain websockify (target fixed by the server). */
  websockify?: boolean;
  /** A token for this target, for a relay started with --token-secret (`streamlab-relay token`). */
  token?: string | null;
}
"#;

/// `await openConnection(host, port, {limit, ssl, serverHostname, relay, websockify, token})` →
/// `{reader, writer}`. Without `relay`, only the in-page `*.demo` servers are reachable.
#[wasm_bindgen(js_name = openConnection)]
pub async fn open_connection(
    host: String,
    #[wasm_bindgen(unchecked_param_type = "number | string")] port: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "OpenOptions")] options: Option<Object>,
) -> Result<Connection, JsValue> {
    let port = args::port_arg(&port)?;
    let opts = args::options_arg(options.as_ref())?;
    let (reader, writer) = crate::open_connection(&host, port, opts).await.map_err(|e| to_js_error(&e))?;
    Ok(Connection { reader: StreamReader(reader), writer: StreamWriter(writer) })
}

/// What `openConnection` resolves to.
#[wasm_bindgen]
#[derive(Debug)]
pub struct Connection {
    reader: StreamReader,
    writer: StreamWriter,
}

#[wasm_bindgen]
impl Connection {
    /// The reader.
    #[wasm_bindgen(getter)]
    pub fn reader(&self) -> StreamReader {
        let reader = StreamReader(self.reader.0.clone());
        install_iterator_once(&reader);
        reader
    }

    /// The writer.
    #[wasm_bindgen(getter)]
    pub fn writer(&self) -> StreamWriter {
        StreamWriter(self.writer.0.clone())
    }

    /// `onEvent(callback)`: every event of the connection (reader, writer, transport), in
    /// order; returns the function that unsubscribes.
    #[wasm_bindgen(js_name = onEvent, unchecked_return_type = "() => void")]
    pub fn on_event(
        &self,
        #[wasm_bindgen(unchecked_param_type = "(event: StreamEvent) => void")] callback: js_sys::Function,
    ) -> JsValue {
        observe::subscribe(&self.reader.0, callback)
    }
}

/// `await waitFor(promise, seconds)`: asyncio's `wait_for` — on time-out the call is
/// cancelled (its bytes stay buffered) and this rejects with `TimeoutError`; with
/// `seconds <= 0` the call is cancelled before it runs, as asyncio does.
#[wasm_bindgen(js_name = waitFor, skip_typescript)]
pub fn wait_for(promise: js_sys::Promise, seconds: f64) -> js_sys::Promise {
    cancel::wait_for(promise, seconds)
}

/// `cancel(promise)`: `task.cancel()` for the Promise of a waiting call — cancelled now (its
/// bytes stay buffered, the reader free for the next call at once), the Promise rejects with
/// `CancelledError`. `false` when it was not a waiting streamlab call.
#[wasm_bindgen(js_name = cancel)]
pub fn cancel_call(promise: &js_sys::Promise) -> bool {
    cancel::cancel(promise)
}

#[wasm_bindgen(typescript_custom_section)]
const WAIT_FOR_TS: &str = r#"
/**
 * `await waitFor(promise, seconds)`: asyncio's `wait_for` — on time-out the call is
 * cancelled (its bytes stay buffered) and this rejects with `TimeoutError`.
 */
export function waitFor<T>(promise: Promise<T>, seconds: number): Promise<T>;
"#;

/// A Python bytes literal typed by a person (`b'GET /\r\n'`, every escape) as a
/// `Uint8Array`, or a tuple of them (`(b'\r\n', b'\n')`) as an array.
///
/// # Errors
/// A `SyntaxError` with CPython's message.
#[wasm_bindgen(js_name = parseBytes, unchecked_return_type = "Uint8Array | Uint8Array[]")]
pub fn parse_bytes(text: &str) -> Result<JsValue, JsValue> {
    match crate::sansio::parse_bytes_arg(text) {
        Ok(crate::sansio::BytesArg::One(b)) => Ok(Uint8Array::from(&b[..]).into()),
        Ok(crate::sansio::BytesArg::Tuple(items)) => {
            Ok(items.iter().map(|b| JsValue::from(Uint8Array::from(&b[..]))).collect::<Array>().into())
        }
        Err(e) => Err(errors::named_error("SyntaxError", &e.0)),
    }
}

/// Where `readuntil(separator)` would stop in `data`: `[start, end]` of the match that ends
/// first (3.13's rule for tuples), or `null`.
#[wasm_bindgen(js_name = findSeparator, unchecked_return_type = "[number, number] | null")]
pub fn find_separator(
    data: &Uint8Array,
    #[wasm_bindgen(unchecked_optional_param_type = "BytesLike | readonly BytesLike[]")] separator: JsValue,
) -> JsValue {
    match args::separators(&separator) {
        Ok(seps) => seps.find(&data.to_vec(), 0).map_or(JsValue::NULL, |(start, end)| {
            Array::of2(&(start as f64).into(), &(end as f64).into()).into()
        }),
        Err(_) => JsValue::NULL,
    }
}

/// Python's `repr()` of bytes, e.g. `b'HTTP/1.0 200 OK\r\n'`.
#[wasm_bindgen(js_name = bytesRepr)]
pub fn bytes_repr(data: &Uint8Array) -> String {
    crate::sansio::py_bytes_repr(&data.to_vec())
}

fn install_iterator_once(reader: &StreamReader) {
    thread_local!(static DONE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) });
    if !DONE.with(|d| d.replace(true)) {
        let value = JsValue::from(StreamReader(reader.0.clone()));
        install_async_iterator(&Object::get_prototype_of(&value));
    }
}

/// asyncio's `StreamReader`. Reads resolve to `Uint8Array`s; `for await (const line of reader)`
/// iterates lines.
#[wasm_bindgen]
#[derive(Debug)]
pub struct StreamReader(crate::StreamReader);

// The iterator is installed on the prototype by `install_async_iterator`; interface merging
// adds it to the class.
#[wasm_bindgen(typescript_custom_section)]
const READER_TS: &str = r#"
export interface StreamReader {
  /** `async for line in reader`: lines with their `\n`, the last one possibly without. */
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array>;
}
"#;

#[wasm_bindgen]
impl StreamReader {
    /// `new StreamReader(limit = 65536)`: a bare reader, fed by hand (`feedData`, `feedEof`),
    /// as `asyncio.StreamReader(limit=…)`.
    #[wasm_bindgen(constructor)]
    pub fn new(limit: Option<f64>) -> Result<StreamReader, JsValue> {
        let limit = match limit {
            None => crate::DEFAULT_LIMIT,
            Some(n) if n >= 1.0 && n.fract() == 0.0 && n <= usize::MAX as f64 => n as usize,
            Some(n) if n.fract() == 0.0 => {
                return Err(to_js_error(&crate::sansio::ValueError::LimitNotPositive.into()))
            }
            Some(n) => return Err(type_error(&format!("limit must be an integer, not {n}"))),
        };
        let reader = StreamReader(crate::StreamReader::new(limit).map_err(|e| to_js_error(&e))?);
        install_iterator_once(&reader);
        Ok(reader)
    }

    /// `feed_data(data)`.
    #[wasm_bindgen(js_name = feedData)]
    pub fn feed_data(
        &self,
        #[wasm_bindgen(unchecked_param_type = "BytesLike")] data: JsValue,
    ) -> Result<(), JsValue> {
        let data = bytes_arg(&data, "data")?;
        self.0.feed_data(&data).map_err(|e| to_js_error(&e))
    }

    /// `feed_eof()`.
    #[wasm_bindgen(js_name = feedEof)]
    pub fn feed_eof(&self) {
        self.0.feed_eof();
    }

    /// `set_exception(exc)`: `name` is the Python class (e.g. `ConnectionResetError`).
    #[wasm_bindgen(js_name = setException)]
    pub fn set_exception(&self, name: String, message: String, errno: Option<i32>) {
        let exc = match errno {
            Some(errno) => crate::PyException::with_errno(name, errno, message),
            None => crate::PyException::new(name, message),
        };
        self.0.set_exception(exc);
    }

    /// The reader's state now; the window holds `length` (default 4096) buffered bytes from
    /// `start` (default 0).
    #[wasm_bindgen(unchecked_return_type = "ReaderSnapshot")]
    pub fn snapshot(&self, start: Option<f64>, length: Option<f64>) -> JsValue {
        let start = start.unwrap_or(0.0).max(0.0) as usize;
        let length = length.map_or(crate::stream::SNAPSHOT_WINDOW, |n| n.max(0.0) as usize);
        observe::reader_snapshot(&self.0.snapshot_window(start, length))
    }

    /// `onEvent(callback)`: every event of this reader (for a connection's reader, of the
    /// whole connection), in order; returns the function that unsubscribes.
    #[wasm_bindgen(js_name = onEvent, unchecked_return_type = "() => void")]
    pub fn on_event(
        &self,
        #[wasm_bindgen(unchecked_param_type = "(event: StreamEvent) => void")] callback: js_sys::Function,
    ) -> JsValue {
        observe::subscribe(&self.0, callback)
    }

    /// `read(n = -1, {signal})`. Every awaitable method takes `{signal}`: aborting it cancels
    /// the call, which rejects with `CancelledError` and leaves the reader as CPython's
    /// cancelled read does.
    #[wasm_bindgen(unchecked_return_type = "Promise<Uint8Array>")]
    pub fn read(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "number")] n: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "CallOptions")] options: JsValue,
    ) -> Result<JsValue, JsValue> {
        let r = self.0.clone();
        match args::read_size(&n) {
            Ok(n) => cancellable(&options, async move { bytes_result(&r, r.read(n).await) }),
            // CPython raises a stored exception first, waits for data, then fails to slice.
            Err(Ok(Deferred(message))) => cancellable(&options, async move {
                if let Some(exc) = r.exception() {
                    return Err(to_js_error(&crate::StreamError::Raised(exc)));
                }
                if r.snapshot_window(0, 0).buffered == 0 && !r.snapshot_window(0, 0).eof {
                    r.wait_for_data("read").await.map_err(|e| to_js_error(&e))?;
                }
                Err(type_error(&message))
            }),
            // Raised when awaited, as from CPython's coroutine.
            Err(Err(e)) => cancel::rejected(&options, e),
        }
    }

    /// `readline({signal})`.
    #[wasm_bindgen(unchecked_return_type = "Promise<Uint8Array>")]
    pub fn readline(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "CallOptions")] options: JsValue,
    ) -> Result<JsValue, JsValue> {
        let r = self.0.clone();
        cancellable(&options, async move { bytes_result(&r, r.readline().await) })
    }

    /// `readline()` for bindings whose every call is costly (Python in Pyodide), eager (see
    /// `CallOptions.eager`). A line up to 4 KiB comes as a string of one character per byte
    /// (U+0000 to U+00FF), which crosses into Pyodide as a plain `str` without a buffer proxy
    /// (`s.encode('latin-1')` is the bytes). When the buffer decided it and holds more whole
    /// lines, they follow it in one `Uint8Array` (up to `ahead` bytes), lent: the binding hands
    /// them out as its next `readline()`s without calling in, and `settle(key)` answers how
    /// many it did when the library settles (see `stream::lend`). With `bytes`, a line is
    /// always a `Uint8Array` (the JS API's `for await`).
    #[wasm_bindgen(js_name = readlineAhead, skip_typescript)]
    pub fn readline_ahead(
        &self,
        settle: js_sys::Function,
        key: JsValue,
        ahead: f64,
        bytes: Option<bool>,
    ) -> Result<JsValue, JsValue> {
        const LINE_MAX: usize = 4096;
        fn latin1(bytes: &[u8]) -> JsValue {
            let units: Vec<u16> = bytes.iter().map(|&b| u16::from(b)).collect();
            js_sys::JsString::from_char_code(&units).into()
        }
        let ahead = ahead.clamp(0.0, 1e9) as usize;
        let r = self.0.clone();
        // Only a line decided at once is followed by a loan: the binding receives it before
        // anything else runs. A line that had to wait comes alone.
        let at_once = Rc::new(Cell::new(true));
        let first_poll = Rc::clone(&at_once);
        let outcome = cancel::eager(None, async move {
            let line = r.readline().await.map_err(|e| to_js_error(&e))?;
            let lent = match first_poll.get() && line.ends_with(b"\n") {
                true => r.lend_lines(ahead, move || {
                    let answer = settle.call1(&JsValue::NULL, &key).ok().and_then(|n| n.as_f64());
                    answer.map_or(0, |n| n as usize)
                }),
                false => bytes::Bytes::new(),
            };
            Ok(match (lent.is_empty(), line.len() <= LINE_MAX && bytes != Some(true)) {
                (true, true) => latin1(&line),
                (true, false) => Uint8Array::from(&line[..]).into(),
                (false, _) => {
                    let both = Uint8Array::new_with_length((line.len() + lent.len()) as u32);
                    both.subarray(0, line.len() as u32).copy_from(&line);
                    both.subarray(line.len() as u32, both.length()).copy_from(&lent);
                    both.into()
                }
            })
        });
        at_once.set(false);
        outcome
    }

    /// `readexactly(n, {signal})`.
    #[wasm_bindgen(unchecked_return_type = "Promise<Uint8Array>")]
    pub fn readexactly(
        &self,
        #[wasm_bindgen(unchecked_param_type = "number")] n: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "CallOptions")] options: JsValue,
    ) -> Result<JsValue, JsValue> {
        // A bad n is raised when awaited, as from CPython's coroutine.
        let n = match args::exact_size(&n) {
            Ok(n) => n,
            Err(e) => return cancel::rejected(&options, e),
        };
        let r = self.0.clone();
        cancellable(&options, async move { bytes_result(&r, r.readexactly(n).await) })
    }

    /// `readuntil(separator = "\n" bytes, {signal})`: the separator is bytes, or an array of
    /// them (CPython's tuple: the match that ends first wins).
    #[wasm_bindgen(unchecked_return_type = "Promise<Uint8Array>")]
    pub fn readuntil(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "BytesLike | readonly BytesLike[]")]
        separator: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "CallOptions")] options: JsValue,
    ) -> Result<JsValue, JsValue> {
        let r = self.0.clone();
        match args::separators(&separator) {
            Ok(seps) => cancellable(&options, async move { bytes_result(&r, r.readuntil(seps).await) }),
            // CPython searches the buffer only once a separator's length is there.
            Err(Ok((Deferred(message), len))) => cancellable(&options, async move {
                loop {
                    if let Some(exc) = r.exception() {
                        return Err(to_js_error(&crate::StreamError::Raised(exc)));
                    }
                    let snap = r.snapshot_window(0, 0);
                    if snap.buffered >= len || snap.eof {
                        return Err(type_error(&message));
                    }
                    r.wait_for_data("readuntil").await.map_err(|e| to_js_error(&e))?;
                }
            }),
            Err(Err(e)) => cancel::rejected(&options, e),
        }
    }

    /// `at_eof()`.
    #[wasm_bindgen(js_name = atEof)]
    pub fn at_eof(&self) -> bool {
        self.0.at_eof()
    }

    /// `exception()`: the stored exception as an `Error`, or `null`.
    #[wasm_bindgen(unchecked_return_type = "PythonError | null")]
    pub fn exception(&self) -> JsValue {
        self.0.exception().map_or(JsValue::NULL, |e| to_js_error(&crate::StreamError::Raised(e)))
    }

    /// The unread bytes (for showing the buffer).
    pub fn buffered(&self) -> Uint8Array {
        Uint8Array::from(&self.0.buffered()[..])
    }

    /// The `limit`.
    #[wasm_bindgen(getter)]
    pub fn limit(&self) -> f64 {
        self.0.limit() as f64
    }

    /// Python's `repr(reader)`.
    #[wasm_bindgen(js_name = toString)]
    pub fn to_string_js(&self) -> String {
        self.0.to_string()
    }
}

/// asyncio's `StreamWriter`.
#[wasm_bindgen]
#[derive(Debug)]
pub struct StreamWriter(crate::StreamWriter);

// `getExtraInfo`'s result depends on the name and on the default's type: overloads.
#[wasm_bindgen(typescript_custom_section)]
const WRITER_TS: &str = r#"
/** A `(host, port)` address of `getExtraInfo`. */
export type Address = [host: string, port: number];
/** `getExtraInfo("socket")`: a stand-in for CPython's `TransportSocket`. */
export interface SocketInfo {
  laddr: Address;
  raddr: Address;
}
/** `getExtraInfo("sslcontext")` on a TLS connection. */
export interface SslContextInfo {
  protocol: string;
}
/** What `getExtraInfo` can give for a name it knows. */
export type ExtraInfo = Address | SocketInfo | SslContextInfo;
export interface StreamWriter {
  /**
   * `get_extra_info(name, default = null)`: `peername`/`sockname` as `[host, port]`,
   * `sslcontext` as an object (TLS only), `socket` as `{laddr, raddr}`; `defaultValue`
   * (`null` if omitted) for any other name and once the transport is gone.
   */
  getExtraInfo<T = null>(name: "peername" | "sockname", defaultValue?: T): Address | T;
  getExtraInfo<T = null>(name: "socket", defaultValue?: T): SocketInfo | T;
  getExtraInfo<T = null>(name: "sslcontext", defaultValue?: T): SslContextInfo | T;
  getExtraInfo<T = null>(name: string, defaultValue?: T): ExtraInfo | T;
}
"#;

#[wasm_bindgen]
impl StreamWriter {
    /// The write side's state now.
    #[wasm_bindgen(unchecked_return_type = "WriterSnapshot")]
    pub fn snapshot(&self) -> JsValue {
        observe::writer_snapshot(&self.0.snapshot())
    }

    /// `write(data)`: `data` is a `Uint8Array` or an `ArrayBuffer` (Python's bytes-like).
    pub fn write(
        &self,
        #[wasm_bindgen(unchecked_param_type = "BytesLike")] data: JsValue,
    ) -> Result<(), JsValue> {
        let data = bytes_arg(&data, "data")?;
        self.0.write(&data).map_err(|e| to_js_error(&e))
    }

    /// `writelines(chunks)`: an array of `Uint8Array`s (or `ArrayBuffer`s); nothing is written
    /// unless every chunk is bytes-like (CPython's `TypeError`s).
    pub fn writelines(
        &self,
        #[wasm_bindgen(unchecked_param_type = "readonly BytesLike[]")] chunks: JsValue,
    ) -> Result<(), JsValue> {
        let memoryview = |v: &JsValue| {
            type_error(&format!("memoryview: a bytes-like object is required, not '{}'", errors::py_type(v)))
        };
        if chunks.is_string() {
            return Err(memoryview(&chunks)); // a str iterates as str
        }
        if !Array::is_array(&chunks) {
            return Err(type_error(&format!("'{}' object is not iterable", errors::py_type(&chunks))));
        }
        let chunks: Result<Vec<Vec<u8>>, JsValue> = Array::from(&chunks)
            .iter()
            .map(|c| errors::bytes_like(&c).ok_or_else(|| memoryview(&c)))
            .collect();
        self.0.writelines(chunks?).map_err(|e| to_js_error(&e))
    }

    /// `drain({signal})`.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn drain(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "CallOptions")] options: JsValue,
    ) -> Result<JsValue, JsValue> {
        let w = self.0.clone();
        cancellable(&options, async move {
            w.drain().await.map(|()| JsValue::UNDEFINED).map_err(|e| to_js_error(&e))
        })
    }

    /// `write_eof()`.
    #[wasm_bindgen(js_name = writeEof)]
    pub fn write_eof(&self) -> Result<(), JsValue> {
        self.0.write_eof().map_err(|e| to_js_error(&e))
    }

    /// `can_write_eof()`.
    #[wasm_bindgen(js_name = canWriteEof)]
    pub fn can_write_eof(&self) -> bool {
        self.0.can_write_eof()
    }

    /// `close()`.
    pub fn close(&self) {
        self.0.close();
    }

    /// `is_closing()`.
    #[wasm_bindgen(js_name = isClosing)]
    pub fn is_closing(&self) -> bool {
        self.0.is_closing()
    }

    /// `wait_closed({signal})`.
    #[wasm_bindgen(js_name = waitClosed, unchecked_return_type = "Promise<void>")]
    pub fn wait_closed(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "CallOptions")] options: JsValue,
    ) -> Result<JsValue, JsValue> {
        let w = self.0.clone();
        cancellable(&options, async move {
            w.wait_closed().await.map(|()| JsValue::UNDEFINED).map_err(|e| to_js_error(&e))
        })
    }

    /// `get_extra_info(name, default = null)`: `peername`/`sockname` as `[host, port]`,
    /// `sslcontext` as an object or `null`, `socket` as `{laddr, raddr}`.
    #[wasm_bindgen(js_name = getExtraInfo, skip_typescript)]
    pub fn get_extra_info(&self, name: String, default: JsValue) -> JsValue {
        let address = |host: &str, port: u16| Array::of2(&host.into(), &f64::from(port).into()).into();
        match self.0.get_extra_info(&name) {
            None if default.is_undefined() => JsValue::NULL,
            None => default,
            Some(ExtraInfo::Address(host, port)) => address(&host, port),
            Some(ExtraInfo::SslContext) => {
                let o = Object::new();
                let _ = Reflect::set(&o, &"protocol".into(), &"TLS (relay)".into());
                o.into()
            }
            Some(ExtraInfo::Socket { laddr, raddr }) => {
                let o = Object::new();
                let _ = Reflect::set(&o, &"laddr".into(), &address(&laddr.0, laddr.1));
                let _ = Reflect::set(&o, &"raddr".into(), &address(&raddr.0, raddr.1));
                o.into()
            }
        }
    }

    /// `repr(writer.get_extra_info(name))`, e.g. `('127.0.0.1', 80)`, or `None`.
    #[wasm_bindgen(js_name = getExtraInfoRepr)]
    pub fn get_extra_info_repr(&self, name: String) -> String {
        self.0.get_extra_info(&name).map_or_else(|| "None".to_owned(), |info| info.repr())
    }

    /// Python's `repr(writer)`.
    #[wasm_bindgen(js_name = toString)]
    pub fn to_string_js(&self) -> String {
        self.0.to_string()
    }
}

/// The in-page demo servers: `[{host, port, summary}]` (the relay lists the same at
/// `/demo.json`).
#[wasm_bindgen(js_name = demoServers, unchecked_return_type = "{ host: string; port: number; summary: string }[]")]
pub fn demo_servers() -> JsValue {
    crate::demo::DEMOS
        .iter()
        .map(|d| {
            let o = Object::new();
            let _ = Reflect::set(&o, &"host".into(), &d.host.into());
            let _ = Reflect::set(&o, &"port".into(), &f64::from(d.port).into());
            let _ = Reflect::set(&o, &"summary".into(), &d.summary.into());
            JsValue::from(o)
        })
        .collect::<Array>()
        .into()
}

/// A read's outcome for JS: fresh bytes, as CPython's are — the message's own buffer when the
/// read returned exactly one message (`stream::Origins`), else a copy.
fn bytes_result(
    reader: &crate::StreamReader,
    r: Result<bytes::Bytes, crate::StreamError>,
) -> Result<JsValue, JsValue> {
    let b = r.map_err(|e| to_js_error(&e))?;
    let own = reader.take_origin(&b).and_then(|o| o.downcast::<js_sys::ArrayBuffer>().ok());
    Ok(match own {
        Some(message) => Uint8Array::new(&message).into(),
        None => Uint8Array::from(&b[..]).into(),
    })
}
