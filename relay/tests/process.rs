//! `streamlab-relay` as a program: its options, its start-up line, SIGTERM, the `token`
//! subcommand, and its memory with 100 stalled connections to a fast sender.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::*;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

const BIN: &str = env!("CARGO_BIN_EXE_streamlab-relay");

/// A relay process and the address it printed.
struct Process {
    child: Child,
    addr: std::net::SocketAddr,
}

impl Process {
    fn start(args: &[&str]) -> Process {
        Self::spawn(
            Command::new(BIN)
                .args(["--listen", "127.0.0.1:0", "--quiet"])
                .args(args)
                .stderr(Stdio::inherit()),
        )
    }

    /// Started with its log on, which a thread collects (`log` gives it).
    fn start_logging(args: &[&str]) -> (Process, std::thread::JoinHandle<String>) {
        let mut p = Self::spawn(
            Command::new(BIN).args(["--listen", "127.0.0.1:0"]).args(args).stderr(Stdio::piped()),
        );
        let mut err = p.child.stderr.take().unwrap();
        let log = std::thread::spawn(move || {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut err, &mut text).unwrap();
            text
        });
        (p, log)
    }

    fn spawn(command: &mut Command) -> Process {
        let mut child = command.stdout(Stdio::piped()).spawn().expect("start streamlab-relay");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        // "streamlab-relay: serving http://127.0.0.1:PORT/ (WebSocket ws://…/connect)"
        let url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("no URL in {line:?}"));
        let addr = url.trim_start_matches("http://").trim_end_matches('/').parse().unwrap();
        Process { child, addr }
    }

    /// A `streamlab.v1` client with the relay's own origin, connected to 127.0.0.1:`port`.
    async fn connect(&self, port: u16) -> Client {
        let origin = format!("http://{}", self.addr);
        let query = format!("host=127.0.0.1&port={port}");
        let mut c =
            Client::open(self.addr, &query, Some(&origin), Some("streamlab.v1")).await.expect("handshake");
        c.connected().await;
        c
    }

    fn rss_kib(&self) -> u64 {
        rss_kib(self.child.id()).expect("the relay's RSS")
    }

    fn terminate(mut self) -> std::process::ExitStatus {
        Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        self.child.wait().unwrap()
    }
}

impl Drop for Process {
    /// A test that failed leaves no relay behind (it would hold the test runner's pipes).
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[test]
fn help_and_bad_options() {
    let out = Command::new(BIN).arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for option in [
        "--listen",
        "--allow",
        "--allow-public",
        "--demo",
        "--origin",
        "--token-secret",
        "--max-connections",
        "--max-per-ip",
        "--connect-timeout",
        "--idle-timeout",
        "--static",
        "--ca-file",
    ] {
        assert!(help.contains(option), "--help does not explain {option}");
    }
    for bad in
        [&["--bogus"][..], &["--allow"], &["--allow", "nope"], &["--listen", "x"], &["--max-per-ip", "-3"]]
    {
        let out = Command::new(BIN).args(bad).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.lines().count(), 1, "{bad:?}: {err:?}");
        assert!(err.starts_with("streamlab-relay: "), "{bad:?}: {err:?}");
    }
}

/// `streamlab-relay token` for example.com:443 with `secret`'s file and `--ttl ttl`.
fn mint(secret: &std::path::Path, ttl: &str) -> std::process::Output {
    Command::new(BIN)
        .args(["token", "--secret-file", secret.to_str().unwrap(), "--host", "example.com", "--port", "443"])
        .args(["--ttl", ttl])
        .output()
        .unwrap()
}

