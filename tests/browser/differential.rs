//! The streams differential suite, the browser's side: every scenario of
//! `tests/fixtures/streams_scenarios.json` run through the JS API (`openConnection` through
//! the relay, the reader's and writer's methods, `waitFor`, `{signal}`) to the same loopback
//! fixtures CPython 3.13.0 ran it against with `asyncio.open_connection`
//! (`tests/oracle/streams_client.py`; `cargo xtask test-browser` runs it after starting the
//! fixtures and bakes its transcripts in as `STREAMLAB_CPYTHON_STREAMS`). Every outcome —
//! results, exception classes, messages, attributes — must be CPython's, except the
//! [`DOCUMENTED_DIFFERENCES`]; one test runs every scenario and reports every mismatch at once.
//!
//! An outcome is written as Python prints it (the oracle's docstring has the format): bytes
//! by `repr` (or `<N bytes crc32=X>`), `None`, `True`/`False`, an exception as its `repr`
//! then `partial=`, `expected=`, `consumed=`, `errno=`, `strerror=`, `str=` (when
//! `str(exc)` is not the repr's one argument) and `line=` (when the traceback's last line is
//! not `Name: str`). Here the JS error's `name`, `pythonRepr`, `message`, attributes and
//! `pythonLine` give the same string.
//!
//! Not exercised, on purpose: three CPython 3.13.0 bugs in `writelines` that streamlab
//! behaves as the fixed releases do (`StreamWriter::writelines`: never pausing, `TypeError`
//! after `close()`, an empty chunk hanging `close()`).

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use futures::StreamExt;
use js_sys::{Array, Object, Promise, Reflect, Uint8Array};
use serde_json::Value;
use streamlab::js::{open_connection, StreamReader, StreamWriter};
use streamlab::runtime::{sleep, timeout, Instant};
use streamlab::sansio::py_str_repr;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

use crate::common::{fixture, relay};

const SCENARIOS: &str = include_str!("../fixtures/streams_scenarios.json");

/// What a page cannot do as CPython does, each with its reason and how the suite deals with
/// it; the names are those of docs/asyncio-streams.md §9 where it has them. The only
/// differences the suite allows: anything else that differs is a bug.
pub const DOCUMENTED_DIFFERENCES: &[(&str, &str)] = &[
    (
        "`sockname` through a relay",
        "a page has no TCP socket of its own: the relay's end of the TCP connection stands for \
         it (docs/protocol.md, `connected`). Both sides print only its shape, \
         ('127.0.0.1', <port>), a port that is not the server's.",
    ),
    (
        "the write after a peer's reset, through a relay",
        "CPython's own send() fails (EPIPE after the peer's RST), so the drain() right after \
         that write already raises ConnectionResetError('Connection lost'); through the relay \
         the write is a message that fails at the relay, whose 4503 close comes back after \
         drain() has returned. The scenarios that write to a peer that is gone sleep 200 ms \
         after such writes before they look, and then both print BrokenPipeError(32, 'Broken \
         pipe').",
    ),
    (
        "`close()` right after writes of more than 256 KiB",
        "CPython's write() hands bytes to the kernel at once, as far as its send buffer takes \
         them (MiBs on loopback), so close() finds its buffer empty and counts the connection \
         as lost: later writes are dropped and drain() raises ConnectionResetError('Connection \
         lost'). A page sees only the WebSocket's bufferedAmount, of which the first 256 KiB \
         count as the kernel's; beyond that close() still has bytes to flush, as CPython's \
         would with a full kernel buffer. Scenarios sleep 100 ms before a close() whose \
         outcome depends on it.",
    ),
    (
        "chunk sizes (and arrival times, and kernel buffers)",
        "a WebSocket hop, the relay and its own TCP connection sit between the server and the \
         page: bytes arrive later, split as the relay's frames are, and a writer's bytes leave \
         the page's buffer into two connections' kernel buffers (so drain() stops waiting \
         sooner). The scenarios space the server's chunks 100 ms or more apart, sleep before \
         looking at anything that depends on arrival (at_eof(), read(n)), and make drain() \
         wait with 64 MiB, more than either path's kernels take.",
    ),
];

/// How long one step may take before the scenario is given up (CPython's longest takes about
/// a second).
const STEP_LIMIT: Duration = Duration::from_secs(8);

/// Scenarios run at a time.
const PARALLEL: usize = 4;

/// CPython's transcripts, `{name: [outcome, …]}`.
fn cpython() -> serde_json::Map<String, Value> {
    let text = option_env!("STREAMLAB_CPYTHON_STREAMS").unwrap_or_else(|| {
        panic!("STREAMLAB_CPYTHON_STREAMS is not set: run the browser suite with `cargo xtask test-browser`")
    });
    match serde_json::from_str(text) {
        Ok(Value::Object(map)) => map,
        other => panic!("STREAMLAB_CPYTHON_STREAMS is not a JSON object: {other:?}"),
    }
}

