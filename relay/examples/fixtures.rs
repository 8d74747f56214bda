//! Loopback TCP servers for the browser suites (started by `cargo xtask test`): prints their
//! ports as one JSON line, then serves until stdin closes.
//!
//! * `echo`: echoes; FIN answered with FIN.
//! * `count`: reads to EOF, then answers `got N\n` (half-close from the client side).
//! * `reset`: reads a line, answers `bye\n`, then resets the connection (RST).
//! * `slow`: reads 1 KiB every 10 ms (a slow peer, for `drain()`).
//! * `source`: sends 64 MiB as fast as it can, then closes.
//! * `backlog`: a listener that never accepts, its backlog full (connect timeouts).
//! * `closed`: a port where nothing listens (refused).
//! * `script`: does what the client's first line tells it (the streams differential suite,
//!   `tests/fixtures/streams_scenarios.json`): see [`script`].

use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

async fn serve<F, Fut>(handler: F) -> u16
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((s, _)) = listener.accept().await {
            tokio::spawn(handler(s));
        }
    });
    port
}

/// As [`serve`], with an 8 KiB receive buffer, so the kernel cannot hide a slow reader.
async fn serve_with_small_window<F, Fut>(handler: F) -> u16
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(8 * 1024).expect("SO_RCVBUF");
    socket.bind(std::net::SocketAddr::from(([127, 0, 0, 1], 0))).expect("bind");
    let listener = socket.listen(16).expect("listen");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((s, _)) = listener.accept().await {
            tokio::spawn(handler(s));
        }
    });
    port
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let echo = serve(|mut s| async move {
        let (mut r, mut w) = s.split();
        let _ = tokio::io::copy(&mut r, &mut w).await;
        let _ = w.shutdown().await;
    })
    .await;
    let count = serve(|mut s| async move {
        let mut all = Vec::new();
        if s.read_to_end(&mut all).await.is_ok() {
            let _ = s.write_all(format!("got {}\n", all.len()).as_bytes()).await;
        }
    })
    .await;
    let reset = serve(|s| async move {
        let mut r = BufReader::new(s);
        let mut line = String::new();
        let _ = r.read_line(&mut line).await;
        let mut s = r.into_inner();
        let _ = s.write_all(b"bye\n").await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        if let Ok(std) = s.into_std() {
            let _ = socket2::SockRef::from(&std).set_linger(Some(Duration::ZERO));
        }
    })
    .await;
    let slow = serve_with_small_window(|mut s| async move {
        let mut buf = [0u8; 1024];
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            }
        }
    })
    .await;
    let source = serve(|mut s| async move {
        let block = vec![b's'; 64 * 1024];
        for _ in 0..1024 {
            if s.write_all(&block).await.is_err() {
                return;
            }
        }
        let _ = s.shutdown().await;
    })
    .await;
    let backlog = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).expect("socket");
    backlog.bind(&std::net::SocketAddr::from(([127, 0, 0, 1], 0)).into()).expect("bind");
    backlog.listen(0).expect("listen");
    let backlog_addr = backlog.local_addr().expect("addr").as_socket().expect("inet");
    let mut fillers = Vec::new();
    for _ in 0..8 {
        if let Ok(Ok(s)) =
            tokio::time::timeout(Duration::from_millis(200), TcpStream::connect(backlog_addr)).await
        {
            fillers.push(s);
        }
    }
    let script = serve(script).await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    println!(
        "{{\"echo\":{echo},\"count\":{count},\"reset\":{reset},\"slow\":{slow},\"source\":{source},\"backlog\":{},\"closed\":{closed},\"script\":{script}}}",
        backlog_addr.port()
    );
    // Serve until whoever started us goes away (closes our stdin).
    std::thread::spawn(|| {
        let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
        std::process::exit(0);
    });
    std::future::pending::<()>().await;
    drop((backlog, fillers));
}

