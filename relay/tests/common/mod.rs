//! The relay suites' harness: an in-process relay on 127.0.0.1:0, a `streamlab.v1` WebSocket
//! client, and loopback TCP servers. Nothing here talks to any address off this machine.

#![allow(dead_code)]

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use sha2::{Digest, Sha256};
use streamlab::protocol::Control;
use streamlab_relay::policy::Rule;
use streamlab_relay::Config;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

/// How long any single wait in a test may take before the test fails.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// A relay running in this process.
pub struct Relay {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Relay {
    /// Starts a relay with `config` (its `listen` is replaced by 127.0.0.1:0, logging is off).
    pub async fn start(mut config: Config) -> Relay {
        config.log = std::env::var_os("RELAY_LOG").is_some();
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind relay");
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(streamlab_relay::serve_until(listener, config, async {
            let _ = stopped.await;
        }));
        Relay { addr, stop: Some(stop), task: Some(task) }
    }

    /// Stops it as SIGTERM would, and waits until it has.
    pub async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        self.task.take().unwrap().await.expect("relay task").expect("relay result");
    }

    /// A client with the relay's own origin and the right subprotocol, to `host:port`.
    pub async fn connect(&self, host: &str, port: u16) -> Client {
        self.connect_query(&format!("host={host}&port={port}")).await
    }

    pub async fn connect_query(&self, query: &str) -> Client {
        self.connect_from(None, query).await
    }

    /// As [`Relay::connect_query`], from the loopback address `source` (127.0.0.0/8 is all
    /// this machine's): another client, as the relay counts them.
    pub async fn connect_from(&self, source: Option<IpAddr>, query: &str) -> Client {
        let origin = format!("http://{}", self.addr);
        Client::open_from(source, self.addr, query, Some(&origin), Some("streamlab.v1"))
            .await
            .expect("WebSocket handshake")
    }
}

/// A config allowing `targets` (as --allow rules).
pub fn allowing(targets: &[&str]) -> Config {
    let mut c = Config::default();
    c.policy.allow = targets.iter().map(|t| Rule::parse(t).unwrap()).collect();
    c
}

/// What a client's WebSocket runs over.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

type Ws = WebSocketStream<Box<dyn Io>>;

/// A TCP connection to `to` from the loopback address `source` (default 127.0.0.1).
pub async fn tcp_from(source: Option<IpAddr>, to: SocketAddr) -> TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.bind(SocketAddr::new(source.unwrap_or([127, 0, 0, 1].into()), 0)).expect("bind the client");
    let tcp =
        tokio::time::timeout(PATIENCE, socket.connect(to)).await.expect("connect in time").expect("connect");
    tcp.set_nodelay(true).unwrap();
    tcp
}

/// What a relay said when a session ended.
#[derive(Debug, PartialEq, Eq)]
pub struct Closed {
    pub code: u16,
    pub reason: String,
}

/// A `streamlab.v1` client.
pub struct Client {
    pub ws: Ws,
    /// Data received so far (by the `read_*` helpers).
    pub data: Vec<u8>,
}

impl Client {
    /// Opens `/connect?query` with these headers; `Err` holds the HTTP status of a refusal.
    pub async fn open(
        relay: SocketAddr,
        query: &str,
        origin: Option<&str>,
        protocol: Option<&str>,
    ) -> Result<Client, u16> {
        Client::open_from(None, relay, query, origin, protocol).await
    }

    /// As [`Client::open`], from the address `source` when given.
    pub async fn open_from(
        source: Option<IpAddr>,
        relay: SocketAddr,
        query: &str,
        origin: Option<&str>,
        protocol: Option<&str>,
    ) -> Result<Client, u16> {
        let tcp = tcp_from(source, relay).await;
        Client::over(Box::new(tcp), &format!("ws://{relay}/connect?{query}"), origin, protocol).await
    }

    /// Opens the WebSocket `url` over `io` (plain TCP, or TLS to a proxy) with these headers.
    pub async fn over(
        io: Box<dyn Io>,
        url: &str,
        origin: Option<&str>,
        protocol: Option<&str>,
    ) -> Result<Client, u16> {
        let mut req = url.into_client_request().expect("request");
        if let Some(o) = origin {
            req.headers_mut().insert("Origin", HeaderValue::from_str(o).unwrap());
        }
        if let Some(p) = protocol {
            req.headers_mut().insert("Sec-WebSocket-Protocol", HeaderValue::from_str(p).unwrap());
        }
        let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
            .max_message_size(Some(64 << 20))
            .max_frame_size(Some(64 << 20));
        let handshake = tokio_tungstenite::client_async_with_config(req, io, Some(config));
        match tokio::time::timeout(PATIENCE, handshake).await {
            Err(_) => panic!("handshake timed out"),
            Ok(Ok((ws, _))) => Ok(Client { ws, data: Vec::new() }),
            Ok(Err(tokio_tungstenite::tungstenite::Error::Http(resp))) => Err(resp.status().as_u16()),
            Ok(Err(e)) => panic!("handshake failed: {e}"),
        }
    }

