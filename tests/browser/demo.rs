//! No relay: open_connection to the in-page demo servers (the embedded default), in the page.

use std::time::Duration;

use streamlab::transport::ExtraInfo;
use streamlab::{open_connection, OpenOptions, StreamReader, StreamWriter};
use wasm_bindgen_test::*;

use crate::common::python;

async fn open(host: &str, port: u16) -> (StreamReader, StreamWriter) {
    open_connection(host, port, OpenOptions::default()).await.expect("open_connection")
}

#[wasm_bindgen_test]
async fn echo_in_page() {
    let (reader, writer) = open("echo.demo", 7).await;
    writer.write(b"hello\n").unwrap();
    writer.drain().await.unwrap();
    assert_eq!(reader.readline().await.unwrap(), &b"hello\n"[..]);
    writer.close();
    writer.wait_closed().await.unwrap();
    assert!(reader.at_eof());
}

#[wasm_bindgen_test]
async fn drip_in_page_uses_real_timers() {
    let (reader, _w) = open("drip.demo", 9000).await;
    let start = streamlab::runtime::Instant::now();
    assert_eq!(reader.read(100).await.unwrap(), &b"drip"[..]);
    assert_eq!(reader.readline().await.unwrap(), &b".demo: this line arrives in pieces.\n"[..]);
    assert!(start.elapsed() >= Duration::from_millis(500));
}

#[wasm_bindgen_test]
async fn http_in_page() {
    let (reader, writer) = open("example.demo", 80).await;
    writer.write(b"GET / HTTP/1.0\r\n\r\n").unwrap();
    assert_eq!(reader.readline().await.unwrap(), &b"HTTP/1.0 200 OK\r\n"[..]);
    let headers = reader.readuntil(b"\r\n\r\n").await.unwrap();
    assert!(headers.ends_with(b"Connection: close\r\n\r\n"));
    let body = reader.read(-1).await.unwrap();
    assert_eq!(body, streamlab::demo::PAGE.as_bytes());
    assert!(!writer.is_closing());
}

#[wasm_bindgen_test]
async fn readexactly_at_eof_is_incomplete_in_page() {
    let (reader, writer) = open("example.demo", 80).await;
    writer.write(b"GET /nothing HTTP/1.0\r\n\r\n").unwrap();
    let err = reader.readexactly(1 << 20).await.unwrap_err();
    assert_eq!(err.python_name(), "IncompleteReadError");
    assert!(err.to_string().ends_with("bytes read on a total of 1048576 expected bytes"));
}

#[wasm_bindgen_test]
async fn lines_in_page() {
    let (reader, writer) = open("lines.demo", 9001).await;
    writer.write(b"1000\n").unwrap();
    writer.write_eof().unwrap();
    let mut n = 0;
    while let Some(line) = reader.next_line().await.unwrap() {
        n += 1;
        assert_eq!(line, format!("line {n}\n").as_bytes());
    }
    assert_eq!(n, 1000);
    assert!(!writer.is_closing(), "both sides sent EOF: over at close(), as over TCP");
    writer.close();
    writer.wait_closed().await.unwrap();
}

#[wasm_bindgen_test]
async fn big_line_overruns_in_page() {
    let (reader, _w) = open("big.demo", 9003).await;
    let err = reader.readuntil(b"\n").await.unwrap_err();
    assert_eq!(err.python_name(), "LimitOverrunError");
    assert!(reader.buffered().len() > 65536, "readuntil leaves the data buffered");
    assert_eq!(python(&reader.readline().await.unwrap_err()).0, "ValueError");
}

#[wasm_bindgen_test]
async fn silent_in_page_never_sends() {
    let (reader, _w) = open("silent.demo", 9002).await;
    assert!(streamlab::runtime::timeout(Duration::from_millis(300), reader.read(10)).await.is_none());
    assert!(!reader.at_eof());
}

#[wasm_bindgen_test]
async fn close_keeps_unread_data_in_page() {
    let (reader, writer) = open("example.demo", 80).await;
    writer.write(b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n").unwrap();
    assert_eq!(reader.readline().await.unwrap(), &b"HTTP/1.1 200 OK\r\n"[..]);
    writer.close();
    writer.wait_closed().await.unwrap();
    assert!(reader.read(-1).await.unwrap().ends_with(b"</html>\n"));
}

#[wasm_bindgen_test]
async fn write_after_close_then_drain_in_page() {
    let (_reader, writer) = open("echo.demo", 7).await;
    writer.close();
    writer.write(b"data").unwrap();
    let err = writer.drain().await.unwrap_err();
    assert_eq!(python(&err), ("ConnectionResetError".into(), "Connection lost".into()));
}

#[wasm_bindgen_test]
async fn extra_info_in_page() {
    let (_r, writer) = open("echo.demo", 7).await;
    assert_eq!(writer.get_extra_info("peername"), Some(ExtraInfo::Address("echo.demo".into(), 7)));
    assert_eq!(writer.get_extra_info("sslcontext"), None);
}

#[wasm_bindgen_test]
async fn without_a_relay_only_demo_hosts_resolve() {
    let err = open_connection("example.com", 80, OpenOptions::default()).await.unwrap_err();
    assert_eq!(err.python_name(), "gaierror");
    let err = open_connection("nosuch.demo", 80, OpenOptions::default()).await.unwrap_err();
    assert_eq!(err.to_string(), "[Errno -2] Name or service not known");
}

#[wasm_bindgen_test]
async fn every_demo_transcript_in_page() {
    // The same table as through the relay (tests/shared/demo_table.rs).
    crate::demo_table::check_all(|host, port| Box::pin(open_connection(host, port, OpenOptions::default())))
        .await;
}
