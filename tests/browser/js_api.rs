//! The JavaScript API as a page sees it: `openConnection` → `{reader, writer}`, Promises of
//! `Uint8Array`, errors that are real `Error`s named after the Python exception with its
//! attributes, `for await` over lines, CPython's `TypeError`s for bad arguments.

use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use streamlab::js::{open_connection, StreamReader, StreamWriter};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

use crate::common::relay;

fn bytes(s: &[u8]) -> JsValue {
    Uint8Array::from(s).into()
}

fn text(v: &JsValue) -> String {
    String::from_utf8(v.dyn_ref::<Uint8Array>().expect("a Uint8Array").to_vec()).unwrap()
}

fn prop(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &key.into()).unwrap()
}

/// The outcome of a method's Promise.
async fn settle(p: JsValue) -> Result<JsValue, JsValue> {
    JsFuture::from(p.dyn_into::<Promise>().expect("a Promise")).await
}

async fn demo(host: &str, port: u16) -> (StreamReader, StreamWriter) {
    let c =
        open_connection(host.into(), f64::from(port).into(), None).await.unwrap_or_else(|e| panic!("{e:?}"));
    (c.reader(), c.writer())
}

fn via_relay() -> Object {
    let o = Object::new();
    Reflect::set(&o, &"relay".into(), &relay().url.into()).unwrap();
    o
}

#[wasm_bindgen_test]
async fn open_connection_resolves_to_reader_and_writer() {
    let (reader, writer) = demo("echo.demo", 7).await;
    writer.write(bytes(b"hi\n")).unwrap();
    assert_eq!(text(&settle(reader.readline(JsValue::UNDEFINED).unwrap()).await.unwrap()), "hi\n");
    assert_eq!(reader.limit(), 65536.0);
    assert!(reader.to_string_js().starts_with("<StreamReader"));
}

#[wasm_bindgen_test]
async fn incomplete_read_error_has_partial_and_expected() {
    let (reader, writer) = demo("echo.demo", 7).await;
    writer.write(bytes(b"abc")).unwrap();
    writer.write_eof().unwrap();
    let err = settle(reader.readexactly(JsValue::from(5.0), JsValue::UNDEFINED).unwrap()).await.unwrap_err();
    assert!(err.is_instance_of::<js_sys::Error>());
    assert_eq!(prop(&err, "name"), "IncompleteReadError");
    assert_eq!(prop(&err, "message"), "3 bytes read on a total of 5 expected bytes");
    assert_eq!(text(&prop(&err, "partial")), "abc");
    assert_eq!(prop(&err, "expected"), 5.0);
}

#[wasm_bindgen_test]
async fn limit_overrun_error_has_consumed() {
    let opts = Object::new();
    Reflect::set(&opts, &"limit".into(), &3.0.into()).unwrap();
    let c = open_connection("echo.demo".into(), 7.0.into(), Some(opts)).await.unwrap();
    let (reader, writer) = (c.reader(), c.writer());
    writer.write(bytes(b"abcdAAA")).unwrap();
    let err = settle(reader.readuntil(bytes(b"AAA"), JsValue::UNDEFINED).unwrap()).await.unwrap_err();
    assert_eq!(prop(&err, "name"), "LimitOverrunError");
    assert_eq!(prop(&err, "consumed"), 4.0);
    assert_eq!(prop(&err, "message"), "Separator is found, but chunk is longer than limit");
    let err = settle(reader.readline(JsValue::UNDEFINED).unwrap()).await.unwrap_err();
    assert_eq!(prop(&err, "name"), "ValueError");
    assert!(prop(&err, "consumed").is_undefined(), "CPython's ValueError has no consumed");
}

#[wasm_bindgen_test]
async fn readuntil_takes_an_array_as_a_tuple() {
    let (reader, writer) = demo("echo.demo", 7).await;
    writer.write(bytes(b"ABCDEFG")).unwrap();
    let seps: JsValue = Array::of2(&bytes(b"DEF"), &bytes(b"BCDE")).into();
    assert_eq!(text(&settle(reader.readuntil(seps, JsValue::UNDEFINED).unwrap()).await.unwrap()), "ABCDE");
    let err = reader.readuntil(Array::new().into(), JsValue::UNDEFINED).map(drop).err();
    assert!(err.is_none(), "validation happens when awaited");
    let err = settle(reader.readuntil(Array::new().into(), JsValue::UNDEFINED).unwrap()).await.unwrap_err();
    assert_eq!(prop(&err, "message"), "Separator should contain at least one element");
}

