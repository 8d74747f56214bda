//! Nothing is lost: 256 MiB each way at once in random chunk sizes, SHA-256 equal on both
//! ends; 500 concurrent echo sessions all complete with their own bytes.

mod common;

use std::time::Duration;

use common::*;
use rand::rngs::StdRng;
use rand::{Rng, RngCore, SeedableRng};

const TOTAL: usize = 256 << 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_fifty_six_mib_each_way_arrive_intact() {
    let (target, mut reports) = hashing_target(2, TOTAL).await;
    let relay = Relay::start(allowing(&[&format!("127.0.0.1:{}", target.port())])).await;
    let mut c = relay.connect("127.0.0.1", target.port()).await;
    c.connected().await;
    let (down_n, down_hash, mut c) = c.exchange(chunks(1, TOTAL)).await;
    let (up_n, up_hash) =
        tokio::time::timeout(PATIENCE, reports.recv()).await.expect("target report").unwrap();
    assert_eq!((down_n, up_n), (TOTAL, TOTAL));
    assert_eq!(down_hash, hash_of(chunks(2, TOTAL)), "target -> client");
    assert_eq!(up_hash, hash_of(chunks(1, TOTAL)), "client -> target");
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