/// The `script` fixture. The client's first line (a JSON array; not echoed, not counted) says
/// what to do, in order; bytes are JSON strings whose characters are all < 256 (latin-1):
///
/// * `{"send": "abc"}`, `{"send_repeat": ["x", 70000]}`, `{"send_pattern": N}` (byte `i` is
///   `i % 251`): send bytes;
/// * `{"sleep": MS}`;
/// * `{"fin": true}`: half-close (FIN); reading goes on;
/// * `{"rst": true}`: reset the connection (SO_LINGER 0, then close) and stop;
/// * `{"close": true}`: close the socket and stop: a FIN, or an RST if unread bytes are
///   waiting in the kernel; a later write from the client gets an RST;
/// * `{"read": N}`: read exactly N bytes from the kernel (fewer at EOF), the rest stays there;
///   `{"read_eof": true}`: read until EOF;
/// * `{"echo": true}`: echo until EOF;
/// * `{"report": true}`: send `got N crc32=XXXXXXXX\n` for every byte read so far.
///
/// After the last action it stays open, reading (and dropping) until the client's EOF, then
/// closes. Nothing is read ahead (the script line is read a byte at a time), so what the
/// client sent stays in the kernel until an action reads it. A script it cannot parse gets
/// `bad script: …\n` and a close.
async fn script(mut s: TcpStream) {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while line.last() != Some(&b'\n') {
        match s.read(&mut byte).await {
            Ok(1) => line.push(byte[0]),
            _ => return,
        }
    }
    let actions = match serde_json::from_slice::<Vec<serde_json::Value>>(&line) {
        Ok(actions) => actions,
        Err(e) => {
            let _ = s.write_all(format!("bad script: {e}\n").as_bytes()).await;
            return;
        }
    };
    let mut got = Received::default();
    // A client that never closes does not keep the task alive for ever.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    for action in &actions {
        let step = match tokio::time::timeout_at(deadline, run_action(&mut s, action, &mut got)).await {
            Ok(step) => step,
            Err(_) => return,
        };
        match step {
            Ok(Next::Go) => {}
            Ok(Next::Reset) => {
                if let Ok(std) = s.into_std() {
                    let _ = socket2::SockRef::from(&std).set_linger(Some(Duration::ZERO));
                }
                return;
            }
            Ok(Next::Close) => return,
            Err(e) => {
                let _ = s.write_all(format!("bad script: {e}\n").as_bytes()).await;
                return;
            }
        }
    }
    let mut sink = vec![0u8; 64 * 1024];
    let _ = tokio::time::timeout_at(deadline, async {
        while let Ok(n) = s.read(&mut sink).await {
            if n == 0 {
                break;
            }
        }
    })
    .await;
}

/// What the script server has read: how many bytes, and their CRC-32 (zlib's).
#[derive(Default)]
struct Received {
    count: u64,
    crc: u32,
}

impl Received {
    fn add(&mut self, data: &[u8]) {
        static TABLE: std::sync::OnceLock<[u32; 256]> = std::sync::OnceLock::new();
        let table = TABLE.get_or_init(|| {
            let mut t = [0u32; 256];
            for (n, entry) in (0u32..).zip(t.iter_mut()) {
                *entry = (0..8).fold(n, |c, _| if c & 1 == 1 { (c >> 1) ^ 0xEDB8_8320 } else { c >> 1 });
            }
            t
        });
        self.count += data.len() as u64;
        let c = data.iter().fold(!self.crc, |c, &b| table[((c ^ u32::from(b)) & 0xff) as usize] ^ (c >> 8));
        self.crc = !c;
    }
}

/// What the script does after an action.
enum Next {
    Go,
    Reset,
    Close,
}

fn latin1(v: &serde_json::Value) -> Result<Vec<u8>, String> {
    let s = v.as_str().ok_or_else(|| format!("not a string: {v}"))?;
    s.chars().map(|c| u8::try_from(u32::from(c)).map_err(|_| format!("not latin-1: {c:?}"))).collect()
}

fn count(v: &serde_json::Value) -> Result<usize, String> {
    v.as_u64().and_then(|n| usize::try_from(n).ok()).ok_or_else(|| format!("not a count: {v}"))
}

async fn run_action(
    s: &mut TcpStream,
    action: &serde_json::Value,
    got: &mut Received,
) -> Result<Next, String> {
    let (name, arg) = action
        .as_object()
        .filter(|o| o.len() == 1)
        .and_then(|o| o.iter().next())
        .ok_or_else(|| format!("an action is an object with one key: {action}"))?;
    let io = |e: std::io::Error| format!("{name}: {e}");
    match name.as_str() {
        "send" => s.write_all(&latin1(arg)?).await.map_err(io)?,
        "send_repeat" => {
            let (unit, times) = match arg.as_array().map(Vec::as_slice) {
                Some([unit, times]) => (latin1(unit)?, count(times)?),
                _ => return Err(format!("send_repeat takes [string, count]: {arg}")),
            };
            s.write_all(&unit.repeat(times)).await.map_err(io)?;
        }
        "send_pattern" => {
            let data: Vec<u8> = (0..count(arg)?).map(|i| (i % 251) as u8).collect();
            s.write_all(&data).await.map_err(io)?;
        }
        "sleep" => tokio::time::sleep(Duration::from_millis(count(arg)? as u64)).await,
        "fin" => s.shutdown().await.map_err(io)?,
        "rst" => return Ok(Next::Reset),
        "close" => return Ok(Next::Close),
        "read" => {
            let mut left = count(arg)?;
            let mut buf = vec![0u8; 64 * 1024];
            while left > 0 {
                let want = left.min(buf.len());
                let n = s.read(&mut buf[..want]).await.map_err(io)?;
                if n == 0 {
                    break;
                }
                got.add(&buf[..n]);
                left -= n;
            }
        }
        "read_eof" | "echo" => {
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                let n = s.read(&mut buf).await.map_err(io)?;
                if n == 0 {
                    break;
                }
                got.add(&buf[..n]);
                if name == "echo" {
                    s.write_all(&buf[..n]).await.map_err(io)?;
                }
            }
        }
        "report" => {
            let text = format!("got {} crc32={:08x}\n", got.count, got.crc);
            s.write_all(text.as_bytes()).await.map_err(io)?;
        }
        other => return Err(format!("unknown action {other:?}")),
    }
    Ok(Next::Go)
}
