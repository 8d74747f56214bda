//! The relay benchmark: streamlab-relay beside websocat and websockify in the relay's place,
//! the same native WebSocket client and the same loopback TCP server, and direct TCP as the
//! ceiling. Run with `cargo xtask bench-relay` (which installs the two peers).
//!
//! Workloads, one connection each: 256 MiB down (TCP → WebSocket), 256 MiB up (WebSocket →
//! TCP), 10,000 sequential 64-byte round trips. CPU is the relay's whole process tree
//! (websockify forks a process per connection).

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use streamlab::protocol::Control;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

const MIB: u64 = 1 << 20;
const BLOCK: usize = 64 * 1024;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Direct,
    Streamlab,
    Websocat,
    Websockify,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Direct => "direct TCP (ceiling)",
            Kind::Streamlab => "streamlab-relay",
            Kind::Websocat => "websocat 1.14",
            Kind::Websockify => "websockify 0.13 + numpy",
        }
    }

    /// Its key in `cargo xtask bench`'s results.json.
    fn key(self) -> &'static str {
        match self {
            Kind::Direct => "direct",
            Kind::Streamlab => "streamlab",
            Kind::Websocat => "websocat",
            Kind::Websockify => "websockify",
        }
    }
}

struct Figures {
    down_mib_s: f64,
    down_cpu_s_gib: f64,
    up_mib_s: f64,
    up_cpu_s_gib: f64,
    rtt_median_us: f64,
    rtt_p99_us: f64,
}

fn main() {
    let mut websocat = std::env::var("WEBSOCAT").ok();
    let mut websockify = std::env::var("WEBSOCKIFY").ok();
    let mut size_mib = 256u64;
    let mut rtts = 10_000usize;
    let mut only: Option<String> = None;
    let mut rounds = 3usize;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--websocat" => websocat = args.next(),
            "--websockify" => websockify = args.next(),
            "--mib" => size_mib = args.next().and_then(|v| v.parse().ok()).expect("--mib N"),
            "--rtts" => rtts = args.next().and_then(|v| v.parse().ok()).expect("--rtts N"),
            "--only" => only = args.next(),
            "--rounds" => {
                rounds = args.next().and_then(|v| v.parse().ok()).filter(|&r| r > 0).expect("--rounds N")
            }
            _ => {} // cargo bench passes --bench
        }
    }
    let target = start_target();
    let kinds: Vec<Kind> = [Kind::Direct, Kind::Streamlab, Kind::Websocat, Kind::Websockify]
        .into_iter()
        .filter(|k| only.as_deref().is_none_or(|o| o.split(',').any(|o| k.name().starts_with(o))))
        .filter(|k| match k {
            Kind::Websocat if websocat.is_none() => {
                eprintln!("skipping websocat: pass --websocat PATH (cargo xtask bench-relay installs it)");
                false
            }
            Kind::Websockify if websockify.is_none() => {
                eprintln!(
                    "skipping websockify: pass --websockify PATH (cargo xtask bench-relay installs it)"
                );
                false
            }
            _ => true,
        })
        .collect();
    // Each round runs every relay once, in a rotated order; each figure is the median of the
    // rounds (loopback on a small machine is noisy).
    let mut runs: Vec<(Kind, Vec<Figures>)> = kinds.iter().map(|&k| (k, Vec::new())).collect();
    for round in 0..rounds {
        for i in 0..kinds.len() {
            let kind = kinds[(i + round) % kinds.len()];
            let relay = match kind {
                Kind::Direct => None,
                Kind::Streamlab => Some(start_streamlab(target)),
                Kind::Websocat => {
                    Some(start_fixed(websocat.as_deref().unwrap_or_default(), &["--binary", "-q"], |port| {
                        vec![format!("ws-l:127.0.0.1:{port}"), format!("tcp:{target}")]
                    }))
                }
                Kind::Websockify => {
                    Some(start_fixed(websockify.as_deref().unwrap_or_default(), &[], |port| {
                        vec![format!("127.0.0.1:{port}"), target.to_string()]
                    }))
                }
            };
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            let figures = runtime.block_on(async {
                match tokio::time::timeout(
                    Duration::from_secs(300),
                    measure(kind, target, relay.as_ref(), size_mib * MIB, rtts),
                )
                .await
                {
                    Ok(f) => f,
                    Err(_) => panic!("{}: a workload stalled for 5 minutes", kind.name()),
                }
            });
            if let Some(mut r) = relay {
                let _ = r.child.kill();
                let _ = r.child.wait();
            }
            eprintln!(
                "round {}: {}: down {:.0} MiB/s at {:.2} CPU s/GiB, up {:.0} MiB/s at {:.2}, RTT median {:.0} µs p99 {:.0} µs",
                round + 1, kind.name(), figures.down_mib_s, figures.down_cpu_s_gib, figures.up_mib_s, figures.up_cpu_s_gib,
                figures.rtt_median_us, figures.rtt_p99_us
            );
            runs.iter_mut().find(|(k, _)| *k == kind).expect("kind").1.push(figures);
        }
    }
    let rows: Vec<(Kind, Figures)> = runs.into_iter().map(|(k, f)| (k, Figures::median(&f))).collect();
    table(&rows, size_mib, rtts, rounds);
}

