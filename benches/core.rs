//! The core benchmark: streamlab's StreamReader on in-memory data, the same work that
//! `benches/core.py` gives CPython's. Run both with `cargo xtask bench-core`.
//!
//! Prints one JSON object per workload: the best of `REPEAT` runs, and the process's peak RSS.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll};
use std::time::Instant;

use futures::task::noop_waker_ref;
use streamlab::StreamReader;

const REPEAT: usize = 3;
const CHUNK: usize = 64 * 1024;

/// Feeds `chunks` to `reader` one at a time, each time `consumer` must wait (as a feeder task
/// with `await asyncio.sleep(0)` does), then EOF; returns the consumer's result.
fn drive<T>(reader: &StreamReader, chunks: &[Vec<u8>], consumer: impl Future<Output = T>) -> T {
    let mut consumer = pin!(consumer);
    let mut cx = Context::from_waker(noop_waker_ref());
    let mut next = chunks.iter();
    loop {
        if let Poll::Ready(out) = consumer.as_mut().poll(&mut cx) {
            return out;
        }
        match next.next() {
            Some(chunk) => reader.feed_data(chunk).expect("feed"),
            None => reader.feed_eof(),
        }
    }
}

fn split(data: &[u8], size: usize) -> Vec<Vec<u8>> {
    data.chunks(size).map(<[u8]>::to_vec).collect()
}

/// `async for line in reader` over 64 MiB of 64-byte lines.
fn lines() -> (f64, u64) {
    let line: Vec<u8> = (0..63).map(|i| b'a' + (i % 26) as u8).chain([b'\n']).collect();
    let data = line.repeat(64 * 1024 * 1024 / 64);
    let chunks = split(&data, CHUNK);
    best(|| {
        let reader = StreamReader::default();
        let count = drive(&reader, &chunks, async {
            let mut n = 0u64;
            while let Some(line) = reader.next_line().await.expect("line") {
                debug_assert_eq!(line.len(), 64);
                n += 1;
            }
            n
        });
        assert_eq!(count, 1024 * 1024);
        count
    })
}

/// 4-byte big-endian length-prefixed 1 KiB frames with `readexactly`, 64 MiB in all.
fn frames() -> (f64, u64) {
    let mut data = Vec::new();
    for i in 0..(64 * 1024 * 1024 / 1028) {
        data.extend_from_slice(&1024u32.to_be_bytes());
        data.extend(std::iter::repeat_n((i % 251) as u8, 1024));
    }
    let chunks = split(&data, CHUNK);
    best(|| {
        let reader = StreamReader::default();
        drive(&reader, &chunks, async {
            let mut n = 0u64;
            loop {
                match reader.readexactly(4).await {
                    Ok(head) => {
                        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
                        let body = reader.readexactly(len as isize).await.expect("frame body");
                        assert_eq!(body.len(), 1024);
                        n += 1;
                    }
                    Err(_) => return n,
                }
            }
        })
    })
}

/// One `readline` waiting while a line of `mib` MiB arrives in 64-byte chunks.
fn long_line(mib: usize) -> (f64, u64) {
    let mut data = vec![b'x'; mib * 1024 * 1024];
    data.push(b'\n');
    let chunks = split(&data, 64);
    best(|| {
        let reader = StreamReader::new(8 * 1024 * 1024).expect("limit");
        let line = drive(&reader, &chunks, reader.readline());
        line.expect("line").len() as u64
    })
}

/// The fastest of `REPEAT` runs: (seconds, items).
fn best(mut run: impl FnMut() -> u64) -> (f64, u64) {
    (0..REPEAT)
        .map(|_| {
            let start = Instant::now();
            let items = run();
            (start.elapsed().as_secs_f64(), items)
        })
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .expect("REPEAT > 0")
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(str::to_owned))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        .unwrap_or(0)
}

fn main() {
    let report = |name: &str, (secs, items): (f64, u64), bytes: u64| {
        println!(
            "{{\"impl\":\"streamlab\",\"workload\":\"{name}\",\"seconds\":{secs:.6},\"items\":{items},\"bytes\":{bytes},\"peak_rss_kib\":{}}}",
            peak_rss_kib()
        );
    };
    report("lines", lines(), 64 << 20);
    report("frames", frames(), (64 << 20) / 1028 * 1028);
    report("long_line_1mib", long_line(1), (1 << 20) + 1);
    report("long_line_4mib", long_line(4), (4 << 20) + 1);
}
