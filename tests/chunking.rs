//! Property: results do not depend on how the same bytes are split into chunks, for every
//! operation whose CPython results do not (readexactly, readuntil and readline within the
//! limit, read to EOF — not `read(n)`, whose size follows the chunks, nor overruns).

#![cfg(not(target_arch = "wasm32"))]

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures::task::noop_waker_ref;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use streamlab::{Separators, StreamReader};

#[derive(Clone, Debug)]
enum Op {
    Exactly(isize),
    Until(Separators),
    Line,
}

/// Runs `ops` then `read(-1)` while feeding `data` split at `cuts`, a chunk each time the
/// reader must wait; returns every result as text.
fn run(data: &[u8], cuts: &[usize], ops: &[Op]) -> Vec<String> {
    let reader = StreamReader::new(1 << 20).unwrap();
    let consumer = async {
        let mut out = Vec::new();
        for op in ops {
            let r = match op {
                Op::Exactly(n) => reader.readexactly(*n).await,
                Op::Until(seps) => reader.readuntil(seps.clone()).await,
                Op::Line => reader.readline().await,
            };
            out.push(format!("{r:?}"));
        }
        out.push(format!("{:?}", reader.read(-1).await));
        out
    };
    let mut consumer = pin!(consumer);
    let mut chunks = cuts.windows(2).map(|w| &data[w[0]..w[1]]);
    loop {
        if let Poll::Ready(out) = consumer.as_mut().poll(&mut Context::from_waker(noop_waker_ref())) {
            return out;
        }
        match chunks.next() {
            Some(chunk) => reader.feed_data(chunk).unwrap(),
            None => reader.feed_eof(),
        }
    }
}

fn random_cuts(rng: &mut StdRng, len: usize) -> Vec<usize> {
    let mut cuts: Vec<usize> =
        (0..rng.random_range(0..=len.min(12))).map(|_| rng.random_range(0..=len)).collect();
    cuts.extend([0, len]);
    cuts.sort_unstable();
    cuts
}

#[test]
fn results_do_not_depend_on_chunking() {
    let mut rng = StdRng::seed_from_u64(2024);
    let seps: [&[u8]; 5] = [b"\n", b"ab", b"\r\n", b"aab", b"b\nb"];
    for case in 0..3000 {
        let len = rng.random_range(0..60);
        let data: Vec<u8> = (0..len).map(|_| b"ab\n\r"[rng.random_range(0..4)]).collect();
        let ops: Vec<Op> = (0..rng.random_range(1..8))
            .map(|_| match rng.random_range(0..4) {
                0 => Op::Exactly(rng.random_range(0..8i32) as isize),
                1 => Op::Until(Separators::one(Bytes::from_static(seps[rng.random_range(0..5)]))),
                2 => Op::Until(Separators::tuple(
                    (0..rng.random_range(1..4)).map(|_| seps[rng.random_range(0..5)]),
                )),
                _ => Op::Line,
            })
            .collect();
        let whole = run(&data, &[0, len], &ops);
        for _ in 0..4 {
            let cuts = random_cuts(&mut rng, len);
            assert_eq!(run(&data, &cuts, &ops), whole, "case {case}: {data:?} cut at {cuts:?}, ops {ops:?}");
        }
    }
}