#[wasm_bindgen_test]
async fn bad_arguments_are_cpythons_type_errors() {
    let (reader, writer) = demo("echo.demo", 7).await;
    for (value, py) in [
        (JsValue::from("str"), "str"),
        (JsValue::from(5.0), "int"),
        (JsValue::NULL, "NoneType"),
        (Array::new().into(), "list"),
    ] {
        let err = writer.write(value).unwrap_err();
        assert_eq!(prop(&err, "name"), "TypeError");
        assert_eq!(
            prop(&err, "message"),
            format!("data argument must be a bytes-like object, not '{py}'").as_str()
        );
    }
    // As CPython 3.13.0: some arguments fail at once, others only once data is there.
    let type_error = |err: &JsValue, message: &str| {
        assert_eq!((prop(err, "name"), prop(err, "message")), ("TypeError".into(), message.into()));
        assert_eq!(
            prop(err, "pythonRepr"),
            format!("TypeError({})", streamlab::sansio::py_str_repr(message)).as_str()
        );
    };
    // Raised when awaited, as from CPython's coroutines.
    let err = settle(reader.read(JsValue::NULL, JsValue::UNDEFINED).unwrap()).await.unwrap_err();
    type_error(&err, "'<' not supported between instances of 'NoneType' and 'int'");
    let err = settle(reader.readuntil(5.0.into(), JsValue::UNDEFINED).unwrap()).await.unwrap_err();
    type_error(&err, "object of type 'int' has no len()");
    let err = writer.writelines(Array::of2(&bytes(b"a"), &"b".into()).into()).unwrap_err();
    type_error(&err, "memoryview: a bytes-like object is required, not 'str'");
    let slice = "slice indices must be integers or None or have an __index__ method";
    let read = reader.read(JsValue::from(1.5), JsValue::UNDEFINED).unwrap();
    let until = |r: &StreamReader| r.readuntil("\n".into(), JsValue::UNDEFINED).unwrap();
    streamlab::runtime::sleep(std::time::Duration::from_millis(20)).await;
    writer.write(bytes(b"x\n")).unwrap();
    type_error(&settle(read).await.unwrap_err(), slice); // once data arrived
    type_error(
        &settle(until(&reader)).await.unwrap_err(),
        "argument should be integer or bytes-like object, not 'str'",
    );
    let err = settle(
        reader.readuntil("".into(), JsValue::UNDEFINED).unwrap_or_else(|e| Promise::reject(&e).into()),
    )
    .await
    .unwrap_err();
    assert_eq!(prop(&err, "message"), "Separator should be at least one-byte string");
    assert_eq!(
        text(&settle(reader.readline(JsValue::UNDEFINED).unwrap()).await.unwrap()),
        "x\n",
        "nothing was consumed"
    );
    let err = open_connection("echo.demo".into(), 70000.0.into(), None).await.map(drop).unwrap_err();
    assert_eq!(prop(&err, "name"), "OverflowError");
    assert_eq!(prop(&err, "message"), "connect(): port must be 0-65535.");
    let opts = Object::new();
    Reflect::set(&opts, &"limit".into(), &0.0.into()).unwrap();
    let err = open_connection("echo.demo".into(), 7.0.into(), Some(opts)).await.map(drop).unwrap_err();
    assert_eq!(prop(&err, "message"), "Limit cannot be <= 0");
    // A port given as a string works as in CPython; a typo in the options is refused.
    let c = open_connection("echo.demo".into(), "7".into(), None).await.unwrap();
    assert_eq!(prop(&c.writer().get_extra_info("peername".into(), JsValue::UNDEFINED), "1"), 7.0);
    let err = open_connection("echo.demo".into(), "echo".into(), None).await.map(drop).unwrap_err();
    assert_eq!(prop(&err, "pythonRepr"), "gaierror(-8, 'Servname not supported for ai_socktype')");
    let typo = Object::new();
    Reflect::set(&typo, &"limt".into(), &4.0.into()).unwrap();
    let err = open_connection("echo.demo".into(), 7.0.into(), Some(typo)).await.map(drop).unwrap_err();
    type_error(&err, "open_connection() got an unexpected keyword argument 'limt'");
    let bad_relay = Object::new();
    Reflect::set(&bad_relay, &"relay".into(), &"not a url".into()).unwrap();
    let err = open_connection("echo.demo".into(), 7.0.into(), Some(bad_relay)).await.map(drop).unwrap_err();
    assert_eq!(
        prop(&err, "pythonRepr"),
        "ValueError(\"relay must be a ws:// or wss:// URL, not 'not a url'\")"
    );
}