    /// The next message, within [`PATIENCE`].
    pub async fn next(&mut self) -> Option<Message> {
        match tokio::time::timeout(PATIENCE, self.ws.next()).await {
            Err(_) => panic!("no message within {PATIENCE:?}"),
            Ok(None) => None,
            Ok(Some(Ok(m))) => Some(m),
            Ok(Some(Err(e))) => panic!("WebSocket error: {e}"),
        }
    }

    /// Expects `connected` and returns (peername, sockname).
    pub async fn connected(&mut self) -> ((String, u16), (String, u16)) {
        match self.next().await {
            Some(Message::Text(t)) => match Control::parse(t.as_str()) {
                Ok(Control::Connected { peername, sockname }) => (peername, sockname),
                other => panic!("expected connected, got {other:?}"),
            },
            Some(Message::Close(f)) => panic!("closed instead of connected: {f:?}"),
            other => panic!("expected connected, got {other:?}"),
        }
    }

    pub async fn grant(&mut self, bytes: u64) {
        self.send_text(&Control::Credit { bytes }.to_text()).await;
    }

    pub async fn send(&mut self, data: &[u8]) {
        self.ws.send(Message::Binary(Bytes::copy_from_slice(data))).await.expect("send data");
    }

    pub async fn send_text(&mut self, text: &str) {
        self.ws.send(Message::text(text.to_owned())).await.expect("send text");
    }

    pub async fn send_eof(&mut self) {
        self.send_text(&Control::Eof.to_text()).await;
    }

    /// Reads data (granting credit as it goes) until `{"type":"eof"}`; returns everything.
    pub async fn read_to_eof(&mut self) -> Vec<u8> {
        self.grant(1 << 20).await;
        loop {
            match self.next().await {
                Some(Message::Binary(b)) => {
                    self.data.extend_from_slice(&b);
                    self.grant(b.len() as u64).await;
                }
                Some(Message::Text(t)) if Control::parse(t.as_str()) == Ok(Control::Eof) => {
                    return std::mem::take(&mut self.data)
                }
                other => panic!("expected data or eof, got {other:?} after {} bytes", self.data.len()),
            }
        }
    }

    /// Reads until at least `n` bytes arrived (granting credit as it goes).
    pub async fn read_exact(&mut self, n: usize) -> Vec<u8> {
        self.grant(n as u64).await;
        while self.data.len() < n {
            match self.next().await {
                Some(Message::Binary(b)) => self.data.extend_from_slice(&b),
                other => panic!("expected data, got {other:?} after {} of {n} bytes", self.data.len()),
            }
        }
        self.data.drain(..n).collect()
    }

    /// Sends `up` as data, then EOF, while reading what comes back until its EOF (granting
    /// credit as it goes). Returns the count and SHA-256 of what came back, and the client.
    pub async fn exchange(
        mut self,
        up: impl Iterator<Item = Vec<u8>> + Send + 'static,
    ) -> (usize, Vec<u8>, Client) {
        self.grant(4 << 20).await;
        let (mut tx, mut rx) = self.ws.split();
        // The reader cannot send; it posts credit grants, which the uploader sends between chunks.
        let (grant, mut grants) = tokio::sync::mpsc::unbounded_channel::<u64>();
        let credit = |n: u64| Message::text(Control::Credit { bytes: n }.to_text());
        let up = tokio::spawn(async move {
            for chunk in up {
                while let Ok(n) = grants.try_recv() {
                    tx.send(credit(n)).await.expect("send credit");
                }
                tx.send(Message::Binary(Bytes::from(chunk))).await.expect("send data");
            }
            tx.send(Message::text(Control::Eof.to_text())).await.expect("send eof");
            while let Some(n) = grants.recv().await {
                tx.send(credit(n)).await.expect("send credit");
            }
            tx
        });
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
        let tx = up.await.expect("uploader");
        (n, h.finalize().to_vec(), Client { ws: tx.reunite(rx).expect("one socket"), data: Vec::new() })
    }

    /// Reads data and control messages until the close frame; returns it (and keeps the data).
    pub async fn closed(&mut self) -> Closed {
        loop {
            match self.next().await {
                Some(Message::Close(Some(CloseFrame { code, reason }))) => {
                    return Closed { code: u16::from(code), reason: reason.to_string() }
                }
                Some(Message::Close(None)) | None => return Closed { code: 1005, reason: String::new() },
                Some(Message::Binary(b)) => self.data.extend_from_slice(&b),
                Some(_) => {}
            }
        }
    }
}

/// A loopback TCP server running `handler` on each connection; returns its address.
pub async fn server<F, Fut>(handler: F) -> SocketAddr
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let handler = std::sync::Arc::new(handler);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(handler(stream));
        }
    });
    addr
}

