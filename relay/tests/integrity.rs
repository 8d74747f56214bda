//! Nothing is lost: 256 MiB each way at once in random chunk sizes, SHA-256 equal on both
//! ends; 500 concurrent echo sessions all complete with their own bytes.

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::*;
use futures_util::{SinkExt, StreamExt};
use rand::rngs::StdRng;
use rand::{Rng, RngCore, SeedableRng};
use sha2::{Digest, Sha256};
use streamlab::protocol::Control;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::Message;

const TOTAL: usize = 256 << 20;

/// `TOTAL` pseudo-random bytes in random chunk sizes, fed to `sink`; returns their hash.
fn chunks(seed: u64) -> impl Iterator<Item = Vec<u8>> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut left = TOTAL;
    std::iter::from_fn(move || {
        if left == 0 {
            return None;
        }
        let n = rng.random_range(1..=256 * 1024).min(left);
        left -= n;
        let mut chunk = vec![0u8; n];
        rng.fill_bytes(&mut chunk);
        Some(chunk)
    })
}

fn expected_hash(seed: u64) -> Vec<u8> {
    let mut h = Sha256::new();
    chunks(seed).for_each(|c| h.update(&c));
    h.finalize().to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_fifty_six_mib_each_way_arrive_intact() {
    // The target sends its stream while hashing what it receives, then reports the hash.
    let (report, reported) = oneshot::channel::<(usize, Vec<u8>)>();
    let report = std::sync::Mutex::new(Some(report));
    let target = server(move |s: TcpStream| {
        let report = report.lock().unwrap().take();
        async move {
            let (mut r, mut w) = s.into_split();
            let sender = tokio::spawn(async move {
                for chunk in chunks(2) {
                    w.write_all(&chunk).await.unwrap();
                }
                w.shutdown().await.unwrap();
            });
            let mut h = Sha256::new();
            let mut n = 0;
            let mut buf = vec![0u8; 256 * 1024];
            loop {
                let k = r.read(&mut buf).await.unwrap();
                if k == 0 {
                    break;
                }
                n += k;
                h.update(&buf[..k]);
            }
            sender.await.unwrap();
            if let Some(report) = report {
                let _ = report.send((n, h.finalize().to_vec()));
            }
        }
    })
    .await;
    let relay = Relay::start(allowing(&[&format!("127.0.0.1:{}", target.port())])).await;
    let mut c = relay.connect("127.0.0.1", target.port()).await;
    c.connected().await;
    c.grant(4 << 20).await;
    let (mut tx, mut rx) = c.ws.split();
    // The reader cannot send; it posts credit grants, which the uploader sends between chunks.
    let (grant, mut grants) = tokio::sync::mpsc::unbounded_channel::<u64>();
    let up = tokio::spawn(async move {
        let credit = |n: u64| Message::text(Control::Credit { bytes: n }.to_text());
        for chunk in chunks(1) {
            while let Ok(n) = grants.try_recv() {
                tx.send(credit(n)).await.unwrap();
            }
            tx.send(Message::Binary(Bytes::from(chunk))).await.unwrap();
        }
        tx.send(Message::text(Control::Eof.to_text())).await.unwrap();
        while let Some(n) = grants.recv().await {
            tx.send(credit(n)).await.unwrap();
        }
        tx
    });
    let down = tokio::spawn(async move {
        let mut h = Sha256::new();
        let mut n = 0usize;
        loop {
            match tokio::time::timeout(PATIENCE, rx.next()).await.expect("data keeps coming") {
                Some(Ok(Message::Binary(b))) => {
                    n += b.len();
                    h.update(&b);
                    let _ = grant.send(b.len() as u64);
                }
                Some(Ok(Message::Text(t))) if Control::parse(t.as_str()) == Ok(Control::Eof) => break,
                other => panic!("unexpected {other:?} after {n} bytes"),
            }
        }
        drop(grant);
        (n, h.finalize().to_vec(), rx)
    });
    let (down_n, down_hash, rx) = down.await.unwrap();
    let tx = up.await.unwrap();
    let (up_n, up_hash) = tokio::time::timeout(PATIENCE, reported).await.expect("target report").unwrap();
    assert_eq!((down_n, up_n), (TOTAL, TOTAL));
    assert_eq!(down_hash, expected_hash(2), "target -> client");
    assert_eq!(up_hash, expected_hash(1), "client -> target");
    let mut c = Client { ws: tx.reunite(rx).unwrap(), data: Vec::new() };
    assert_eq!(c.closed().await.code, 1000);
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_hundred_concurrent_echo_sessions_complete() {
    let target = echo_server().await;
    let mut config = allowing(&[&format!("127.0.0.1:{}", target.port())]);
    config.max_connections = 600;
    config.max_per_ip = 600;
    let relay = Relay::start(config).await;
    let sessions: Vec<_> = (0..500u64)
        .map(|i| {
            let relay_addr = relay.addr;
            let port = target.port();
            tokio::spawn(async move {
                let origin = format!("http://{relay_addr}");
                let mut c = Client::open(
                    relay_addr,
                    &format!("host=127.0.0.1&port={port}"),
                    Some(&origin),
                    Some("streamlab.v1"),
                )
                .await
                .expect("handshake");
                c.connected().await;
                let mut rng = StdRng::seed_from_u64(i);
                let mut sent = vec![0u8; rng.random_range(1..=32 * 1024)];
                rng.fill_bytes(&mut sent);
                for piece in sent.chunks(4096) {
                    c.send(piece).await;
                }
                c.send_eof().await;
                let back = c.read_to_eof().await;
                assert_eq!(back, sent, "session {i}");
                assert_eq!(c.closed().await.code, 1000, "session {i}");
            })
        })
        .collect();
    for (i, s) in sessions.into_iter().enumerate() {
        tokio::time::timeout(Duration::from_secs(60), s)
            .await
            .unwrap_or_else(|_| panic!("session {i} hung"))
            .unwrap();
    }
    relay.stop().await;
}
