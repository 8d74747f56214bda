//! The demo servers through the relay over real TCP, `/demo.json`, and the static files.

mod common;

use std::time::{Duration, Instant};

use common::*;
use futures_util::StreamExt;
use streamlab::demo::{Drip, DEMOS};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

async fn demo_relay() -> Relay {
    let mut config = allowing(&[]);
    config.demo = true;
    Relay::start(config).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_demo() {
    let relay = demo_relay().await;
    let mut c = relay.connect("echo.demo", 7).await;
    let (peer, _) = c.connected().await;
    assert_eq!(peer.0, "127.0.0.1");
    c.send(b"ping\n").await;
    assert_eq!(c.read_exact(5).await, b"ping\n");
    c.send_eof().await;
    assert_eq!(c.read_to_eof().await, b"");
    assert_eq!(c.closed().await.code, 1000);
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn example_demo_serves_http() {
    let relay = demo_relay().await;
    let mut c = relay.connect("EXAMPLE.demo", 80).await;
    c.connected().await;
    c.send(b"GET / HTTP/1.0\r\nHost: example.demo\r\n\r\n").await;
    let response = String::from_utf8(c.read_to_eof().await).unwrap();
    assert!(response.starts_with("HTTP/1.0 200 OK\r\n"), "{response}");
    assert!(response.ends_with(streamlab::demo::PAGE), "{response}");
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drip_demo_arrives_in_pieces_over_time() {
    let relay = demo_relay().await;
    let mut c = relay.connect("drip.demo", 9000).await;
    c.connected().await;
    c.grant(1 << 20).await;
    let start = Instant::now();
    let mut pieces = Vec::new();
    loop {
        match c.next().await {
            Some(Message::Binary(b)) => pieces.push((start.elapsed(), b)),
            Some(Message::Text(_)) => break, // eof
            other => panic!("{other:?}"),
        }
    }
    let text: Vec<u8> = pieces.iter().flat_map(|(_, b)| b.iter().copied()).collect();
    assert_eq!(text, Drip::full_text());
    assert!(pieces.len() >= 5, "{} pieces", pieces.len());
    assert!(pieces.last().unwrap().0 >= Duration::from_millis(1400), "the pauses are real");
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lines_demo_answers_requests() {
    let relay = demo_relay().await;
    let mut c = relay.connect("lines.demo", 9001).await;
    c.connected().await;
    c.send(b"3\n").await;
    assert_eq!(c.read_exact(21).await, b"line 1\nline 2\nline 3\n");
    c.send(b"100000\n").await;
    c.send_eof().await;
    let all = c.read_to_eof().await;
    assert_eq!(all.iter().filter(|&&b| b == b'\n').count(), 100_000);
    assert!(all.ends_with(b"line 100000\n"));
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_demo_never_sends_nor_closes() {
    let relay = demo_relay().await;
    let mut c = relay.connect("silent.demo", 9002).await;
    c.connected().await;
    c.grant(1 << 20).await;
    c.send(b"anyone there?\n").await;
    assert!(tokio::time::timeout(Duration::from_millis(1500), c.ws.next()).await.is_err(), "silence");
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn big_demo_sends_a_line_longer_than_64_kib() {
    let relay = demo_relay().await;
    let mut c = relay.connect("big.demo", 9003).await;
    c.connected().await;
    let all = c.read_to_eof().await;
    assert_eq!(all.iter().position(|&b| b == b'\n'), Some(streamlab::demo::BIG_LINE - 1));
    assert!(all.ends_with(b"after the long line\n"));
    relay.stop().await;
}

async fn http_get(relay: &Relay, path: &str) -> (u16, String, Vec<u8>) {
    http_get_with(relay, path, "").await
}

async fn http_get_with(relay: &Relay, path: &str, headers: &str) -> (u16, String, Vec<u8>) {
    let mut s = TcpStream::connect(relay.addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{headers}\r\n");
    s.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await.unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("a head") + 4;
    // Header names in lower case, as hyper sends them (they are case-insensitive); the status
    // line in lower case too, values as sent.
    let head: String = String::from_utf8_lossy(&raw[..split])
        .split_inclusive("\r\n")
        .map(|line| match line.split_once(':') {
            Some((name, value)) => format!("{}:{value}", name.to_ascii_lowercase()),
            None => line.to_ascii_lowercase(),
        })
        .collect();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, head, raw[split..].to_vec())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_json_lists_the_demos() {
    let relay = demo_relay().await;
    let (status, head, body) = http_get(&relay, "/demo.json").await;
    assert_eq!(status, 200);
    assert!(head.contains("content-type: application/json"));
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let listed: Vec<(String, u64)> = v["demos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["host"].as_str().unwrap().to_owned(), d["port"].as_u64().unwrap()))
        .collect();
    let expected: Vec<(String, u64)> = DEMOS.iter().map(|d| (d.host.to_owned(), u64::from(d.port))).collect();
    assert_eq!(listed, expected);
    assert_eq!(listed.len(), 6);
    relay.stop().await;
    let relay = Relay::start(allowing(&[])).await;
    let (_, _, body) = http_get(&relay, "/demo.json").await;
    assert_eq!(body, br#"{"demos":[]}"#);
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn static_files_come_from_the_folder_only() {
    let dir = std::env::temp_dir().join(format!("streamlab-static-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("pkg")).unwrap();
    std::fs::write(dir.join("index.html"), "<h1>page</h1>").unwrap();
    std::fs::write(dir.join("pkg/app.wasm"), b"\0asm").unwrap();
    std::fs::create_dir_all(dir.join(".git")).unwrap();
    std::fs::write(dir.join(".git/config"), "secret").unwrap();
    std::fs::write(dir.join(".env"), "TOKEN=secret").unwrap();
    std::fs::write(dir.join("pkg/.hidden"), "secret").unwrap();
    let mut config = allowing(&[]);
    config.static_dir = Some(dir.clone());
    let relay = Relay::start(config).await;
    let (status, head, body) = http_get(&relay, "/").await;
    assert_eq!((status, body.as_slice()), (200, &b"<h1>page</h1>"[..]));
    assert!(head.contains("text/html"));
    let (status, head, _) = http_get(&relay, "/pkg/app.wasm").await;
    assert_eq!(status, 200);
    assert!(head.contains("content-type: application/wasm"), "{head}");
    for outside in [
        "/../Cargo.toml",
        "/pkg/../../x",
        "/%2e%2e/x",
        "/missing.html",
        "/.env",
        "/.git/config",
        "/pkg/.hidden",
        "/.git/",
    ] {
        assert_eq!(http_get(&relay, outside).await.0, 404, "{outside}");
    }
    relay.stop().await;
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn precompressed_files_go_to_clients_that_accept_them() {
    let dir = std::env::temp_dir().join(format!("streamlab-gzip-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("big.wasm"), b"\0asm plain").unwrap();
    std::fs::write(dir.join("big.wasm.gz"), b"gzipped bytes").unwrap();
    std::fs::write(dir.join("big.wasm.br"), b"brotli bytes").unwrap();
    std::fs::write(dir.join("small.py"), b"plain").unwrap();
    std::fs::write(dir.join("small.py.gz"), b"gzipped py").unwrap();
    std::fs::write(dir.join("only.js"), b"plain").unwrap();
    let mut config = allowing(&[]);
    config.static_dir = Some(dir.clone());
    let relay = Relay::start(config).await;
    // br is preferred when both are there and both accepted.
    let (status, head, body) = http_get_with(&relay, "/big.wasm", "Accept-Encoding: gzip, br\r\n").await;
    assert_eq!((status, body.as_slice()), (200, &b"brotli bytes"[..]));
    assert!(head.contains("content-type: application/wasm\r\n"), "{head}");
    assert!(
        head.contains("content-encoding: br\r\n") && head.contains("vary: Accept-Encoding\r\n"),
        "{head}"
    );
    for (accept, expected) in
        [("gzip", &b"gzipped bytes"[..]), ("br;q=0, gzip", b"gzipped bytes"), ("br", b"brotli bytes")]
    {
        let (_, _, body) =
            http_get_with(&relay, "/big.wasm", &format!("Accept-Encoding: {accept}\r\n")).await;
        assert_eq!(body, expected, "{accept}");
    }
    // Only a .gz beside it: that, for gzip; not accepted (or refused with q=0): the file itself.
    assert_eq!(http_get_with(&relay, "/small.py", "Accept-Encoding: gzip, br\r\n").await.2, b"gzipped py");
    for accept in ["", "Accept-Encoding: br\r\n", "Accept-Encoding: gzip;q=0\r\n"] {
        let (_, head, body) = http_get_with(&relay, "/small.py", accept).await;
        assert_eq!(body, b"plain", "{accept:?}");
        assert!(!head.contains("content-encoding") && head.contains("vary: Accept-Encoding\r\n"), "{head}");
    }
    // No variant beside it: the file.
    let (_, head, body) = http_get_with(&relay, "/only.js", "Accept-Encoding: gzip, br\r\n").await;
    assert_eq!((body.as_slice(), head.contains("content-encoding")), (&b"plain"[..], false));
    // The .gz itself is a file like another; a .gz of something outside is never reached.
    assert_eq!(http_get(&relay, "/big.wasm.gz").await.2, b"gzipped bytes");
    relay.stop().await;
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_with_a_current_copy_gets_304_and_no_body() {
    let dir = std::env::temp_dir().join(format!("streamlab-etag-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("app.js"), b"one").unwrap();
    std::fs::write(dir.join("app.js.gz"), b"one, gzipped").unwrap();
    let mut config = allowing(&[]);
    config.static_dir = Some(dir.clone());
    let relay = Relay::start(config).await;
    let modified_of = |head: &str| {
        let line =
            head.lines().find_map(|l| l.strip_prefix("last-modified: ")).unwrap_or_else(|| panic!("{head}"));
        line.to_owned()
    };
    let (status, head, _) = http_get_with(&relay, "/app.js", "Accept-Encoding: gzip\r\n").await;
    assert!(status == 200 && head.contains("cache-control: no-cache\r\n"), "{head}");
    let modified = modified_of(&head);
    let (status, head, body) = http_get_with(
        &relay,
        "/app.js",
        &format!("Accept-Encoding: gzip\r\nIf-Modified-Since: {modified}\r\n"),
    )
    .await;
    assert_eq!((status, body.len()), (304, 0), "{head}");
    // A changed file: the body again, with its new date.
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(5);
    std::fs::write(dir.join("app.js"), b"two, longer").unwrap();
    std::fs::File::options().write(true).open(dir.join("app.js")).unwrap().set_modified(later).unwrap();
    let (status, head, body) =
        http_get_with(&relay, "/app.js", &format!("If-Modified-Since: {modified}\r\n")).await;
    assert_eq!((status, body.as_slice()), (200, &b"two, longer"[..]));
    assert_ne!(modified_of(&head), modified);
    // Ranges are served too (a resumed download).
    let (status, _, body) = http_get_with(&relay, "/app.js", "Range: bytes=5-\r\n").await;
    assert_eq!((status, body.as_slice()), (206, &b"longer"[..]));
    relay.stop().await;
    std::fs::remove_dir_all(dir).ok();
}