#[test]
fn token_subcommand_mints_a_valid_token() {
    let secret = std::env::temp_dir().join(format!("streamlab-secret-{}", std::process::id()));
    std::fs::write(&secret, "0123456789abcdef0123\n").unwrap();
    let out = mint(&secret, "60");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let token = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        streamlab_relay::token::verify(b"0123456789abcdef0123", token.trim(), "example.com", 443),
        Ok(())
    );
    let out = Command::new(BIN).args(["token", "--host", "x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    // A TTL too long to be a time is an error, not a token that has already expired.
    for ttl in ["18446744073709551615", "315360001", "0", "-5"] {
        let out = mint(&secret, ttl);
        assert_eq!(out.status.code(), Some(2), "--ttl {ttl}");
        assert!(out.stdout.is_empty(), "--ttl {ttl}: no token printed");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.contains("--ttl must be whole seconds from 1 to 315360000"), "--ttl {ttl}: {err}");
    }
    std::fs::remove_file(secret).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_closes_open_connections_with_1001() {
    let target = echo_server().await;
    let relay = Process::start(&["--allow", &format!("127.0.0.1:{}", target.port())]);
    let mut c = relay.connect(target.port()).await;
    let status = tokio::task::spawn_blocking(move || relay.terminate());
    assert_eq!(c.closed().await, Closed { code: 1001, reason: "relay shutting down".into() });
    assert!(status.await.unwrap().success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_stays_bounded_with_stalled_clients() {
    // A fast sender: writes as fast as it can, forever (until the connection dies).
    let target = server(|mut s: TcpStream| async move {
        let block = vec![0x5au8; 256 * 1024];
        while s.write_all(&block).await.is_ok() {}
    })
    .await;
    let relay = Process::start(&["--allow", &format!("127.0.0.1:{}", target.port()), "--max-per-ip", "200"]);
    let mut clients = Vec::new();
    for _ in 0..100 {
        let mut c = relay.connect(target.port()).await;
        c.grant(100_000).await; // then never again
        clients.push(c);
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss = relay.rss_kib();
    for c in &mut clients {
        let mut got = 0;
        while got < 100_000 {
            match c.next().await {
                Some(Message::Binary(b)) => got += b.len(),
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(got, 100_000, "exactly the credit");
        let more =
            tokio::time::timeout(Duration::from_millis(50), futures_util::StreamExt::next(&mut c.ws)).await;
        assert!(more.is_err(), "nothing beyond the credit");
    }
    println!("relay RSS with 100 stalled connections to a fast sender: {} KiB", rss);
    assert!(rss < 64 * 1024, "relay RSS {rss} KiB >= 64 MiB");
    relay.terminate();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_text_reaches_the_log_only_as_a_short_prefix() {
    let target = echo_server().await;
    let (relay, log) = Process::start_logging(&["--allow", &format!("127.0.0.1:{}", target.port())]);
    let big = "x".repeat(1_000_000);
    let messages = [
        format!(r#"{{"type":"{big}"}}"#),
        format!(r#"{{"type":"eof","{big}":1}}"#),
        format!(r#"{{"type":"credit","bytes":"{big}"}}"#),
    ];
    for i in 0..25 {
        let mut c = relay.connect(target.port()).await;
        c.send_text(&messages[i % 3]).await;
        let closed = c.closed().await;
        assert_eq!(closed.code, 4400, "{closed:?}");
        assert!(closed.reason.len() <= 123, "{closed:?}");
    }
    assert!(relay.terminate().success());
    let log = log.join().unwrap();
    assert!(log.lines().count() >= 25, "the refusals are logged: {log}");
    assert!(log.len() < 16 * 1024, "25 messages of 1 MB grew the log by {} bytes", log.len());
    assert!(log.lines().all(|l| l.len() < 300), "a long line: {:?}", log.lines().max_by_key(|l| l.len()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_readers_of_static_files_hold_no_copy_of_them() {
    use tokio::io::AsyncReadExt;
    let dir = std::env::temp_dir().join(format!("streamlab-slow-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file: Vec<u8> = (0..8 << 20).map(|i: u32| (i * 7 % 251) as u8).collect();
    std::fs::write(dir.join("big.wasm"), &file).unwrap();
    let relay = Process::start(&["--static", dir.to_str().unwrap()]);
    let before = relay.rss_kib();
    // 40 clients ask for the 8 MiB file and never read a byte (issue 12, finding 1).
    let mut slow = Vec::new();
    for _ in 0..40 {
        // From 127.0.0.2: 40 sockets is all one client may hold (finding 2).
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind("127.0.0.2:0".parse().unwrap()).unwrap();
        let mut s = socket.connect(relay.addr).await.unwrap();
        s.write_all(b"GET /big.wasm HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").await.unwrap();
        slow.push(s);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let grown_mib = relay.rss_kib().saturating_sub(before) / 1024;
    assert!(grown_mib < 48, "40 slow readers of an 8 MiB file grew the relay by {grown_mib} MiB");
    // Meanwhile a client that reads gets all of it.
    let mut s = TcpStream::connect(relay.addr).await.unwrap();
    s.write_all(b"GET /big.wasm HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").await.unwrap();
    let mut got = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut got)).await.unwrap().unwrap();
    let body = got.windows(4).position(|w| w == b"\r\n\r\n").map(|i| &got[i + 4..]).unwrap();
    assert!(body == file.as_slice(), "the file came whole ({} of {} bytes)", body.len(), file.len());
    // The slow ones are let go once they take nothing for the write timeout (10 s).
    tokio::time::sleep(Duration::from_secs(11)).await;
    for mut s in slow {
        let mut sink = vec![0; 1 << 20];
        let ended = tokio::time::timeout(Duration::from_secs(5), async {
            loop {
                match s.read(&mut sink).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
            }
        })
        .await;
        assert!(ended.is_ok(), "a slow reader's socket was not closed");
    }
    assert!(relay.terminate().success());
    std::fs::remove_dir_all(dir).ok();
}
