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

async fn settle(p: Promise) -> Result<JsValue, JsValue> {
    JsFuture::from(p).await
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
    assert_eq!(text(&settle(reader.readline()).await.unwrap()), "hi\n");
    assert_eq!(reader.limit(), 65536.0);
    assert!(reader.to_string_js().starts_with("<StreamReader"));
}

#[wasm_bindgen_test]
async fn incomplete_read_error_has_partial_and_expected() {
    let (reader, writer) = demo("echo.demo", 7).await;
    writer.write(bytes(b"abc")).unwrap();
    writer.write_eof().unwrap();
    let err = settle(reader.readexactly(5.0).unwrap()).await.unwrap_err();
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
    let err = settle(reader.readuntil(bytes(b"AAA")).unwrap()).await.unwrap_err();
    assert_eq!(prop(&err, "name"), "LimitOverrunError");
    assert_eq!(prop(&err, "consumed"), 4.0);
    assert_eq!(prop(&err, "message"), "Separator is found, but chunk is longer than limit");
    let err = settle(reader.readline()).await.unwrap_err();
    assert_eq!(prop(&err, "name"), "ValueError");
}

#[wasm_bindgen_test]
async fn readuntil_takes_an_array_as_a_tuple() {
    let (reader, writer) = demo("echo.demo", 7).await;
    writer.write(bytes(b"ABCDEFG")).unwrap();
    let seps: JsValue = Array::of2(&bytes(b"DEF"), &bytes(b"BCDE")).into();
    assert_eq!(text(&settle(reader.readuntil(seps).unwrap()).await.unwrap()), "ABCDE");
    let err = reader.readuntil(Array::new().into()).map(drop).err();
    assert!(err.is_none(), "validation happens when awaited");
    let err = settle(reader.readuntil(Array::new().into()).unwrap()).await.unwrap_err();
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
    let err = reader.read(Some(1.5)).map(drop).unwrap_err();
    assert_eq!(prop(&err, "name"), "TypeError");
    let err = open_connection("echo.demo".into(), 70000.0.into(), None).await.map(drop).unwrap_err();
    assert_eq!(prop(&err, "name"), "OverflowError");
    assert_eq!(prop(&err, "message"), "connect(): port must be 0-65535.");
    let opts = Object::new();
    Reflect::set(&opts, &"limit".into(), &0.0.into()).unwrap();
    let err = open_connection("echo.demo".into(), 7.0.into(), Some(opts)).await.map(drop).unwrap_err();
    assert_eq!(prop(&err, "message"), "Limit cannot be <= 0");
}

#[wasm_bindgen_test]
async fn a_second_concurrent_read_is_a_runtime_error_not_a_panic() {
    let (reader, _w) = demo("silent.demo", 9002).await;
    let first = reader.read(None).unwrap();
    let err = settle(reader.readline()).await.unwrap_err();
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
    settle(writer.wait_closed()).await.unwrap();
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
    assert_eq!(text(&settle(reader.readline()).await.unwrap()), "bye\n");
    let err = settle(writer.wait_closed()).await.unwrap_err();
    assert_eq!(prop(&err, "name"), "ConnectionResetError");
    let err = settle(writer.drain()).await.unwrap_err();
    assert_eq!(prop(&err, "errno"), 104.0);
    assert!(reader.exception().is_instance_of::<js_sys::Error>());
}

#[wasm_bindgen_test]
async fn read_defaults_to_reading_until_eof() {
    let (reader, writer) = demo("echo.demo", 7).await;
    writer.writelines(Array::of2(&bytes(b"to "), &bytes(b"the end")).into()).unwrap();
    assert!(writer.can_write_eof());
    writer.write_eof().unwrap();
    assert_eq!(text(&settle(reader.read(None).unwrap()).await.unwrap()), "to the end");
    assert!(reader.at_eof());
}

#[wasm_bindgen_test]
async fn buffered_shows_the_unread_bytes() {
    let (reader, writer) = demo("echo.demo", 7).await;
    writer.write(bytes(b"first\nsecond")).unwrap();
    assert_eq!(text(&settle(reader.readline()).await.unwrap()), "first\n");
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