#[wasm_bindgen_test]
async fn every_stream_scenario_matches_cpython() {
    let scenarios: Vec<Value> = serde_json::from_str(SCENARIOS).expect("streams_scenarios.json is JSON");
    let expected = cpython();
    let started = Instant::now();
    let results: Vec<(usize, Vec<String>)> = futures::stream::iter(scenarios.iter().enumerate())
        .map(|(i, sc)| async move { (i, run_scenario(sc).await) })
        .buffer_unordered(PARALLEL)
        .collect()
        .await;
    let mut results = results;
    results.sort_by_key(|(i, _)| *i);
    let (mut failed, mut differing) = (Vec::new(), 0);
    for (i, got) in results {
        let sc = &scenarios[i];
        let name = sc["name"].as_str().unwrap_or("?");
        let Some(want) = expected.get(name).and_then(Value::as_array) else {
            failed.push(format!("{name}\n    no CPython transcript (re-run `cargo xtask test-browser`)"));
            continue;
        };
        let want: Vec<&str> = want.iter().map(|v| v.as_str().unwrap_or("?")).collect();
        let steps = sc["steps"].as_array().map(Vec::as_slice).unwrap_or_default();
        let mut report = String::new();
        for k in 0..want.len().max(got.len()) {
            let (w, g) = (want.get(k).copied(), got.get(k).map(String::as_str));
            if w != g {
                differing += 1;
                let step = match k {
                    0 => "open_connection".to_owned(),
                    k => steps.get(k - 1).map_or_else(|| "?".to_owned(), Value::to_string),
                };
                report += &format!(
                    "\n    step {k}: {step}\n      CPython:   {}\n      streamlab: {}",
                    w.unwrap_or("(no such step)"),
                    g.unwrap_or("(no outcome)")
                );
            }
        }
        if !report.is_empty() {
            failed.push(format!("{name}{report}"));
        }
    }
    console_log!(
        "{} stream scenarios in {:.1} s; {} documented differences",
        scenarios.len(),
        started.elapsed().as_secs_f64(),
        DOCUMENTED_DIFFERENCES.len()
    );
    assert!(
        failed.is_empty(),
        "{} of {} scenarios differ from CPython 3.13.0 ({differing} outcomes):\n{}",
        failed.len(),
        scenarios.len(),
        failed.join("\n")
    );
}

/// One connection being driven through a scenario.
struct Run {
    reader: StreamReader,
    writer: StreamWriter,
    /// The server's port (`sockname` must not be it).
    port: u16,
    /// The call `start` left running.
    pending: RefCell<Option<Promise>>,
}

async fn run_scenario(sc: &Value) -> Vec<String> {
    let server = &sc["server"];
    let port = match server.as_str() {
        Some(name @ ("closed" | "echo")) => fixture(name),
        _ => fixture("script"),
    };
    let opts = Object::new();
    let _ = Reflect::set(&opts, &"relay".into(), &relay().url.into());
    if let Some(limit) = sc["limit"].as_f64() {
        let _ = Reflect::set(&opts, &"limit".into(), &limit.into());
    }
    let connection = match open_connection("127.0.0.1".into(), f64::from(port).into(), Some(opts)).await {
        Ok(c) => c,
        Err(e) => return vec![show_error(&e, false)],
    };
    let run = Rc::new(Run {
        reader: connection.reader(),
        writer: connection.writer(),
        port,
        pending: RefCell::new(None),
    });
    let mut out = vec!["connected".to_owned()];
    if server.is_array() {
        let line = format!("{server}\n");
        let sent = run.writer.write(Uint8Array::from(line.as_bytes()).into());
        let drained = match run.writer.drain(JsValue::UNDEFINED) {
            Ok(p) => JsFuture::from(p.unchecked_into::<Promise>()).await.map(drop),
            Err(e) => Err(e),
        };
        if let Err(e) = sent.and(drained) {
            out.push(format!("<could not send the script: {}>", show_error(&e, false)));
            return out;
        }
    }
    for step in sc["steps"].as_array().map(Vec::as_slice).unwrap_or_default() {
        match timeout(STEP_LIMIT, run_step(&run, step)).await {
            Some(outcome) => out.push(outcome),
            None => {
                out.push(format!("<no outcome within {STEP_LIMIT:?}>"));
                break;
            }
        }
    }
    run.pending.borrow_mut().take();
    run.writer.close();
    if let Ok(p) = run.writer.wait_closed(JsValue::UNDEFINED) {
        let _ = timeout(Duration::from_secs(2), JsFuture::from(p.unchecked_into::<Promise>())).await;
    }
    out
}

fn int(step: &Value, key: &str) -> f64 {
    step[key].as_f64().unwrap_or_else(|| panic!("{key} missing in {step}"))
}

