//! Snapshots and events as plain JavaScript objects (camelCase keys; see the TypeScript
//! declarations in `mod.rs`).

use js_sys::{Array, Function, Object, Reflect, Uint8Array};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsValue;

use super::errors::to_js_error;
use crate::sansio::{PyException, StreamError};
use crate::stream::{Event, EventKind, ReaderSnapshot, WaitingCall, WriterSnapshot};
use crate::StreamReader;

/// How many bytes of a read's result an event carries (`preview`); `size` is the whole.
pub const PREVIEW: usize = 256;

/// An object built key by key.
struct Obj(Object);

impl Obj {
    fn new() -> Self {
        Obj(Object::new())
    }

    fn set(self, key: &str, value: impl Into<JsValue>) -> Self {
        let _ = Reflect::set(&self.0, &key.into(), &value.into());
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
    let o = |kind: &str| Obj::new().set("type", kind).set("t", e.at.as_secs_f64() * 1000.0);
    match &e.kind {
        EventKind::ConnectionMade => o("connectionMade"),
        EventKind::Chunk { size } => o("chunk").set("size", *size as f64),
        EventKind::Eof => o("eof"),
        EventKind::Exception { exc } => o("exception").set("error", exception(exc)),
        EventKind::ConnectionLost { exc } => {
            o("connectionLost").set("error", exc.as_ref().map_or(JsValue::NULL, exception))
        }
        EventKind::CreditGranted { bytes } => o("credit").set("bytes", *bytes as f64),
        EventKind::ReadingPaused => o("readingPaused"),
        EventKind::ReadingResumed => o("readingResumed"),
        EventKind::CallStarted { id, method, args } => {
            o("callStarted").set("id", *id as f64).set("method", *method).set("args", args.as_str())
        }
        EventKind::CallWaiting { id, offset } => o("callWaiting")
            .set("id", *id as f64)
            .set("offset", offset.map_or(JsValue::NULL, |o| (o as f64).into())),
        EventKind::CallFinished { id, method, outcome } => {
            let call = o("callFinished").set("id", *id as f64).set("method", *method);
            match outcome {
                Ok(None) => call,
                Ok(Some(b)) => {
                    call.set("size", b.len() as f64).set("preview", bytes(&b[..b.len().min(PREVIEW)]))
                }
                Err(err) => call.set("error", to_js_error(err)),
            }
        }
        EventKind::Write { method, size } => o("write").set("method", *method).set("size", *size as f64),
        EventKind::WritingPaused => o("writingPaused"),
        EventKind::WritingResumed => o("writingResumed"),
        EventKind::WriteEof => o("writeEof"),
        EventKind::Close => o("close"),
        EventKind::Dropped { count } => o("dropped").set("count", *count as f64),
    }
    .done()
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