#[wasm_bindgen_test]
async fn a_second_concurrent_read_is_a_runtime_error_not_a_panic() {
    let (reader, _w) = demo("silent.demo", 9002).await;
    let first = reader.read(JsValue::UNDEFINED, JsValue::UNDEFINED).unwrap();
    let err = settle(reader.readline(JsValue::UNDEFINED).unwrap()).await.unwrap_err();
    assert_eq!(prop(&err, "name"), "RuntimeError");
    assert_eq!(
        prop(&err, "message"),
        "readuntil() called while another coroutine is already waiting for incoming data"
    );
    drop(first);
}

#[wasm_bindgen_test]
async fn os_errors_carry_errno() {
    let err = open_connection("example.com".into(), 80.0.into(), None).await.map(drop).unwrap_err();
    assert_eq!(prop(&err, "name"), "gaierror");
    assert_eq!(prop(&err, "errno"), -2.0);
    let err = open_connection(
        "127.0.0.1".into(),
        f64::from(crate::common::fixture("closed")).into(),
        Some(via_relay()),
    )
    .await
    .map(drop)
    .unwrap_err();
    assert_eq!(prop(&err, "name"), "ConnectionRefusedError");
    assert_eq!(prop(&err, "errno"), 111.0);
    assert!(prop(&err, "pythonRepr").as_string().unwrap().starts_with("ConnectionRefusedError(111, "));
}

#[wasm_bindgen_test]
async fn for_await_iterates_lines() {
    let (reader, writer) = demo("echo.demo", 7).await;
    writer.write(bytes(b"a\nb\n\nc")).unwrap();
    writer.write_eof().unwrap();
    let reader: JsValue = reader.into();
    let factory: Function =
        Reflect::get(&reader, &js_sys::Symbol::async_iterator()).unwrap().dyn_into().unwrap();
    let iterator = factory.call0(&reader).unwrap();
    let next: Function = prop(&iterator, "next").dyn_into().unwrap();
    let mut lines = Vec::new();
    loop {
        let step = settle(next.call0(&iterator).unwrap().dyn_into().unwrap()).await.unwrap();
        if prop(&step, "done").is_truthy() {
            break;
        }
        lines.push(text(&prop(&step, "value")));
    }
    assert_eq!(lines, ["a\n", "b\n", "\n", "c"]);
}

#[wasm_bindgen_test]
async fn for_await_stays_exact_while_lines_are_lent() {
    // The iterator takes the buffered lines in one call, lent: each step must still look, to
    // the reader's snapshot and to a direct readline, exactly like one readline.
    let reader = StreamReader::new(Some(65536.0)).unwrap();
    let all: String = (0..10).map(|i| format!("l{i}\n")).collect();
    reader.feed_data(bytes(format!("{all}tail").as_bytes())).unwrap();
    let total = all.len() + 4;
    let js: JsValue = reader.into();
    let call = |method: &str| -> JsValue {
        let f: Function = prop(&js, method).dyn_into().unwrap();
        f.call0(&js).unwrap()
    };
    let buffered = || prop(&call("snapshot"), "buffered");
    let factory: Function = Reflect::get(&js, &js_sys::Symbol::async_iterator()).unwrap().dyn_into().unwrap();
    let iterator = factory.call0(&js).unwrap();
    let next: Function = prop(&iterator, "next").dyn_into().unwrap();
    let step = || async { settle(next.call0(&iterator).unwrap()).await.unwrap() };
    for i in 0..3 {
        assert_eq!(text(&prop(&step().await, "value")), format!("l{i}\n"));
        assert_eq!(buffered(), JsValue::from(f64::from((total - 3 * (i + 1)) as u32)), "after line {i}");
    }
    // A direct readline between two steps takes the next line: nothing lent is lost or doubled.
    assert_eq!(text(&settle(call("readline")).await.unwrap()), "l3\n");
    // Finished calls, as an observer sees them (subscribing settles; the callback does not).
    let finished = std::rc::Rc::new(std::cell::Cell::new(0u32));
    let count = std::rc::Rc::clone(&finished);
    let observer = wasm_bindgen::closure::Closure::<dyn Fn(JsValue)>::new(move |e: JsValue| {
        if prop(&e, "type") == "callFinished" {
            count.set(count.get() + 1);
        }
    });
    let on_event: Function = prop(&js, "onEvent").dyn_into().unwrap();
    let unsubscribe: Function = on_event.call1(&js, observer.as_ref()).unwrap().dyn_into().unwrap();
    // Steps with nothing in between: l5 and l6 are handed out from the loan.
    for i in 4..7 {
        assert_eq!(text(&prop(&step().await, "value")), format!("l{i}\n"));
    }
    assert_eq!(finished.get(), 1, "only l4 was read for real so far; l5 and l6 are lent");
    // A task later, with no call in between: the loan's backstop reads the two handed out.
    streamlab::runtime::sleep(std::time::Duration::from_millis(5)).await;
    assert_eq!(finished.get(), 3, "the backstop settled the loan");
    assert_eq!(buffered(), JsValue::from(f64::from((total - 21) as u32)));
    // Straight after a step from a fresh loan, a direct readline takes the next line.
    assert_eq!(text(&prop(&step().await, "value")), "l7\n");
    assert_eq!(text(&prop(&step().await, "value")), "l8\n"); // lent
    assert_eq!(text(&settle(call("readline")).await.unwrap()), "l9\n");
    unsubscribe.call0(&JsValue::NULL).unwrap();
    call("feedEof");
    let mut rest = Vec::new();
    loop {
        let s = step().await;
        if prop(&s, "done").is_truthy() {
            break;
        }
        rest.push(text(&prop(&s, "value")));
    }
    assert_eq!(rest, ["tail"]);
}