/// An echo server; FIN is answered with FIN.
pub async fn echo_server() -> SocketAddr {
    server(|mut s: TcpStream| async move {
        let (mut r, mut w) = s.split();
        let _ = tokio::io::copy(&mut r, &mut w).await;
        let _ = w.shutdown().await;
    })
    .await
}

/// A port on 127.0.0.1 where nothing listens.
pub async fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    l.local_addr().unwrap().port()
}

/// Reads a whole stream.
pub async fn read_all(s: &mut TcpStream) -> Vec<u8> {
    let mut v = Vec::new();
    s.read_to_end(&mut v).await.unwrap();
    v
}

/// A resolver for tests: it answers from its table — at once, or never — and counts what it
/// was asked, so no test asks this machine's resolver about any name.
#[derive(Default)]
pub struct FakeDns {
    /// name → addresses; a name that is not here fails as NXDOMAIN would.
    pub answers: HashMap<String, Vec<IpAddr>>,
    /// Names ending so are never answered.
    pub never_suffix: Option<String>,
    /// Lookups asked for.
    pub asked: AtomicUsize,
    /// Lookups in progress now, and the most there ever were.
    pub in_flight: Arc<AtomicUsize>,
    pub most_in_flight: Arc<AtomicUsize>,
}

impl FakeDns {
    /// Answers `good` with `ip`; never answers names ending `.slow.test`.
    pub fn new(good: &[(&str, IpAddr)]) -> Arc<FakeDns> {
        Arc::new(FakeDns {
            answers: good.iter().map(|(n, ip)| (n.to_string(), vec![*ip])).collect(),
            never_suffix: Some(".slow.test".into()),
            ..FakeDns::default()
        })
    }

    /// As the relay's resolver.
    pub fn resolver(self: &Arc<Self>) -> streamlab_relay::resolve::Resolver {
        streamlab_relay::resolve::Resolver(Arc::clone(self) as Arc<dyn streamlab_relay::resolve::Resolve>)
    }
}

/// Counts a lookup in progress until dropped (answered, or given up by the relay).
struct InFlight(Arc<AtomicUsize>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, SeqCst);
    }
}

impl streamlab_relay::resolve::Resolve for FakeDns {
    fn lookup(&self, host: &str, port: u16) -> streamlab_relay::resolve::Lookup {
        self.asked.fetch_add(1, SeqCst);
        let now = self.in_flight.fetch_add(1, SeqCst) + 1;
        self.most_in_flight.fetch_max(now, SeqCst);
        let guard = InFlight(Arc::clone(&self.in_flight));
        let never = self.never_suffix.as_deref().is_some_and(|s| host.ends_with(s));
        let answer =
            self.answers.get(host).map(|ips| ips.iter().map(|&ip| SocketAddr::new(ip, port)).collect());
        Box::pin(async move {
            let _guard = guard;
            if never {
                std::future::pending::<()>().await;
            }
            answer.ok_or_else(|| std::io::Error::other("NXDOMAIN"))
        })
    }
}

/// A fresh path in the temporary folder, for `what`.
pub fn temp_path(what: &str) -> std::path::PathBuf {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    std::env::temp_dir().join(format!("streamlab-{what}-{}-{nanos}", std::process::id()))
}

/// `total` pseudo-random bytes in chunks of 1 byte to 256 KiB, the same for the same seed.
pub fn chunks(seed: u64, total: usize) -> impl Iterator<Item = Vec<u8>> + Send + 'static {
    use rand::{Rng, RngCore, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut left = total;
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

/// The SHA-256 of everything `chunks` yields.
pub fn hash_of(chunks: impl Iterator<Item = Vec<u8>>) -> Vec<u8> {
    let mut h = Sha256::new();
    chunks.for_each(|c| h.update(&c));
    h.finalize().to_vec()
}

/// A TCP target on 127.0.0.1:0 that sends `chunks(seed, total)` to each connection while
/// hashing what it receives; each connection then reports (bytes received, their SHA-256).
pub async fn hashing_target(
    seed: u64,
    total: usize,
) -> (SocketAddr, tokio::sync::mpsc::UnboundedReceiver<(usize, Vec<u8>)>) {
    let (report, reports) = tokio::sync::mpsc::unbounded_channel();
    let target = server(move |s: TcpStream| {
        let report = report.clone();
        async move {
            let (mut r, mut w) = s.into_split();
            let sender = tokio::spawn(async move {
                for chunk in chunks(seed, total) {
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
            let _ = report.send((n, h.finalize().to_vec()));
        }
    })
    .await;
    (target, reports)
}

/// The resident memory of process `pid` in KiB (`None` once it is gone).
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find(|l| l.starts_with("VmRSS:"))?.split_whitespace().nth(1)?.parse().ok()
}
