//! WebSocket framing on the relay's hot path, side by side: tungstenite as the relay configures
//! it (`src/lib.rs`) against fastwebsockets (Deno's server framing), each as the server of one
//! loopback connection from the same tokio-tungstenite client, in one process. Workloads: 256
//! MiB uploaded in 64 KiB binary messages (the server counts them), and 10,000 sequential
//! 64-byte round trips (the server echoes). Medians of 3 rounds, the two taking turns.
//!
//!     cargo bench -p streamlab-relay --bench framing
//!
//! A measurement to decide on, not the relay's code: see docs/benchmarks.md.

use std::time::{Duration, Instant};

use fastwebsockets::{Frame, OpCode, Payload};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

const UP: usize = 256 << 20;
const PIECE: usize = 64 * 1024;
const TRIPS: usize = 10_000;

#[derive(Clone, Copy, Debug)]
enum Server {
    Tungstenite,
    Fastwebsockets,
}

/// Reads the upgrade request's head and answers it (the relay's own HTTP does more).
async fn handshake(s: &mut TcpStream) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        s.read_exact(&mut byte).await.unwrap();
        head.push(byte[0]);
    }
    let text = String::from_utf8(head).unwrap();
    let key = text
        .lines()
        .find_map(|l| l.strip_prefix("Sec-WebSocket-Key: ").or_else(|| l.strip_prefix("sec-websocket-key: ")))
        .unwrap();
    let answer = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n\r\n",
        derive_accept_key(key.trim().as_bytes())
    );
    s.write_all(answer.as_bytes()).await.unwrap();
}

/// Serves one connection: counts binary bytes until a text message, then answers with the count;
/// echoes binary messages of 64 bytes or fewer.
async fn serve(server: Server, mut s: TcpStream) {
    s.set_nodelay(true).unwrap();
    handshake(&mut s).await;
    let mut count = 0usize;
    match server {
        Server::Tungstenite => {
            let config = WebSocketConfig::default()
                .max_message_size(Some(1 << 20))
                .max_frame_size(Some(1 << 20))
                .read_buffer_size(32 * 1024)
                .write_buffer_size(4 * 64 * 1024 + 64)
                .max_write_buffer_size(4 << 20);
            let mut ws = WebSocketStream::from_raw_socket(s, Role::Server, Some(config)).await;
            while let Some(Ok(msg)) = ws.next().await {
                match msg {
                    Message::Binary(b) if b.len() <= 64 => ws.send(Message::Binary(b)).await.unwrap(),
                    Message::Binary(b) => count += b.len(),
                    Message::Text(_) => ws.send(Message::text(count.to_string())).await.unwrap(),
                    Message::Close(_) => break,
                    _ => {}
                }
            }
        }
        Server::Fastwebsockets => {
            let mut ws = fastwebsockets::WebSocket::after_handshake(s, fastwebsockets::Role::Server);
            ws.set_max_message_size(1 << 20);
            ws.set_auto_close(true);
            loop {
                let frame = match ws.read_frame().await {
                    Ok(f) => f,
                    Err(_) => break,
                };
                match frame.opcode {
                    OpCode::Binary if frame.payload.len() <= 64 => {
                        let echo = frame.payload.to_vec();
                        ws.write_frame(Frame::binary(Payload::Owned(echo))).await.unwrap();
                    }
                    OpCode::Binary => count += frame.payload.len(),
                    OpCode::Text => {
                        let answer = count.to_string().into_bytes();
                        ws.write_frame(Frame::text(Payload::Owned(answer))).await.unwrap();
                    }
                    OpCode::Close => break,
                    _ => {}
                }
            }
        }
    }
}

/// One round: (upload MiB/s, round-trip median µs).
async fn round(server: Server) -> (f64, f64) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move { serve(server, listener.accept().await.unwrap().0).await });
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://127.0.0.1:{port}/")).await.unwrap();
    let piece = vec![b'a'; PIECE];
    let start = Instant::now();
    for _ in 0..UP / PIECE {
        ws.feed(Message::binary(piece.clone())).await.unwrap();
    }
    ws.send(Message::text("count")).await.unwrap();
    let answer = loop {
        if let Some(Ok(Message::Text(t))) = ws.next().await {
            break t;
        }
    };
    let up = UP as f64 / f64::from(1 << 20) / start.elapsed().as_secs_f64();
    assert_eq!(answer.as_str(), UP.to_string(), "{server:?} counted other bytes");
    let line = vec![b'x'; 64];
    let mut trips = Vec::with_capacity(TRIPS);
    for _ in 0..TRIPS {
        let t = Instant::now();
        ws.send(Message::binary(line.clone())).await.unwrap();
        match ws.next().await {
            Some(Ok(Message::Binary(b))) if b.len() == 64 => {}
            other => panic!("{server:?} echoed {other:?}"),
        }
        trips.push(t.elapsed());
    }
    let _ = ws.close(None).await;
    let _ = tokio::time::timeout(Duration::from_secs(2), task).await;
    trips.sort();
    (up, trips[TRIPS / 2].as_secs_f64() * 1e6)
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

#[tokio::main]
async fn main() {
    let servers = [Server::Tungstenite, Server::Fastwebsockets];
    let mut seen = vec![(Vec::new(), Vec::new()); servers.len()];
    for r in 0..3 {
        for i in 0..servers.len() {
            let i = (i + r) % servers.len();
            let (up, rtt) = round(servers[i]).await;
            seen[i].0.push(up);
            seen[i].1.push(rtt);
        }
    }
    println!("| server framing | up MiB/s | RTT median µs |\n|---|---|---|");
    for (server, (up, rtt)) in servers.iter().zip(seen) {
        println!("| {server:?} | {:.0} | {:.1} |", median(up), median(rtt));
    }
}