#[wasm_bindgen_test]
async fn get_extra_info_and_default() {
    let c = open_connection(
        "127.0.0.1".into(),
        f64::from(crate::common::fixture("echo")).into(),
        Some(via_relay()),
    )
    .await
    .unwrap();
    let writer = c.writer();
    let peer = writer.get_extra_info("peername".into(), JsValue::UNDEFINED);
    assert_eq!(Array::from(&peer).get(0), "127.0.0.1");
    assert_eq!(Array::from(&peer).get(1), f64::from(crate::common::fixture("echo")));
    assert!(writer.get_extra_info("sslcontext".into(), JsValue::UNDEFINED).is_null());
    assert_eq!(writer.get_extra_info("nope".into(), "fallback".into()), "fallback");
    writer.close();
    settle(writer.wait_closed(JsValue::UNDEFINED).unwrap()).await.unwrap();
    assert!(writer.is_closing());
}

#[wasm_bindgen_test]
async fn drain_and_wait_closed_reject_with_the_lost_connection() {
    let c = open_connection(
        "127.0.0.1".into(),
        f64::from(crate::common::fixture("reset")).into(),
        Some(via_relay()),
    )
    .await
    .unwrap();
    let (reader, writer) = (c.reader(), c.writer());
    writer.write(bytes(b"x\n")).unwrap();
    assert_eq!(text(&settle(reader.readline(JsValue::UNDEFINED).unwrap()).await.unwrap()), "bye\n");
    let err = settle(writer.wait_closed(JsValue::UNDEFINED).unwrap()).await.unwrap_err();
    assert_eq!(prop(&err, "name"), "ConnectionResetError");
    let err = settle(writer.drain(JsValue::UNDEFINED).unwrap()).await.unwrap_err();
    assert_eq!(prop(&err, "errno"), 104.0);
    assert!(reader.exception().is_instance_of::<js_sys::Error>());
}

#[wasm_bindgen_test]
async fn read_defaults_to_reading_until_eof() {
    let (reader, writer) = demo("echo.demo", 7).await;
    writer.writelines(Array::of2(&bytes(b"to "), &bytes(b"the end")).into()).unwrap();
    assert!(writer.can_write_eof());
    writer.write_eof().unwrap();
    assert_eq!(
        text(&settle(reader.read(JsValue::UNDEFINED, JsValue::UNDEFINED).unwrap()).await.unwrap()),
        "to the end"
    );
    assert!(reader.at_eof());
}

#[wasm_bindgen_test]
async fn buffered_shows_the_unread_bytes() {
    let (reader, writer) = demo("echo.demo", 7).await;
    writer.write(bytes(b"first\nsecond")).unwrap();
    assert_eq!(text(&settle(reader.readline(JsValue::UNDEFINED).unwrap()).await.unwrap()), "first\n");
    assert_eq!(text(&reader.buffered().into()), "second");
    assert!(reader
        .to_string_js()
        .starts_with("<StreamReader 6 bytes transport=<MemoryTransport echo.demo:7>"));
    assert!(reader.exception().is_null());
}

