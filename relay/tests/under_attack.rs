//! The load test (issue 12): 200 well-behaved sessions keep working — every echo round trip
//! answered, 64 MiB each way equal by hash — while 500 clients from another loopback address attack
//! with slow reads of a static file, heads that never end and names that never resolve. The
//! relay's RSS stays under 128 MiB, and within 2 s of the attack's end the attackers' own
//! address is served again. It prints the figures docs/benchmarks.md records.
//!
//! The relay runs in a process of its own (this program, run again with [`CHILD`] set), so
//! its RSS is its own; its resolver is [`FakeDns`], so no name leaves this machine.
//! `harness = false`: this is a program that exits non-zero when a promise does not hold.

mod common;

use std::net::{IpAddr, SocketAddr};
use std::process::{Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Set (to the relay's options) in the relay's process.
const CHILD: &str = "STREAMLAB_UNDER_ATTACK_RELAY";
const GOOD_SESSIONS: usize = 200;
const BULK_SESSIONS: usize = 4;
const BULK_BYTES: usize = 64 << 20;
const BULK_UP_SEED: u64 = 100;
const BULK_DOWN_SEED: u64 = 200;
const ATTACKERS: usize = 500;
const ATTACKER: [u8; 4] = [127, 0, 0, 2];
/// The attack lasts at least this long: past the relay's head, write and lookup timeouts.
const ATTACK: Duration = Duration::from_secs(12);
const RSS_LIMIT_KIB: u64 = 128 * 1024;
const RECOVERY_LIMIT: Duration = Duration::from_secs(2);

fn main() -> ExitCode {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    match std::env::var(CHILD) {
        Ok(options) => runtime.block_on(relay(options)),
        Err(_) => match runtime.block_on(attack()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(why) => {
                eprintln!("under_attack: FAILED: {why}");
                ExitCode::FAILURE
            }
        },
    }
}

/// The relay's process: the options in [`CHILD`], the fake resolver, until stdin closes.
async fn relay(options: String) -> ExitCode {
    let mut config = streamlab_relay::Config::from_args(options.split('\u{1f}').map(str::to_owned))
        .expect("the test's options parse");
    config.resolver = FakeDns::new(&[("good.test", IpAddr::from([127, 0, 0, 1]))]).resolver();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    println!("listening {}", listener.local_addr().unwrap());
    let stdin_closed = async {
        let _ =
            tokio::task::spawn_blocking(|| std::io::copy(&mut std::io::stdin(), &mut std::io::sink())).await;
    };
    streamlab_relay::serve_until(listener, config, stdin_closed).await.expect("relay");
    ExitCode::SUCCESS
}

/// The relay's process, seen from here.
struct Child {
    child: std::process::Child,
    addr: SocketAddr,
}

impl Child {
    fn start(options: &[String]) -> Child {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .env(CHILD, options.join("\u{1f}"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the relay");
        let mut line = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(child.stdout.take().unwrap()), &mut line)
            .unwrap();
        let addr = line.trim().strip_prefix("listening ").expect("the relay's address").parse().unwrap();
        Child { child, addr }
    }

    fn rss_kib(&self) -> u64 {
        rss_kib(self.child.id()).unwrap_or(0)
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the attack did, for the figures.
#[derive(Default)]
struct Tally {
    attempts: AtomicUsize,
    /// Closed by the relay at once (its per-client socket cap, at accept).
    dropped: AtomicUsize,
    /// Held by the relay until it let go: a file's first bytes, a 101 then a close, or a head
    /// closed after its timeout.
    answered: AtomicUsize,
}

async fn attack() -> Result<(), String> {
    let dir = temp_path("attack-static");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("index.html"), b"<!doctype html><title>streamlab</title>\n").unwrap();
    std::fs::write(dir.join("big.bin"), chunks(7, 8 << 20).flatten().collect::<Vec<u8>>()).unwrap();
    let echo = echo_server().await;
    let p = echo.port();
    let (hashing, reports) = hashing_target(BULK_DOWN_SEED, BULK_BYTES).await;
    let h = hashing.port();
    let options: Vec<String> = [
        "--demo",
        "--quiet",
        "--allow-public",
        "--allow",
        &format!("good.test:{p}"),
        "--allow",
        &format!("127.0.0.1:{p}"),
        "--allow",
        &format!("127.0.0.1:{h}"),
        "--static",
        &dir.display().to_string(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let relay = Child::start(&options);
    let addr = relay.addr;
    let result = run(&relay, addr, p, (h, reports)).await;
    std::fs::remove_dir_all(&dir).ok();
    result
}

/// The bulk target's port, and its reports of what it received.
type Bulk = (u16, tokio::sync::mpsc::UnboundedReceiver<(usize, Vec<u8>)>);

async fn run(
    relay: &Child,
    addr: SocketAddr,
    echo_port: u16,
    (bulk_port, mut reports): Bulk,
) -> Result<(), String> {
    let started = Instant::now();
    let rss_max = Arc::new(AtomicUsize::new(0));
    let sampling = {
        let (rss_max, pid) = (Arc::clone(&rss_max), relay.child.id());
        tokio::spawn(async move {
            loop {
                let kib = rss_kib(pid).unwrap_or(0);
                rss_max.fetch_max(kib as usize, SeqCst);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };

    // 196 sessions doing round trips (8 of them to a name the relay looks up), from 20
    // addresses of 127.0.1.0/24 — a classroom behind a few NATs.
    let failures = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop_trips = Arc::new(AtomicBool::new(false));
    let rtts = Arc::new(Mutex::new(Vec::<(Duration, bool)>::new()));
    let attacking = Arc::new(AtomicBool::new(false));
    let mut trippers = Vec::new();
    for i in 0..GOOD_SESSIONS - BULK_SESSIONS {
        let source = IpAddr::from([127, 0, 1, (i % 20 + 1) as u8]);
        let (host, port) = if i % 25 == 0 { ("good.test", echo_port) } else { ("echo.demo", 7) };
        let mut c = open(addr, source, &format!("host={host}&port={port}")).await;
        c.connected().await;
        let (stop, rtts, attacking, failures) =
            (Arc::clone(&stop_trips), Arc::clone(&rtts), Arc::clone(&attacking), Arc::clone(&failures));
        trippers.push(tokio::spawn(async move {
            let line = format!("{:<63}\n", format!("round trip from good session {i}"));
            let mut trips = 0usize;
            while !stop.load(SeqCst) {
                let sent = Instant::now();
                c.send(line.as_bytes()).await;
                let back = c.read_exact(line.len()).await; // panics after PATIENCE: a failure
                if back != line.as_bytes() {
                    failures.lock().unwrap().push(format!("session {i}: wrong echo"));
                }
                rtts.lock().unwrap().push((sent.elapsed(), attacking.load(SeqCst)));
                trips += 1;
                tokio::time::sleep(Duration::from_millis(150 + (i as u64 * 7) % 100)).await;
            }
            trips
        }));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_before = relay.rss_kib();

    // The attack, from 127.0.0.2: a third of each kind, each reconnecting as soon as it can.
    let tally = Arc::new(Tally::default());
    let (stop_attack, attack_stopped) = tokio::sync::watch::channel(false);
    let mut attackers = Vec::new();
    attacking.store(true, SeqCst);
    let attack_started = Instant::now();
    for i in 0..ATTACKERS {
        let (tally, mut stopped) = (Arc::clone(&tally), attack_stopped.clone());
        attackers.push(tokio::spawn(async move {
            tokio::select! {
                _ = stopped.changed() => {}
                () = attacker(i, addr, &tally) => {}
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;

    // Meanwhile: four sessions carry 64 MiB each way, newcomers arrive, the page is fetched.
    let mut bulk = Vec::new();
    for b in 0..BULK_SESSIONS {
        let source = IpAddr::from([127, 0, 1, 100 + b as u8]);
        let mut c = open(addr, source, &format!("host=127.0.0.1&port={bulk_port}")).await;
        c.connected().await;
        bulk.push(tokio::spawn(async move {
            let sent = Instant::now();
            let (n, hash, _c) = c.exchange(chunks(BULK_UP_SEED, BULK_BYTES)).await;
            (n == BULK_BYTES && hash == hash_of(chunks(BULK_DOWN_SEED, BULK_BYTES)), sent.elapsed())
        }));
    }
    let mut newcomers = 0;
    while attack_started.elapsed() < ATTACK || bulk.iter().any(|b| !b.is_finished()) {
        let source = IpAddr::from([127, 0, 1, 200 + (newcomers % 50) as u8]);
        let host = if newcomers % 2 == 0 { "good.test" } else { "echo.demo" };
        let port = if host == "good.test" { echo_port } else { 7 };
        let arrived = Instant::now();
        let mut c = open(addr, source, &format!("host={host}&port={port}")).await;
        c.connected().await;
        c.send(b"hello\n").await;
        if c.read_exact(6).await != b"hello\n" {
            failures.lock().unwrap().push(format!("newcomer {newcomers}: wrong echo"));
        }
        let page = http_get(addr, source, "/index.html").await;
        if !page.starts_with("HTTP/1.1 200 ") {
            failures.lock().unwrap().push(format!("newcomer {newcomers}: the page: {:.40}", page));
        }
        if arrived.elapsed() > Duration::from_secs(2) {
            failures.lock().unwrap().push(format!("newcomer {newcomers} waited {:?}", arrived.elapsed()));
        }
        newcomers += 1;
        drop(c);
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let mut bulk_times = Vec::new();
    let up_hash = hash_of(chunks(BULK_UP_SEED, BULK_BYTES));
    for (b, job) in bulk.into_iter().enumerate() {
        let (intact, took) = job.await.map_err(|e| format!("bulk session {b} failed: {e}"))?;
        let (n, hash) = reports.recv().await.ok_or("the bulk target stopped")?;
        if !intact || n != BULK_BYTES || hash != up_hash {
            failures.lock().unwrap().push(format!("bulk session {b}: the hashes differ"));
        }
        bulk_times.push(took);
    }
    let attack_lasted = attack_started.elapsed();
    let rss_under_attack = rss_max.load(SeqCst) as u64;

    // The attack stops: how soon is its own address served again (a lookup and the page)?
    let _ = stop_attack.send(true);
    for a in attackers {
        let _ = a.await;
    }
    attacking.store(false, SeqCst);
    let stopped = Instant::now();
    let attacker_ip = IpAddr::from(ATTACKER);
    let recovered = loop {
        let tried = async {
            let mut c = Client::open_from(
                Some(attacker_ip),
                addr,
                &format!("host=good.test&port={echo_port}"),
                Some(&format!("http://{addr}")),
                Some("streamlab.v1"),
            )
            .await
            .ok()?;
            c.connected().await;
            c.send(b"back\n").await;
            (c.read_exact(5).await == b"back\n").then_some(())?;
            http_get(addr, attacker_ip, "/big.bin").await.starts_with("HTTP/1.1 200 ").then_some(())
        };
        match tokio::time::timeout(Duration::from_secs(1), tried).await {
            Ok(Some(())) => break stopped.elapsed(),
            _ if stopped.elapsed() > Duration::from_secs(30) => return Err("never recovered".into()),
            _ => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop_trips.store(true, SeqCst);
    let mut trips = 0;
    for (i, t) in trippers.into_iter().enumerate() {
        trips += t.await.map_err(|e| format!("good session {i} failed: {e}"))?;
    }
    sampling.abort();
    let rss_max = rss_max.load(SeqCst) as u64;

    let rtts = rtts.lock().unwrap();
    let quantile = |attack: bool, q: f64| {
        let mut v: Vec<Duration> = rtts.iter().filter(|(_, a)| *a == attack).map(|(d, _)| *d).collect();
        v.sort();
        v.get(((v.len() as f64 - 1.0) * q) as usize).copied().unwrap_or_default()
    };
    let mib_s = |t: &Duration| BULK_BYTES as f64 / (1 << 20) as f64 / t.as_secs_f64();
    println!("under attack: {GOOD_SESSIONS} good sessions vs {ATTACKERS} attackers for {attack_lasted:.1?}");
    println!(
        "  attack attempts {} (held until a timeout {}, dropped at accept {})",
        tally.attempts.load(SeqCst),
        tally.answered.load(SeqCst),
        tally.dropped.load(SeqCst)
    );
    println!(
        "  round trips {trips}: median {:.2?} before, {:.2?} during (p99 {:.2?}, max {:.2?})",
        quantile(false, 0.5),
        quantile(true, 0.5),
        quantile(true, 0.99),
        quantile(true, 1.0)
    );
    println!(
        "  64 MiB each way: {}",
        bulk_times.iter().map(|t| format!("{:.0} MiB/s", mib_s(t))).collect::<Vec<_>>().join(", ")
    );
    println!("  newcomers during the attack: {newcomers}, each served within 2 s");
    println!(
        "  relay RSS: {} MiB before, {} MiB max under attack, {} MiB max overall",
        rss_before / 1024,
        rss_under_attack / 1024,
        rss_max / 1024
    );
    println!("  the attackers' address served again {recovered:.2?} after the attack stopped");
    println!("  ({:.0?} in all)", started.elapsed());

    let failures = failures.lock().unwrap();
    if !failures.is_empty() {
        return Err(format!("{} failures: {}", failures.len(), failures.join("; ")));
    }
    if rss_max > RSS_LIMIT_KIB {
        return Err(format!("relay RSS reached {} MiB (limit 128)", rss_max / 1024));
    }
    if recovered > RECOVERY_LIMIT {
        return Err(format!("recovery took {recovered:?} (limit {RECOVERY_LIMIT:?})"));
    }
    if tally.answered.load(SeqCst) == 0 {
        return Err("no attack reached the relay: the test proves nothing".into());
    }
    println!("under_attack: ok");
    Ok(())
}

/// A good client's session from `source`.
async fn open(relay: SocketAddr, source: IpAddr, query: &str) -> Client {
    Client::open_from(Some(source), relay, query, Some(&format!("http://{relay}")), Some("streamlab.v1"))
        .await
        .unwrap_or_else(|status| panic!("a good client was refused with HTTP {status}"))
}

/// A whole HTTP answer to `GET path` from `source`, as text (lossy), within [`PATIENCE`].
async fn http_get(relay: SocketAddr, source: IpAddr, path: &str) -> String {
    let mut s = tcp_from(Some(source), relay).await;
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: {relay}\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut all = Vec::new();
    match tokio::time::timeout(PATIENCE, s.read_to_end(&mut all)).await {
        Ok(Ok(_)) => String::from_utf8_lossy(&all).into_owned(),
        other => format!("no answer: {other:?}"),
    }
}

/// One attacker from 127.0.0.2, forever: kind `i % 3`.
async fn attacker(i: usize, relay: SocketAddr, tally: &Tally) {
    let source = SocketAddr::from((ATTACKER, 0));
    loop {
        tally.attempts.fetch_add(1, SeqCst);
        let connected = async {
            let socket = tokio::net::TcpSocket::new_v4()?;
            socket.bind(source)?;
            socket.connect(relay).await
        };
        let Ok(mut s) = connected.await else {
            // Out of ports for 127.0.0.2 (TIME_WAIT), most likely.
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        let request = match i % 3 {
            // Asks for a file and never reads it.
            0 => format!("GET /big.bin HTTP/1.1\r\nHost: {relay}\r\n\r\n"),
            // A head that never ends.
            1 => format!("GET / HTTP/1.1\r\nHost: {relay}\r\nX-Waiting: "),
            // A session to a name that is never resolved.
            _ => format!(
                "GET /connect?host=n{i}.slow.test&port=80 HTTP/1.1\r\nHost: {relay}\r\nUpgrade: websocket\r\n\
                 Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
                 Sec-WebSocket-Protocol: streamlab.v1\r\nOrigin: http://{relay}\r\n\r\n"
            ),
        };
        if s.write_all(request.as_bytes()).await.is_err() {
            tally.dropped.fetch_add(1, SeqCst);
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        }
        if i % 3 == 0 {
            // Never read: wait a while, then try again with a fresh socket. Whether the relay
            // dropped it at accept shows as a reset on a tiny read.
            tokio::time::sleep(Duration::from_millis(10)).await;
            let mut probe = [0u8; 1];
            match tokio::time::timeout(Duration::from_millis(1), s.peek(&mut probe)).await {
                Ok(Ok(n)) if n > 0 => tally.answered.fetch_add(1, SeqCst),
                _ => tally.dropped.fetch_add(1, SeqCst),
            };
            tokio::time::sleep(Duration::from_secs(3)).await;
            continue;
        }
        let held = Instant::now();
        let _ = tokio::io::copy(&mut s, &mut tokio::io::sink()).await;
        match held.elapsed() > Duration::from_millis(500) {
            true => tally.answered.fetch_add(1, SeqCst),
            false => tally.dropped.fetch_add(1, SeqCst),
        };
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
