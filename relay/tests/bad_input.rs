//! Bad input of every kind gets its clear code or HTTP status, and the relay keeps serving
//! everyone else: one healthy session stays open through all of it.

mod common;

use common::*;
use futures_util::SinkExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::Message;

/// Sends raw bytes as an HTTP request; returns the status code of the answer.
async fn raw_status(relay: &Relay, request: &[u8]) -> u16 {
    let mut s = TcpStream::connect(relay.addr).await.unwrap();
    s.write_all(request).await.unwrap();
    let mut head = Vec::new();
    let _ = tokio::time::timeout(PATIENCE, s.read_to_end(&mut head)).await.expect("an answer");
    let text = String::from_utf8_lossy(&head);
    text.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or_else(|| panic!("no status in {text:?}"))
}

/// A GET of a missing file whose head is exactly `len` bytes.
fn head_of(len: usize) -> Vec<u8> {
    let start = b"GET /missing HTTP/1.1\r\nHost: 127.0.0.1\r\nX: ";
    let end = b"\r\n\r\n";
    [start.to_vec(), vec![b'a'; len - start.len() - end.len()], end.to_vec()].concat()
}

fn upgrade(path: &str, version: u8, extra: &str) -> Vec<u8> {
    format!(
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Version: {version}\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n{extra}\r\n"
    )
    .into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_of_bad_input_gets_its_answer() {
    let target = echo_server().await;
    let port = target.port();
    // never.slow.test is allowed but never resolved: a session to it stays connecting.
    let mut config = allowing(&[&format!("127.0.0.1:{port}"), "never.slow.test:80"]);
    config.resolver = FakeDns::new(&[]).resolver();
    config.max_per_ip = 1000;
    let relay = Relay::start(config).await;
    let origin = format!("http://{}", relay.addr);

    let mut healthy = relay.connect("127.0.0.1", port).await;
    healthy.connected().await;

    // Refused at the handshake, with an HTTP status.
    let handshakes: Vec<(&str, Result<(), u16>)> = vec![
        (
            "no subprotocol",
            Client::open(relay.addr, &format!("host=127.0.0.1&port={port}"), Some(&origin), None)
                .await
                .map(drop),
        ),
        (
            "unknown subprotocol",
            Client::open(relay.addr, &format!("host=127.0.0.1&port={port}"), Some(&origin), Some("chat"))
                .await
                .map(drop),
        ),
        (
            "foreign origin",
            Client::open(
                relay.addr,
                &format!("host=127.0.0.1&port={port}"),
                Some("https://evil.example"),
                Some("streamlab.v1"),
            )
            .await
            .map(drop),
        ),
    ];
    for (what, result) in handshakes {
        let expected = if what == "foreign origin" { 403 } else { 400 };
        assert_eq!(result.err(), Some(expected), "{what}");
    }
    let proto = "Sec-WebSocket-Protocol: streamlab.v1\r\n";
    for (what, request, status) in [
        ("plain GET on /connect", b"GET /connect?host=a&port=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".to_vec(), 426),
        ("POST", b"POST /connect HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n".to_vec(), 405),
        ("garbage", b"\x16\x03\x01 hello there\r\n\r\n".to_vec(), 400),
        ("head too large", [b"GET / HTTP/1.1\r\nX: ".to_vec(), vec![b'a'; 20_000], b"\r\n\r\n".to_vec()].concat(), 431),
        // The limit is exact: 16,384 bytes of head pass, 16,385 do not, however they arrive.
        ("head of 16,385 bytes", head_of(16_385), 431),
        ("head of 16,384 bytes", head_of(16_384), 404),
        ("two Origin headers", upgrade("/connect?host=127.0.0.1&port=1", 13, &format!("{proto}Origin: {origin}\r\nOrigin: https://evil.example\r\n")), 400),
        ("WebSocket version 8", upgrade("/connect", 8, proto), 426),
        ("no Sec-WebSocket-Key", format!("GET /connect HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n{proto}\r\n").into_bytes(), 400),
        ("unknown path", b"GET /etc/passwd HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".to_vec(), 404),
        ("path traversal", b"GET /../../etc/passwd HTTP/1.1\r\nHost: [::1]:80\r\n\r\n".to_vec(), 404),
        // A DNS-rebound page sends its own name: it reaches nothing, not even /demo.json.
        ("a rebound name", b"GET /demo.json HTTP/1.1\r\nHost: rebound.example:8765\r\n\r\n".to_vec(), 421),
        ("a rebound name's upgrade", String::from_utf8(upgrade("/connect?host=127.0.0.1&port=1", 13, proto)).unwrap().replace("Host: 127.0.0.1", "Host: rebound.example").into_bytes(), 421),
        ("no Host", b"GET /demo.json HTTP/1.1\r\n\r\n".to_vec(), 400),
        ("two Host headers", b"GET /demo.json HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: rebound.example\r\n\r\n".to_vec(), 400),
        ("upgrade on another path", upgrade("/other", 13, proto), 404),
    ] {
        assert_eq!(raw_status(&relay, &request).await, status, "{what}");
    }

    // Accepted as WebSockets, then closed with 4400 and the reason.
    for (what, query, reason) in [
        ("missing host", format!("port={port}"), "host is missing"),
        ("missing port", "host=127.0.0.1".to_owned(), "port is missing"),
        ("port 0", "host=127.0.0.1&port=0".to_owned(), "port must be 1 to 65535"),
        ("port 65536", "host=127.0.0.1&port=65536".to_owned(), "port must be 1 to 65535"),
        ("port as text", "host=127.0.0.1&port=http".to_owned(), "port must be 1 to 65535"),
        ("300-character host", format!("host={}&port={port}", "a".repeat(300)), "host: longer than 253"),
        ("slash in host", format!("host=a%2Fb&port={port}"), "host: only letters"),
        ("repeated field", format!("host=127.0.0.1&port={port}&port={port}"), "port given twice"),
        ("unknown field", format!("host=127.0.0.1&port={port}&via=x"), "unknown field"),
        ("tls=2", format!("host=127.0.0.1&port={port}&tls=2"), "tls must be 0 or 1"),
        ("sni without tls", format!("host=127.0.0.1&port={port}&sni=x"), "sni is only meaningful"),
        ("bad percent-encoding", format!("host=%zz&port={port}"), "bad percent-encoding"),
    ] {
        let closed = relay.connect_query(&query).await.closed().await;
        assert_eq!(closed.code, 4400, "{what}: {closed:?}");
        assert!(closed.reason.contains(reason), "{what}: {closed:?}");
    }

    // Bad messages inside a session.
    let text = |t: &str| Message::text(t.to_owned());
    for (what, msg, code, reason) in [
        ("text that is not JSON", text("hello"), 4400, "bad control message"),
        ("unknown control type", text(r#"{"type":"launch"}"#), 4400, "unknown type \"launch\""),
        ("unknown field", text(r#"{"type":"eof","x":1}"#), 4400, "unknown field \"x\""),
        ("no type", text(r#"{"bytes":5}"#), 4400, "\"type\" is missing"),
        ("negative credit", text(r#"{"type":"credit","bytes":-5}"#), 4400, "credit must be 1 to"),
        ("fractional credit", text(r#"{"type":"credit","bytes":1.5}"#), 4400, "credit must be 1 to"),
        ("zero credit", text(r#"{"type":"credit","bytes":0}"#), 4400, "credit must be 1 to"),
        ("huge credit", text(r#"{"type":"credit","bytes":99999999999}"#), 4400, "credit must be 1 to"),
        (
            "connected from the client",
            text(r#"{"type":"connected","peername":["a",1],"sockname":["b",2]}"#),
            4400,
            "relay's message",
        ),
        ("oversized message", Message::Binary(vec![0u8; (1 << 20) + 1].into()), 1009, "exceeds the limit"),
        (
            "text frame that is not UTF-8",
            Message::Frame(Frame::message(vec![0xff, 0xfe], OpCode::Data(Data::Text), true)),
            1007,
            "not UTF-8",
        ),
        (
            "text frame with overlong UTF-8",
            Message::Frame(Frame::message(vec![0xc0, 0xaf], OpCode::Data(Data::Text), true)),
            1007,
            "not UTF-8",
        ),
        ("a ping over 125 bytes", Message::Frame(Frame::ping(vec![0u8; 126])), 1002, ""),
    ] {
        let mut c = relay.connect("127.0.0.1", port).await;
        c.connected().await;
        c.ws.send(msg).await.unwrap();
        let closed = c.closed().await;
        assert_eq!(closed.code, code, "{what}: {closed:?}");
        assert!(closed.reason.contains(reason), "{what}: {closed:?}");
    }

    // The same, split over fragments, and sent while the relay is still connecting (to a name
    // it never resolves, so the frame cannot reach a pump) and once it is connected.
    for (what, frames, code) in [
        (
            "overlong UTF-8 split over two fragments",
            vec![
                Frame::message(vec![0xc0], OpCode::Data(Data::Text), false),
                Frame::message(vec![0xaf], OpCode::Data(Data::Continue), true),
            ],
            1007,
        ),
        ("a ping over 125 bytes", vec![Frame::ping(vec![0u8; 126])], 1002),
    ] {
        for early in [false, true] {
            let mut c = match early {
                true => relay.connect("never.slow.test", 80).await,
                false => relay.connect("127.0.0.1", port).await,
            };
            if !early {
                c.connected().await;
            }
            for frame in frames.clone() {
                c.ws.send(Message::Frame(frame)).await.unwrap();
            }
            let closed = c.closed().await;
            assert_eq!(closed.code, code, "{what} (before connected: {early}): {closed:?}");
        }
    }

    // Credit piled up beyond what may be outstanding.
    let mut c = relay.connect("127.0.0.1", port).await;
    c.connected().await;
    for _ in 0..5 {
        c.grant(16 << 20).await;
    }
    let closed = c.closed().await;
    assert_eq!(closed.code, 4400, "{closed:?}");
    assert!(closed.reason.contains("credit outstanding"), "{closed:?}");

    // All the while, the healthy session kept working, and new ones still do.
    healthy.send(b"still alive").await;
    assert_eq!(healthy.read_exact(11).await, b"still alive");
    let mut fresh = relay.connect("127.0.0.1", port).await;
    fresh.connected().await;
    fresh.send(b"ok").await;
    assert_eq!(fresh.read_exact(2).await, b"ok");
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_past_the_cap_gets_4429_and_the_relay_recovers() {
    let target = echo_server().await;
    let mut config = allowing(&[&format!("127.0.0.1:{}", target.port())]);
    config.max_connections = 20;
    config.max_per_ip = 20;
    let relay = Relay::start(config).await;
    let mut held = Vec::new();
    for _ in 0..20 {
        let mut c = relay.connect("127.0.0.1", target.port()).await;
        c.connected().await;
        held.push(c);
    }
    let mut refused = 0;
    for _ in 0..60 {
        if relay.connect("127.0.0.1", target.port()).await.closed().await.code == 4429 {
            refused += 1;
        }
    }
    assert_eq!(refused, 60);
    for c in &mut held {
        c.send(b"x").await;
        assert_eq!(c.read_exact(1).await, b"x");
    }
    held.clear();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let mut c = relay.connect("127.0.0.1", target.port()).await;
    c.connected().await;
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heads_that_never_end_and_idle_connections_are_let_go_after_ten_seconds() {
    let relay = Relay::start(allowing(&[])).await;
    let closed_after = |request: &'static [u8], trickle: bool| {
        let addr = relay.addr;
        tokio::spawn(async move {
            let mut s = TcpStream::connect(addr).await.unwrap();
            let started = std::time::Instant::now();
            s.write_all(request).await.unwrap();
            let mut seen = Vec::new();
            let mut buf = [0u8; 4096];
            loop {
                let read = tokio::time::timeout(std::time::Duration::from_secs(1), s.read(&mut buf)).await;
                match read {
                    Ok(Ok(0) | Err(_)) => {
                        return (started.elapsed(), String::from_utf8_lossy(&seen).into_owned())
                    }
                    Ok(Ok(n)) => seen.extend_from_slice(&buf[..n]),
                    // A head sent a byte a second still ends at the head timeout.
                    Err(_) if trickle => {
                        let _ = s.write_all(b"a").await;
                    }
                    Err(_) => {}
                }
            }
        })
    };
    let partial = closed_after(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Never: ", false);
    let trickle = closed_after(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slowly: ", true);
    let idle = closed_after(b"GET /demo.json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", false);
    let nothing = closed_after(b"", false);
    for (what, job) in [
        ("partial head", partial),
        ("trickled head", trickle),
        ("idle keep-alive", idle),
        ("silence", nothing),
    ] {
        let (after, seen) = job.await.unwrap();
        assert!(after >= std::time::Duration::from_secs(9), "{what}: closed after {after:?}");
        assert!(after <= std::time::Duration::from_secs(13), "{what}: closed after {after:?}");
        if what == "idle keep-alive" {
            assert!(seen.starts_with("HTTP/1.1 200 "), "{what}: answered first: {seen:?}");
        }
    }
    relay.stop().await;
}