/// Bytes from a latin-1 string, or `{"pattern": N}` (byte `i` is `i % 251`).
fn data_of(spec: &Value) -> Vec<u8> {
    match spec {
        Value::String(s) => s
            .chars()
            .map(|c| u8::try_from(u32::from(c)).unwrap_or_else(|_| panic!("not latin-1: {c:?}")))
            .collect(),
        Value::Object(o) if o.len() == 1 && o.contains_key("pattern") => {
            // By copies of one block: byte by byte, 64 MiB take a second in a debug build.
            let n = int(spec, "pattern") as usize;
            let mut data = (0..=250u8).collect::<Vec<u8>>().repeat(n / 251 + 1);
            data.truncate(n);
            data
        }
        other => panic!("bad data {other}"),
    }
}

fn js_bytes(spec: &Value) -> JsValue {
    Uint8Array::from(&data_of(spec)[..]).into()
}

/// Starts an awaitable step's call with these options (`{signal}` or none).
fn call(run: &Run, step: &Value, options: JsValue) -> Result<Promise, JsValue> {
    // Without `eager`, every method gives a Promise.
    call_any(run, step, options).map(JsCast::unchecked_into)
}

fn call_any(run: &Run, step: &Value, options: JsValue) -> Result<JsValue, JsValue> {
    match step["op"].as_str().unwrap_or_default() {
        "read" => run.reader.read(step["n"].as_f64().map_or(JsValue::UNDEFINED, JsValue::from), options),
        "readline" => run.reader.readline(options),
        "readexactly" => run.reader.readexactly(int(step, "n").into(), options),
        "readuntil" => {
            let sep = match &step["sep"] {
                Value::Null => JsValue::UNDEFINED,
                Value::Array(seps) => seps.iter().map(js_bytes).collect::<Array>().into(),
                one => js_bytes(one),
            };
            run.reader.readuntil(sep, options)
        }
        "drain" => run.writer.drain(options),
        "wait_closed" => run.writer.wait_closed(options),
        other => panic!("not an awaitable step: {other} in {step}"),
    }
}

async fn settle(call: Result<Promise, JsValue>, summary: bool) -> String {
    match call {
        Ok(p) => outcome(JsFuture::from(p).await, summary),
        Err(e) => show_error(&e, summary),
    }
}

fn outcome(r: Result<JsValue, JsValue>, summary: bool) -> String {
    match r {
        Ok(v) => show_value(&v, summary),
        Err(e) => show_error(&e, summary),
    }
}

fn done(r: Result<(), JsValue>) -> String {
    outcome(r.map(|()| JsValue::UNDEFINED), false)
}

fn py_bool(b: bool) -> String {
    if b { "True" } else { "False" }.to_owned()
}

async fn run_step(run: &Rc<Run>, step: &Value) -> String {
    let summary = step["summary"].as_bool().unwrap_or(false);
    let (r, w) = (&run.reader, &run.writer);
    match step["op"].as_str().unwrap_or_default() {
        "read" | "readline" | "readexactly" | "readuntil" | "drain" | "wait_closed" => {
            settle(call(run, step, JsValue::UNDEFINED), summary).await
        }
        "write" => done(w.write(js_bytes(&step["data"]))),
        "writelines" => {
            let chunks: Array = step["data"].as_array().expect("a list").iter().map(js_bytes).collect();
            done(w.writelines(chunks.into()))
        }
        "write_eof" => done(w.write_eof()),
        "can_write_eof" => py_bool(w.can_write_eof()),
        "close" => {
            w.close();
            "None".to_owned()
        }
        "is_closing" => py_bool(w.is_closing()),
        "at_eof" => py_bool(r.at_eof()),
        "exception" => match r.exception() {
            e if e.is_null() => "None".to_owned(),
            e => show_error(&e, summary),
        },
        "sleep" => {
            sleep(Duration::from_secs_f64(int(step, "ms") / 1000.0)).await;
            "None".to_owned()
        }
        "wait_for" => match call(run, &step["call"], JsValue::UNDEFINED) {
            Ok(p) => outcome(streamlab::js::wait_for(p, int(step, "timeout")).await, summary),
            Err(e) => show_error(&e, summary),
        },
        "cancel_after" => {
            let controller = web_sys::AbortController::new().expect("AbortController");
            let options = Object::new();
            let _ = Reflect::set(&options, &"signal".into(), &controller.signal());
            let p = call(run, &step["call"], options.into());
            let ms = int(step, "ms");
            wasm_bindgen_futures::spawn_local(async move {
                sleep(Duration::from_secs_f64(ms / 1000.0)).await;
                controller.abort();
            });
            settle(p, summary).await
        }
        "start" => {
            let p = call(run, &step["call"], JsValue::UNDEFINED).unwrap_or_else(|e| Promise::reject(&e));
            *run.pending.borrow_mut() = Some(p);
            // The call runs until it waits (microtasks), as a task does after `sleep(0)`.
            sleep(Duration::ZERO).await;
            "None".to_owned()
        }
        "await_pending" => {
            let p = run.pending.borrow_mut().take().expect("await_pending without start");
            outcome(JsFuture::from(p).await, summary)
        }
        "get_extra_info" => {
            let name = step["name"].as_str().expect("a name");
            let default = step["default"].as_str().map_or(JsValue::UNDEFINED, JsValue::from_str);
            let value = w.get_extra_info(name.into(), default);
            if name == "sockname" {
                if let Some((host, port)) = address(&value) {
                    if (1..65536).contains(&port) && port != i64::from(run.port) {
                        return format!("({}, <port>)", py_str_repr(&host));
                    }
                }
            }
            show_value(&value, summary)
        }
        other => panic!("unknown op {other} in {step}"),
    }
}