impl Figures {
    fn median(runs: &[Figures]) -> Figures {
        let m = |f: fn(&Figures) -> f64| {
            let mut v: Vec<f64> = runs.iter().map(f).collect();
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        Figures {
            down_mib_s: m(|f| f.down_mib_s),
            down_cpu_s_gib: m(|f| f.down_cpu_s_gib),
            up_mib_s: m(|f| f.up_mib_s),
            up_cpu_s_gib: m(|f| f.up_cpu_s_gib),
            rtt_median_us: m(|f| f.rtt_median_us),
            rtt_p99_us: m(|f| f.rtt_p99_us),
        }
    }
}

fn table(rows: &[(Kind, Figures)], size_mib: u64, rtts: usize, rounds: usize) {
    let direct = rows.iter().find(|(k, _)| *k == Kind::Direct).map(|(_, f)| f);
    println!();
    println!("| relay | down MiB/s (% of direct) | down relay CPU s/GiB | up MiB/s | up relay CPU s/GiB | RTT median µs | RTT p99 µs |");
    println!("|---|---|---|---|---|---|---|");
    for (kind, f) in rows {
        let pct =
            direct.map_or(String::new(), |d| format!(" ({:.0} %)", 100.0 * f.down_mib_s / d.down_mib_s));
        let cpu = |c: f64| if *kind == Kind::Direct { "—".to_owned() } else { format!("{c:.2}") };
        println!(
            "| {} | {:.0}{pct} | {} | {:.0} | {} | {:.0} | {:.0} |",
            kind.name(),
            f.down_mib_s,
            cpu(f.down_cpu_s_gib),
            f.up_mib_s,
            cpu(f.up_cpu_s_gib),
            f.rtt_median_us,
            f.rtt_p99_us
        );
    }
    println!();
    println!("(medians of {rounds} rounds; {size_mib} MiB each way, {rtts} round trips of 64 bytes; loopback, one connection per workload)");
    // The same figures as one JSON line, for `cargo xtask bench`'s results.json.
    let json: Vec<String> = rows
        .iter()
        .map(|(kind, f)| {
            format!(
                "\"{}\":{{\"down_mib_s\":{:.1},\"up_mib_s\":{:.1},\"down_cpu_s_per_gib\":{:.3},\"up_cpu_s_per_gib\":{:.3},\"rtt_us_median\":{:.1}}}",
                kind.key(),
                f.down_mib_s,
                f.up_mib_s,
                f.down_cpu_s_gib,
                f.up_cpu_s_gib,
                f.rtt_median_us
            )
        })
        .collect();
    println!("{{\"relay\":{{{}}}}}", json.join(","));
}

// ---- the target: one loopback server, the workload chosen by the first byte ----

/// `D` + u64: send that many bytes. `U` + u64: read that many, answer `K`. `E`: echo.
fn start_target() -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async move {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            while let Ok((s, _)) = listener.accept().await {
                tokio::spawn(serve_target(s));
            }
        });
    });
    rx.recv().unwrap()
}

