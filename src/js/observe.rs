//! Snapshots and events as plain JavaScript objects (camelCase keys; see the TypeScript
//! declarations in `mod.rs`).

use std::cell::RefCell;
use std::collections::HashMap;

use js_sys::{Array, Function, Object, Reflect, Uint8Array};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;

use super::errors::to_js_error;
use crate::sansio::{PyException, StreamError};
use crate::stream::{Event, EventKind, ReaderSnapshot, WaitingCall, WriterSnapshot};
use crate::StreamReader;

/// How many bytes of a read's result an event carries (`preview`); `size` is the whole.
pub const PREVIEW: usize = 256;

/// The JavaScript string for a Rust one, made once: keys, event types and method names
/// recur in every event, and decoding a string is most of the cost of building one.
fn interned(s: &'static str) -> JsValue {
    thread_local!(static STRINGS: RefCell<HashMap<&'static str, JsValue>> = RefCell::new(HashMap::new()));
    STRINGS.with(|strings| strings.borrow_mut().entry(s).or_insert_with(|| JsValue::from_str(s)).clone())
}

// The events every read and write makes, built in one call each (an object set key by key
// costs a call per key).
#[wasm_bindgen(inline_js = r#"
export function chunkEvent(t, size) { return { type: "chunk", t, size }; }
export function callStartedEvent(t, id, method, args) { return { type: "callStarted", t, id, method, args }; }
export function callFinishedEvent(t, id, method) { return { type: "callFinished", t, id, method }; }
export function readFinishedEvent(t, id, method, size, preview) {
  return { type: "callFinished", t, id, method, size, preview: preview.slice() };
}
export function writeEvent(t, method, size) { return { type: "write", t, method, size }; }
"#)]
extern "C" {
    #[wasm_bindgen(js_name = chunkEvent)]
    fn chunk_event(t: f64, size: f64) -> JsValue;
    #[wasm_bindgen(js_name = callStartedEvent)]
    fn call_started_event(t: f64, id: f64, method: &JsValue, args: &JsValue) -> JsValue;
    #[wasm_bindgen(js_name = callFinishedEvent)]
    fn call_finished_event(t: f64, id: f64, method: &JsValue) -> JsValue;
    #[wasm_bindgen(js_name = readFinishedEvent)]
    fn read_finished_event(t: f64, id: f64, method: &JsValue, size: f64, preview: &[u8]) -> JsValue;
    #[wasm_bindgen(js_name = writeEvent)]
    fn write_event(t: f64, method: &JsValue, size: f64) -> JsValue;
}

/// An object built key by key.
struct Obj(Object);

impl Obj {
    fn new() -> Self {
        Obj(Object::new())
    }

    fn set(self, key: &'static str, value: impl Into<JsValue>) -> Self {
        let _ = Reflect::set(&self.0, &interned(key), &value.into());
        self
    }

    fn done(self) -> JsValue {
        self.0.into()
    }
}

fn exception(exc: &PyException) -> JsValue {
    to_js_error(&StreamError::Raised(exc.clone()))
}

fn bytes(b: &[u8]) -> JsValue {
    Uint8Array::from(b).into()
}

fn waiting(w: &WaitingCall) -> JsValue {
    Obj::new()
        .set("id", w.id as f64)
        .set("method", w.method)
        .set("args", w.args.repr())
        .set("offset", w.offset.map_or(JsValue::NULL, |o| (o as f64).into()))
        .done()
}

/// `reader.snapshot()`.
pub fn reader_snapshot(s: &ReaderSnapshot) -> JsValue {
    Obj::new()
        .set("buffered", s.buffered as f64)
        .set("windowStart", s.window_start as f64)
        .set("window", bytes(&s.window))
        .set("limit", s.limit as f64)
        .set("eof", s.eof)
        .set("atEof", s.eof && s.buffered == 0)
        .set("exception", s.exception.as_ref().map_or(JsValue::NULL, exception))
        .set("paused", s.paused)
        .set("waiting", s.waiting.as_ref().map_or(JsValue::NULL, waiting))
        .done()
}

/// `writer.snapshot()`.
pub fn writer_snapshot(s: &WriterSnapshot) -> JsValue {
    let (low, high) = s.write_buffer_limits;
    let lost = match &s.lost {
        None => JsValue::UNDEFINED,
        Some(None) => JsValue::NULL,
        Some(Some(exc)) => exception(exc),
    };
    let credit = s.credit.map_or(JsValue::NULL, |c| {
        Obj::new()
            .set("window", c.window as f64)
            .set("outstanding", c.outstanding as f64)
            .set("granted", c.granted as f64)
            .done()
    });
    Obj::new()
        .set("writeBufferSize", s.write_buffer_size as f64)
        .set("writeBufferLimits", Array::of2(&(low as f64).into(), &(high as f64).into()))
        .set("isReading", s.is_reading)
        .set("isClosing", s.is_closing)
        .set("writingPaused", s.writing_paused)
        .set("eofWritten", s.eof_written)
        .set("lost", lost)
        .set("credit", credit)
        .done()
}

/// An event: `{type, t, …}` with `t` in milliseconds on the runtime's clock.
pub fn event(e: &Event) -> JsValue {
    let t = e.at.as_secs_f64() * 1000.0;
    let o = |kind: &'static str| Obj::new().set("type", interned(kind)).set("t", t);
    match &e.kind {
        EventKind::ConnectionMade => o("connectionMade").done(),
        EventKind::Chunk { size } => chunk_event(t, *size as f64),
        EventKind::Eof => o("eof").done(),
        EventKind::Exception { exc } => o("exception").set("error", exception(exc)).done(),
        EventKind::ConnectionLost { exc } => {
            o("connectionLost").set("error", exc.as_ref().map_or(JsValue::NULL, exception)).done()
        }
        EventKind::CreditGranted { bytes } => o("credit").set("bytes", *bytes as f64).done(),
        EventKind::ReadingPaused => o("readingPaused").done(),
        EventKind::ReadingResumed => o("readingResumed").done(),
        EventKind::CallStarted { id, method, args } => {
            let args = if args.is_empty() { interned("") } else { JsValue::from_str(args) };
            call_started_event(t, *id as f64, &interned(method), &args)
        }
        EventKind::CallWaiting { id, offset } => o("callWaiting")
            .set("id", *id as f64)
            .set("offset", offset.map_or(JsValue::NULL, |o| (o as f64).into()))
            .done(),
        EventKind::CallFinished { id, method, outcome } => match outcome {
            Ok(None) => call_finished_event(t, *id as f64, &interned(method)),
            Ok(Some(b)) => {
                let preview = &b[..b.len().min(PREVIEW)];
                read_finished_event(t, *id as f64, &interned(method), b.len() as f64, preview)
            }
            Err(err) => o("callFinished")
                .set("id", *id as f64)
                .set("method", interned(method))
                .set("error", to_js_error(err))
                .done(),
        },
        EventKind::Write { method, size } => write_event(t, &interned(method), *size as f64),
        EventKind::WritingPaused => o("writingPaused").done(),
        EventKind::WritingResumed => o("writingResumed").done(),
        EventKind::WriteEof => o("writeEof").done(),
        EventKind::Close => o("close").done(),
        EventKind::Dropped { count } => o("dropped").set("count", *count as f64).done(),
    }
}

/// `onEvent(callback)`: calls `callback(event)` for every event of `reader`'s stream and
/// returns the function that unsubscribes. An exception thrown by the callback is reported
/// to the console, and delivery goes on.
pub fn subscribe(reader: &StreamReader, callback: Function) -> JsValue {
    let sub = reader.observe(move |e| {
        if let Err(err) = callback.call1(&JsValue::NULL, &event(e)) {
            web_sys_console_error(&err);
        }
    });
    Closure::once_into_js(move || drop(sub))
}

fn web_sys_console_error(err: &JsValue) {
    let console = Reflect::get(&js_sys::global(), &"console".into()).unwrap_or(JsValue::UNDEFINED);
    if let Ok(error) = Reflect::get(&console, &"error".into()) {
        if let Some(f) = wasm_bindgen::JsCast::dyn_ref::<Function>(&error) {
            let _ = f.call2(&console, &"streamlab: an onEvent callback threw:".into(), err);
        }
    }
}