/// `[host, port]` as get_extra_info gives an address.
fn address(v: &JsValue) -> Option<(String, i64)> {
    if !Array::is_array(v) {
        return None;
    }
    let a = Array::from(v);
    let port = a.get(1).as_f64().filter(|p| p.fract() == 0.0)? as i64;
    (a.length() == 2).then_some((a.get(0).as_string()?, port))
}

fn prop(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

fn show_number(v: &JsValue) -> String {
    match v.as_f64() {
        Some(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", n as i64),
        _ => format!("<not an int: {v:?}>"),
    }
}

fn show_bytes(v: &JsValue, summary: bool) -> String {
    let Some(a) = v.dyn_ref::<Uint8Array>() else { return format!("<not bytes: {v:?}>") };
    if summary {
        let data = a.to_vec();
        format!("<{} bytes crc32={:08x}>", data.len(), crc32(&data))
    } else {
        streamlab::js::bytes_repr(a)
    }
}

/// A resolved value as Python prints the method's result.
fn show_value(v: &JsValue, summary: bool) -> String {
    if v.is_undefined() || v.is_null() {
        "None".to_owned()
    } else if let Some(b) = v.as_bool() {
        py_bool(b)
    } else if v.is_instance_of::<Uint8Array>() {
        show_bytes(v, summary)
    } else if let Some(s) = v.as_string() {
        py_str_repr(&s)
    } else if let Some((host, port)) = address(v) {
        format!("({}, {port})", py_str_repr(&host))
    } else {
        format!("<JS value {v:?}>")
    }
}

/// A rejection as Python prints the exception (see the module's documentation).
fn show_error(e: &JsValue, summary: bool) -> String {
    let (Some(name), Some(repr), Some(message)) =
        (prop(e, "name").as_string(), prop(e, "pythonRepr").as_string(), prop(e, "message").as_string())
    else {
        return format!("<not a Python error: {e:?}>");
    };
    let mut out = if repr.starts_with(&format!("{name}(")) { repr.clone() } else { format!("{name}!{repr}") };
    let partial = prop(e, "partial");
    if !partial.is_undefined() {
        out += &format!(" partial={}", show_bytes(&partial, summary));
    }
    let expected = prop(e, "expected");
    if !expected.is_undefined() {
        out +=
            &format!(" expected={}", if expected.is_null() { "None".into() } else { show_number(&expected) });
    }
    let consumed = prop(e, "consumed");
    if !consumed.is_undefined() {
        out += &format!(" consumed={}", show_number(&consumed));
    }
    let errno = prop(e, "errno");
    if !errno.is_undefined() && !errno.is_null() {
        out += &format!(" errno={}", show_number(&errno));
    }
    if let Some(strerror) = prop(e, "strerror").as_string() {
        out += &format!(" strerror={}", py_str_repr(&strerror));
    }
    let plain = repr == format!("{name}({})", py_str_repr(&message))
        || (message.is_empty() && repr == format!("{name}()"));
    if !plain {
        out += &format!(" str={}", py_str_repr(&message));
    }
    let natural = if message.is_empty() { name.clone() } else { format!("{name}: {message}") };
    match prop(e, "pythonLine").as_string() {
        Some(line) if line == natural => {}
        Some(line) => out += &format!(" line={}", py_str_repr(&line)),
        None => out += " line=<no pythonLine>",
    }
    out
}

/// zlib's CRC-32.
fn crc32(data: &[u8]) -> u32 {
    let table: Vec<u32> = (0..256u32)
        .map(|n| (0..8).fold(n, |c, _| if c & 1 == 1 { (c >> 1) ^ 0xEDB8_8320 } else { c >> 1 }))
        .collect();
    !data.iter().fold(!0u32, |c, &b| table[((c ^ u32::from(b)) & 0xff) as usize] ^ (c >> 8))
}