async fn serve_target(mut s: TcpStream) {
    let _ = s.set_nodelay(true);
    let mut cmd = [0u8; 1];
    if s.read_exact(&mut cmd).await.is_err() {
        return;
    }
    match cmd[0] {
        b'D' | b'U' => {
            let n = s.read_u64().await.unwrap_or(0);
            if cmd[0] == b'D' {
                let block = vec![0xa5u8; BLOCK];
                let mut left = n;
                while left > 0 {
                    let k = left.min(BLOCK as u64) as usize;
                    if s.write_all(&block[..k]).await.is_err() {
                        return;
                    }
                    left -= k as u64;
                }
            } else {
                let mut buf = vec![0u8; 256 * 1024];
                let mut left = n;
                while left > 0 {
                    match s.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(k) => left -= k as u64,
                    }
                }
                let _ = s.write_all(b"K").await;
            }
            let mut sink = Vec::new();
            let _ = s.read_to_end(&mut sink).await;
        }
        _ => {
            let (mut r, mut w) = s.split();
            let _ = tokio::io::copy(&mut r, &mut w).await;
        }
    }
}

// ---- the relays, as processes ----

struct Relay {
    child: Child,
    addr: SocketAddr,
}

fn start_streamlab(target: SocketAddr) -> Relay {
    let mut child = Command::new(env!("CARGO_BIN_EXE_streamlab-relay"))
        .args(["--listen", "127.0.0.1:0", "--quiet", "--allow", &target.to_string()])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start streamlab-relay");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line.split_whitespace().find(|w| w.starts_with("http://")).expect("relay URL");
    Relay { child, addr: url.trim_start_matches("http://").trim_end_matches('/').parse().unwrap() }
}

fn start_fixed(bin: &str, flags: &[&str], listen_and_target: impl Fn(u16) -> Vec<String>) -> Relay {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(bin)
        .args(flags)
        .args(listen_and_target(port))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("start {bin}: {e}"));
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(addr).is_err() {
        assert!(Instant::now() < deadline, "{bin} did not start listening");
        std::thread::sleep(Duration::from_millis(50));
    }
    Relay { child, addr }
}

/// CPU seconds of a process and all its descendants (and their reaped children).
fn tree_cpu_seconds(pid: u32) -> f64 {
    let tick = 100.0; // USER_HZ on Linux
    let mut total = 0u64;
    let mut stack = vec![pid];
    let all: Vec<(u32, u32, u64)> = std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|p| {
            let stat = std::fs::read_to_string(format!("/proc/{p}/stat")).ok()?;
            let rest = &stat[stat.rfind(')')? + 2..];
            let f: Vec<&str> = rest.split_whitespace().collect();
            let ppid = f[1].parse().ok()?;
            let cpu: u64 = f[11..15].iter().filter_map(|v| v.parse::<u64>().ok()).sum();
            Some((p, ppid, cpu))
        })
        .collect();
    while let Some(p) = stack.pop() {
        for &(child, ppid, cpu) in &all {
            if child == p {
                total += cpu;
            }
            if ppid == p {
                stack.push(child);
            }
        }
    }
    total as f64 / tick
}

// ---- the client ----

enum Conn {
    Tcp(TcpStream, Vec<u8>),
    Ws {
        ws: Box<WebSocketStream<MaybeTlsStream<TcpStream>>>,
        streamlab: bool,
        consumed: u64,
        pending: Vec<u8>,
    },
}

impl Conn {
    async fn open(kind: Kind, target: SocketAddr, relay: Option<&Relay>) -> Conn {
        let Some(relay) = relay else {
            let s = TcpStream::connect(target).await.unwrap();
            s.set_nodelay(true).unwrap();
            return Conn::Tcp(s, vec![0u8; BLOCK]);
        };
        let url = match kind {
            Kind::Streamlab => {
                format!("ws://{}/connect?host={}&port={}", relay.addr, target.ip(), target.port())
            }
            _ => format!("ws://{}/", relay.addr),
        };
        let mut req = url.into_client_request().unwrap();
        if kind == Kind::Streamlab {
            req.headers_mut().insert("Sec-WebSocket-Protocol", HeaderValue::from_static("streamlab.v1"));
        }
        let (mut ws, _) =
            tokio_tungstenite::connect_async_with_config(req, None, true).await.expect("WebSocket connect");
        let streamlab = kind == Kind::Streamlab;
        if streamlab {
            match ws.next().await {
                Some(Ok(Message::Text(t))) => {
                    assert!(matches!(Control::parse(t.as_str()), Ok(Control::Connected { .. })))
                }
                other => panic!("expected connected, got {other:?}"),
            }
            ws.send(Message::text(Control::Credit { bytes: 16 * MIB }.to_text())).await.unwrap();
        }
        Conn::Ws { ws: Box::new(ws), streamlab, consumed: 0, pending: Vec::new() }
    }

