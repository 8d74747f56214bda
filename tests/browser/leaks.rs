//! No leaks: 1,000 connections opened and closed leave wasm memory and the transports (each
//! owning its socket and handlers) where they were.

use streamlab::transport::websocket::live_transports;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

use crate::common::{fixture, open};

fn wasm_memory_bytes() -> f64 {
    let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
    memory.buffer().unchecked_into::<js_sys::ArrayBuffer>().byte_length() as f64
}

async fn cycle(port: u16) {
    let (reader, writer) = open("127.0.0.1", port).await;
    writer.write(b"ping\n").unwrap();
    assert_eq!(reader.readline().await.unwrap(), &b"ping\n"[..]);
    writer.close();
    writer.wait_closed().await.unwrap();
}

#[wasm_bindgen_test]
async fn a_thousand_connections_leave_nothing_behind() {
    let port = fixture("echo");
    for _ in 0..50 {
        cycle(port).await; // warm up allocator pools
    }
    let (memory, handlers) = (wasm_memory_bytes(), live_transports());
    for _ in 0..1000 {
        cycle(port).await;
    }
    streamlab::runtime::sleep(std::time::Duration::from_millis(50)).await;
    let grown = wasm_memory_bytes() - memory;
    assert_eq!(live_transports(), handlers, "transports (with their sockets and handlers) left alive");
    assert!(grown <= 256.0 * 1024.0, "wasm memory grew by {grown} bytes over 1,000 connections");
    console_log!("wasm memory growth over 1,000 connections: {grown} bytes");
}

#[wasm_bindgen_test]
async fn a_cancelled_connect_closes_its_socket() {
    let before = live_transports();
    {
        let pending = open("silent.demo", 9002);
        let mut pending = std::pin::pin!(pending);
        let _ = crate::common::poll_once(pending.as_mut()); // starts connecting, then dropped
    }
    assert_eq!(live_transports(), before);
}