#[wasm_bindgen_test]
async fn writer_repr_and_write_after_eof() {
    let (_reader, writer) = demo("echo.demo", 7).await;
    assert!(writer
        .to_string_js()
        .starts_with("<StreamWriter transport=<MemoryTransport echo.demo:7> reader=<StreamReader"));
    writer.write_eof().unwrap();
    let err = writer.write(bytes(b"late")).unwrap_err();
    assert_eq!(prop(&err, "name"), "RuntimeError");
    assert_eq!(prop(&err, "message"), "Cannot call write() after write_eof()");
}

fn types(events: &Array) -> Vec<String> {
    events.iter().map(|e| prop(&e, "type").as_string().unwrap()).collect()
}

fn recorder() -> (Array, Function) {
    let events = Array::new();
    let push = Function::new_with_args("e", "this.push(e)").bind0(&events);
    (events, push)
}

#[wasm_bindgen_test]
async fn on_event_and_snapshots_show_a_connection_from_the_inside() {
    let c = open_connection("echo.demo".into(), 7.0.into(), None).await.unwrap();
    let (reader, writer) = (c.reader(), c.writer());
    let (events, push) = recorder();
    let unsubscribe: Function = c.on_event(push).dyn_into().unwrap();
    let line = reader.readline(JsValue::UNDEFINED).unwrap();
    streamlab::runtime::sleep(std::time::Duration::from_millis(20)).await; // it waits now
    let snap = reader.snapshot(None, None);
    let waiting = prop(&snap, "waiting");
    assert_eq!(prop(&waiting, "method"), "readline");
    assert_eq!(prop(&waiting, "offset"), 0.0);
    assert_eq!(prop(&snap, "buffered"), 0.0);
    writer.write(bytes(b"ab\n")).unwrap();
    assert_eq!(text(&settle(line).await.unwrap()), "ab\n");
    assert_eq!(types(&events), ["callStarted", "callWaiting", "write", "chunk", "callFinished"]);
    let finished = events.get(4);
    assert_eq!((prop(&finished, "method"), prop(&finished, "size")), ("readline".into(), 3.0.into()));
    assert_eq!(text(&prop(&finished, "preview")), "ab\n");
    assert_eq!(prop(&events.get(3), "size"), 3.0);
    let times: Vec<f64> = events.iter().map(|e| prop(&e, "t").as_f64().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");

    let w = writer.snapshot();
    assert_eq!(prop(&w, "writeBufferSize"), 0.0);
    assert_eq!(
        Array::from(&prop(&w, "writeBufferLimits")).to_vec(),
        [JsValue::from(16384.0), 65536.0.into()]
    );
    assert_eq!((prop(&w, "isReading"), prop(&w, "isClosing")), (true.into(), false.into()));
    assert!(prop(&w, "lost").is_undefined() && prop(&w, "credit").is_null());

    writer.close();
    settle(writer.wait_closed(JsValue::UNDEFINED).unwrap()).await.unwrap();
    assert_eq!(
        types(&events)[5..],
        ["close", "connectionLost", "eof", "callStarted", "callFinished"],
        "the in-page connection ends on the next tick, before wait_closed() runs"
    );
    assert!(prop(&events.get(6), "error").is_null(), "lost cleanly");
    assert!(prop(&writer.snapshot(), "lost").is_null());
    unsubscribe.call0(&JsValue::NULL).unwrap();
    let n = events.length();
    let _ = settle(reader.read(JsValue::from(10.0), JsValue::UNDEFINED).unwrap()).await;
    assert_eq!(events.length(), n, "no events after unsubscribing");
}

#[wasm_bindgen_test]
async fn a_bare_reader_is_fed_by_hand_and_observed() {
    let reader = StreamReader::new(Some(4.0)).unwrap();
    let (events, push) = recorder();
    let _unsubscribe = reader.on_event(push);
    reader.feed_data(bytes(b"abcdef\n")).unwrap();
    let err = settle(reader.readuntil(bytes(b"\n"), JsValue::UNDEFINED).unwrap()).await.unwrap_err();
    assert_eq!(prop(&err, "name"), "LimitOverrunError");
    assert_eq!(prop(&err, "consumed"), 6.0);
    let snap = reader.snapshot(Some(2.0), Some(3.0));
    assert_eq!((prop(&snap, "buffered"), prop(&snap, "windowStart")), (7.0.into(), 2.0.into()));
    assert_eq!(text(&prop(&snap, "window")), "cde");
    assert_eq!(prop(&snap, "limit"), 4.0);
    reader.feed_eof();
    reader.set_exception("ConnectionResetError".into(), "Connection reset by peer".into(), Some(104));
    let err = settle(reader.read(JsValue::UNDEFINED, JsValue::UNDEFINED).unwrap()).await.unwrap_err();
    assert_eq!(prop(&err, "pythonRepr"), "ConnectionResetError(104, 'Connection reset by peer')");
    assert_eq!(
        types(&events),
        ["chunk", "callStarted", "callFinished", "eof", "exception", "callStarted", "callFinished"]
    );
    assert_eq!(prop(&events.get(1), "args"), "b'\\n'");
    assert_eq!(prop(&prop(&events.get(2), "error"), "name"), "LimitOverrunError");
    assert!(StreamReader::new(Some(0.0)).is_err());
    assert_eq!(streamlab::js::bytes_repr(&Uint8Array::from(&b"a\r\n\x00'"[..])), "b\"a\\r\\n\\x00'\"");
}

fn signal_options() -> (web_sys::AbortController, JsValue) {
    let controller = web_sys::AbortController::new().unwrap();
    let o = Object::new();
    Reflect::set(&o, &"signal".into(), &controller.signal()).unwrap();
    (controller, o.into())
}

#[wasm_bindgen_test]
async fn an_abort_signal_cancels_a_waiting_read_and_its_bytes_stay() {
    let reader = StreamReader::new(None).unwrap();
    let (events, push) = recorder();
    let _unsubscribe = reader.on_event(push);
    reader.feed_data(bytes(b"ab")).unwrap();
    let (controller, options) = signal_options();
    let line = reader.readline(options).unwrap();
    streamlab::runtime::sleep(std::time::Duration::from_millis(10)).await;
    assert!(!prop(&reader.snapshot(None, None), "waiting").is_null());
    controller.abort();
    let err = settle(line).await.unwrap_err();
    assert_eq!(
        (prop(&err, "name"), prop(&err, "pythonRepr")),
        ("CancelledError".into(), "CancelledError()".into())
    );
    let snap = reader.snapshot(None, None);
    assert!(prop(&snap, "waiting").is_null());
    assert_eq!(text(&prop(&snap, "window")), "ab", "a cancelled readline consumes nothing");
    let finished = events.get(events.length() - 1);
    assert_eq!(prop(&prop(&finished, "error"), "name"), "CancelledError");
    reader.feed_data(bytes(b"c\n")).unwrap();
    assert_eq!(text(&settle(reader.readline(JsValue::UNDEFINED).unwrap()).await.unwrap()), "abc\n");
    // A signal aborted before the call: CancelledError, and the call never ran.
    let (controller, options) = signal_options();
    controller.abort();
    reader.feed_data(bytes(b"x\n")).unwrap();
    let err = settle(reader.readline(options).unwrap()).await.unwrap_err();
    assert_eq!(prop(&err, "name"), "CancelledError");
    assert_eq!(prop(&reader.snapshot(None, None), "buffered"), 2.0);
}

#[wasm_bindgen_test]
async fn wait_for_times_out_like_asyncio_and_the_next_read_works() {
    let (reader, writer) = demo("echo.demo", 7).await;
    writer.write(bytes(b"par")).unwrap();
    let started = streamlab::runtime::Instant::now();
    let err = streamlab::js::wait_for(
        reader.readexactly(JsValue::from(5.0), JsValue::UNDEFINED).unwrap().unchecked_into(),
        0.1,
    )
    .await
    .unwrap_err();
    assert!(started.elapsed() >= std::time::Duration::from_millis(100));
    assert_eq!(
        (prop(&err, "name"), prop(&err, "pythonRepr")),
        ("TimeoutError".into(), "TimeoutError()".into())
    );
    assert_eq!(
        text(&prop(&reader.snapshot(None, None), "window")),
        "par",
        "readexactly's bytes stay buffered"
    );
    writer.write(bytes(b"tial")).unwrap();
    let got = streamlab::js::wait_for(
        reader.readexactly(JsValue::from(5.0), JsValue::UNDEFINED).unwrap().unchecked_into(),
        1.0,
    )
    .await
    .unwrap();
    assert_eq!(text(&got), "parti", "no RuntimeError: the cancelled read left the waiter slot free");
    let bad = Object::new();
    Reflect::set(&bad, &"signal".into(), &"nope".into()).unwrap();
    let err = reader.readline(bad.into()).unwrap_err();
    assert_eq!(prop(&err, "name"), "TypeError");
}

#[wasm_bindgen_test]
async fn an_eager_call_the_buffer_decides_returns_without_a_promise() {
    let eager = Object::new();
    Reflect::set(&eager, &"eager".into(), &true.into()).unwrap();
    let eager: JsValue = eager.into();
    let reader = StreamReader::new(Some(8.0)).unwrap();
    let (events, push) = recorder();
    let _unsubscribe = reader.on_event(push);
    reader.feed_data(bytes(b"one\ntw")).unwrap();
    // Decided by the buffer: the bytes themselves, at once.
    let line = reader.readline(eager.clone()).unwrap();
    assert_eq!(text(&line), "one\n");
    // It must wait: a PendingCall, still waiting where it stopped (scan offset kept) …
    let pending = reader.readline(eager.clone()).unwrap();
    assert!(!pending.is_instance_of::<Promise>() && prop(&pending, "promise").is_instance_of::<Promise>());
    assert!(prop(&pending, "then").is_undefined(), "not a thenable (Pyodide would make it a future)");
    assert_eq!(prop(&prop(&reader.snapshot(None, None), "waiting"), "method"), "readline");
    reader.feed_data(bytes(b"o\n")).unwrap();
    assert_eq!(text(&settle(prop(&pending, "promise")).await.unwrap()), "two\n");
    // … and cancel() is task.cancel(): the reader is free at once, the bytes stay.
    let pending = reader.readline(eager.clone()).unwrap();
    reader.feed_data(bytes(b"th")).unwrap();
    let cancel: Function = prop(&pending, "cancel").unchecked_into();
    assert_eq!(cancel.call0(&pending).unwrap(), true);
    assert_eq!(text(&reader.read(JsValue::from(1.0), eager.clone()).unwrap()), "t");
    assert_eq!(prop(&settle(prop(&pending, "promise")).await.unwrap_err(), "name"), "CancelledError");
    assert_eq!(text(&reader.read(JsValue::from(1.0), eager.clone()).unwrap()), "h");
    // An error the buffer decides is thrown at once, with its attributes.
    reader.feed_data(bytes(b"abc")).unwrap();
    reader.feed_eof();
    let err = reader.readexactly(JsValue::from(5.0), eager.clone()).unwrap_err();
    assert_eq!(prop(&err, "name"), "IncompleteReadError");
    assert_eq!(text(&prop(&err, "partial")), "abc");
    // So is a bad argument (raised when the call runs: at once).
    let err = reader.readuntil(bytes(b""), eager.clone()).unwrap_err();
    assert_eq!(prop(&err, "message"), "Separator should be at least one-byte string");
    // Observers see the calls as without `eager`: started, waiting, finished (or cancelled).
    let calls: Vec<String> = (0..events.length())
        .map(|i| events.get(i))
        .filter(|e| prop(e, "type").as_string().unwrap().starts_with("call"))
        .map(|e| {
            let error = prop(&e, "error");
            let outcome = if error.is_undefined() {
                String::new()
            } else {
                format!(" {}", prop(&error, "name").as_string().unwrap())
            };
            format!("{}{outcome}", prop(&e, "type").as_string().unwrap())
        })
        .collect();
    assert_eq!(
        calls,
        [
            "callStarted",
            "callFinished", // one\n
            "callStarted",
            "callWaiting",
            "callFinished", // two\n
            "callStarted",
            "callWaiting",
            "callFinished CancelledError", // th…
            "callStarted",
            "callFinished",
            "callStarted",
            "callFinished", // read(1) twice
            "callStarted",
            "callFinished IncompleteReadError",
        ]
    );
    // An aborted signal still cancels before the call runs, eager or not.
    let controller = web_sys::AbortController::new().unwrap();
    controller.abort();
    Reflect::set(&eager, &"signal".into(), &controller.signal()).unwrap();
    let err = settle(reader.read(JsValue::UNDEFINED, eager).unwrap()).await.unwrap_err();
    assert_eq!(prop(&err, "name"), "CancelledError");
}

#[wasm_bindgen_test]
async fn cancel_frees_the_reader_at_once_and_keeps_the_bytes() {
    // asyncio: once CancelledError reaches the caller, the read is gone and its bytes stay.
    let reader = StreamReader::new(None).unwrap();
    reader.feed_data(bytes(b"no newline yet")).unwrap();
    let waiting: Promise = reader.readline(JsValue::UNDEFINED).unwrap().unchecked_into();
    streamlab::runtime::sleep(std::time::Duration::ZERO).await; // the call is waiting
    assert!(streamlab::js::cancel_call(&waiting));
    // No turn of the loop in between: the next read may start now.
    let next: Promise = reader.read(JsValue::from(2.0), JsValue::UNDEFINED).unwrap().unchecked_into();
    assert_eq!(prop(&settle(waiting.into()).await.unwrap_err(), "name"), "CancelledError");
    assert_eq!(text(&settle(next.clone().into()).await.unwrap()), "no");
    assert!(!streamlab::js::cancel_call(&next), "a settled call is not waiting");
    assert_eq!(text(&reader.buffered()), " newline yet");
}

#[wasm_bindgen_test]
async fn start_server_serves_open_connection_from_the_same_page() {
    use wasm_bindgen::closure::Closure;
    let on_connection = Closure::<dyn FnMut(JsValue)>::new(|connection: JsValue| {
        // As a page sees it: a plain object whose writer's methods are called from JS.
        let writer = prop(&connection, "writer");
        let method = |name: &str| -> Function { prop(&writer, name).unchecked_into() };
        method("write").call1(&writer, &bytes(b"welcome\n")).unwrap();
        method("close").call0(&writer).unwrap();
    });
    let server = streamlab::js::start_server(
        on_connection.as_ref().clone().unchecked_into(),
        "mine.demo".into(),
        JsValue::from(8888.0),
        None,
    )
    .await
    .unwrap();
    assert_eq!(server.to_string_js(), "<Server sockets=(('mine.demo', 8888),)>");
    let (reader, writer) = demo("mine.demo", 8888).await;
    assert_eq!(text(&settle(reader.readline(JsValue::UNDEFINED).unwrap()).await.unwrap()), "welcome\n");
    assert_eq!(
        text(&settle(reader.read(JsValue::UNDEFINED, JsValue::UNDEFINED).unwrap()).await.unwrap()),
        ""
    );
    // A second server on the address is OSError 98; after close() the name is free again.
    let again = Closure::<dyn FnMut(JsValue)>::new(|_: JsValue| {});
    let err = streamlab::js::start_server(
        again.as_ref().clone().unchecked_into(),
        "mine.demo".into(),
        JsValue::from(8888.0),
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(prop(&err, "name"), "OSError");
    assert_eq!(prop(&err, "errno"), 98.0);
    writer.close();
    server.close();
    assert!(!server.is_serving());
    settle(server.wait_closed(JsValue::UNDEFINED).unwrap()).await.unwrap();
}

#[wasm_bindgen_test]
async fn each_read_through_a_relay_is_a_buffer_of_its_own() {
    // A read of one whole message hands out the message's own buffer (stream::Origins); a read
    // of part of one copies. Either way each result is the reader's bytes, in a buffer nobody
    // else holds.
    let port = f64::from(crate::common::fixture("echo"));
    let c = open_connection("127.0.0.1".into(), port.into(), Some(via_relay())).await.unwrap();
    let (reader, writer) = (c.reader(), c.writer());
    let mut got = Vec::new();
    for word in [&b"first"[..], b"second"] {
        writer.write(bytes(word)).unwrap();
        got.push(settle(reader.read(100.0.into(), JsValue::UNDEFINED).unwrap()).await.unwrap());
    }
    writer.write(bytes(b"third")).unwrap();
    got.push(settle(reader.readexactly(3.0.into(), JsValue::UNDEFINED).unwrap()).await.unwrap());
    got.push(settle(reader.read(100.0.into(), JsValue::UNDEFINED).unwrap()).await.unwrap());
    let arrays: Vec<Uint8Array> = got.iter().map(|v| v.clone().dyn_into().unwrap()).collect();
    let texts: Vec<String> = got.iter().map(text).collect();
    assert_eq!(texts, ["first", "second", "thi", "rd"]);
    for a in &arrays {
        assert_eq!((a.byte_offset(), a.buffer().byte_length()), (0, a.length()), "a buffer of its own");
    }
    arrays[0].fill(b'x', 0, 5);
    assert_eq!(text(&got[1]), "second");
    writer.close();
}
