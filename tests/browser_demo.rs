//! In a real browser, no relay: open_connection to the in-page demo servers (the embedded
//! default), through the Rust API. Run by `cargo xtask test` in headless Chromium and Firefox.

#![cfg(target_arch = "wasm32")]

use std::time::Duration;

use streamlab::{open_connection, OpenOptions, StreamReader, StreamWriter};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

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