    async fn send(&mut self, data: &[u8]) {
        match self {
            Conn::Tcp(s, _) => s.write_all(data).await.unwrap(),
            Conn::Ws { ws, .. } => ws.send(Message::Binary(Bytes::copy_from_slice(data))).await.unwrap(),
        }
    }

    /// Receives at least one byte; returns how many (data is discarded except for `keep`).
    async fn recv(&mut self, keep: &mut Vec<u8>) -> usize {
        match self {
            Conn::Tcp(s, buf) => {
                let n = s.read(buf).await.unwrap();
                assert!(n > 0, "unexpected EOF");
                keep.extend_from_slice(&buf[..n]);
                n
            }
            Conn::Ws { ws, streamlab, consumed, pending } => loop {
                if !pending.is_empty() {
                    let n = pending.len();
                    keep.append(pending);
                    return n;
                }
                match ws.next().await {
                    Some(Ok(Message::Binary(b))) => {
                        if *streamlab {
                            *consumed += b.len() as u64;
                            if *consumed >= 4 * MIB {
                                ws.send(Message::text(Control::Credit { bytes: *consumed }.to_text()))
                                    .await
                                    .unwrap();
                                *consumed = 0;
                            }
                        }
                        pending.extend_from_slice(&b);
                    }
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                    other => panic!("unexpected {other:?}"),
                }
            },
        }
    }
}

async fn measure(kind: Kind, target: SocketAddr, relay: Option<&Relay>, size: u64, rtts: usize) -> Figures {
    let cpu = || relay.map_or(0.0, |r| tree_cpu_seconds(r.child.id()));
    let gib = size as f64 / (1u64 << 30) as f64;
    let mut scratch = Vec::with_capacity(BLOCK);

    // Down: the target sends `size` bytes.
    let mut c = Conn::open(kind, target, relay).await;
    let (cpu0, t0) = (cpu(), Instant::now());
    c.send(&[b"D".as_slice(), &size.to_be_bytes()].concat()).await;
    let mut got = 0u64;
    while got < size {
        got += c.recv(&mut scratch).await as u64;
        scratch.clear();
    }
    let down = (t0.elapsed().as_secs_f64(), cpu() - cpu0);
    drop(c);

    // Up: the client sends `size` bytes, the target answers `K`.
    let mut c = Conn::open(kind, target, relay).await;
    let block = vec![0x5au8; BLOCK];
    let (cpu0, t0) = (cpu(), Instant::now());
    c.send(&[b"U".as_slice(), &size.to_be_bytes()].concat()).await;
    let mut left = size;
    while left > 0 {
        let k = left.min(BLOCK as u64) as usize;
        c.send(&block[..k]).await;
        left -= k as u64;
    }
    let mut ack = Vec::new();
    c.recv(&mut ack).await;
    assert_eq!(ack, b"K");
    let up = (t0.elapsed().as_secs_f64(), cpu() - cpu0);
    drop(c);

    // Round trips: 64 bytes out, 64 bytes back, one at a time.
    let mut c = Conn::open(kind, target, relay).await;
    c.send(b"E").await;
    let msg = [0x42u8; 64];
    let mut times = Vec::with_capacity(rtts);
    for _ in 0..rtts {
        let t = Instant::now();
        c.send(&msg).await;
        let mut back = Vec::new();
        while back.len() < 64 {
            c.recv(&mut back).await;
        }
        times.push(t.elapsed().as_secs_f64() * 1e6);
    }
    times.sort_by(f64::total_cmp);
    let size_mib = size as f64 / MIB as f64;
    Figures {
        down_mib_s: size_mib / down.0,
        down_cpu_s_gib: down.1 / gib,
        up_mib_s: size_mib / up.0,
        up_cpu_s_gib: up.1 / gib,
        rtt_median_us: times[times.len() / 2],
        rtt_p99_us: times[times.len() * 99 / 100],
    }
}
