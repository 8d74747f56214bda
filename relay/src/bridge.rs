//! One relayed connection, from the accepted WebSocket to its close: the caps, the request,
//! the token, the target, then bytes both ways until both sides are done.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use bytes::{BufMut, BytesMut};
use futures_util::stream::{Peekable, SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use streamlab::protocol::{CloseCode, ConnectRequest, Control, MAX_CREDIT_OUTSTANDING, MAX_DATA_FRAME};
use tokio::io::{AsyncReadExt, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::error::{CapacityError, Error as WsError};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode as WsCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use crate::target::{self, TargetStream};
use crate::{token, Shared};

type Sink = SplitSink<WebSocketStream<TcpStream>, Message>;
type Source = Peekable<SplitStream<WebSocketStream<TcpStream>>>;

/// How a session ends, and so the close frame the client gets.
#[derive(Debug)]
enum End {
    /// Both sides sent EOF: 1000.
    Normal,
    /// The client closed or vanished: answer its close, if any.
    ClientGone,
    /// The relay is shutting down: 1001.
    GoingAway,
    /// A typed failure (44xx/45xx), or a WebSocket-level one (1002, 1007, 1009).
    Fail(u16, String),
}

impl End {
    fn fail(code: CloseCode, why: impl Into<String>) -> End {
        End::Fail(code.code(), why.into())
    }
}

/// Runs a session on an upgraded WebSocket.
pub async fn run(shared: &Shared, ws: WebSocketStream<TcpStream>, query: &str, client: SocketAddr) {
    let (mut sink, source) = ws.split();
    let mut source = source.peekable();
    let end = session(shared, &mut sink, &mut source, query, client).await;
    close(&mut sink, &mut source, end).await;
    if let Ok(mut ws) = sink.reunite(source.into_inner()) {
        linger(ws.get_mut()).await;
    }
}

/// Closes our side and reads what the client still sends (a while, a few MiB), so the close
/// frame is not lost to a reset: closing with unread bytes makes the kernel send RST, and a
/// client still writing (an oversized message, say) would never see why it was closed.
async fn linger(tcp: &mut TcpStream) {
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        tcp.shutdown().await?;
        let mut scratch = vec![0; 64 * 1024];
        for _ in 0..64 {
            if tcp.read(&mut scratch).await? == 0 {
                break;
            }
        }
        std::io::Result::Ok(())
    })
    .await;
}

async fn session(
    shared: &Shared,
    sink: &mut Sink,
    source: &mut Source,
    query: &str,
    client: SocketAddr,
) -> End {
    let _permit = match shared.limits.acquire(client.ip()) {
        Ok(p) => p,
        Err(why) => {
            shared.log(format_args!("deny {client}: {why}"));
            return End::fail(CloseCode::TooManyConnections, why);
        }
    };
    let target = match ConnectRequest::parse_query(query) {
        Ok(t) => t,
        Err(e) => {
            shared.log(format_args!("deny {client}: bad request: {e}"));
            return End::fail(CloseCode::BadRequest, e.0);
        }
    };
    let dest = format!("{}:{}", target.host, target.port);
    if let Some(secret) = &shared.config.token_secret {
        // Every session: an Origin header proves nothing (any client can send one).
        let verdict = match &target.token {
            Some(t) => token::verify(secret, t, &target.host, target.port),
            None => Err("this relay needs a token for every connection"),
        };
        if let Err(why) = verdict {
            shared.log(format_args!("deny {client} -> {dest}: {why}"));
            return End::fail(CloseCode::NotAllowed, why);
        }
    }
    let connected = match until_gone(source, target::connect(shared, &target, client.ip())).await {
        Err(end) => {
            shared.log(format_args!("end {client} -> {dest}: {end:?} while connecting"));
            return end;
        }
        Ok(Ok(c)) => c,
        Ok(Err((code, why))) => {
            shared.log(format_args!("deny {client} -> {dest}: {why}"));
            return End::Fail(code.code(), why);
        }
    };
    shared.log(format_args!("allow {client} -> {dest} ({})", connected.peer));
    let hello = Control::Connected {
        peername: (connected.peer.ip().to_string(), connected.peer.port()),
        sockname: (connected.local.ip().to_string(), connected.local.port()),
    };
    if sink.send(Message::text(hello.to_text())).await.is_err() {
        return End::ClientGone;
    }
    let end = pump(shared, sink, source, connected.stream).await;
    shared.log(format_args!("end {client} -> {dest}: {end:?}"));
    end
}

/// `work`'s result, or how the session ends as soon as the client closes, vanishes or breaks
/// the protocol first (a frame no WebSocket may send gets its close code, 1002/1007/1009,
/// connected or not): a client that went away holds no lookup slot or connect attempt. Its
/// messages stay unread for the pump (after one, the client is not watched any more: it is
/// still there).
async fn until_gone<T>(source: &mut Source, work: impl std::future::Future<Output = T>) -> Result<T, End> {
    tokio::pin!(work);
    tokio::select! {
        done = &mut work => return Ok(done),
        next = std::pin::Pin::new(&mut *source).peek() => match next {
            None | Some(Ok(Message::Close(_))) => return Err(End::ClientGone),
            Some(Err(_)) => {
                let Some(Err(e)) = source.next().await else { return Err(End::ClientGone) };
                return Err(ws_error(e));
            }
            Some(Ok(_)) => {}
        }
    }
    Ok(work.await)
}

/// Moves bytes both ways, concurrently, until both sides are done or something fails.
async fn pump(shared: &Shared, sink: &mut Sink, source: &mut Source, stream: TargetStream) -> End {
    let (mut tcp_r, mut tcp_w) = tokio::io::split(stream);
    let idle = shared.config.idle_timeout;
    let last_activity = Activity::new();
    let credit = AtomicU64::new(0);
    let credit_added = Notify::new();
    let client_eof = AtomicBool::new(false);
    let client_eof_sent = Notify::new();
    let mut shutdown = shared.shutdown.clone();

    let up =
        upstream(source, &mut tcp_w, &last_activity, &credit, &credit_added, &client_eof, &client_eof_sent);
    let down = downstream(sink, &mut tcp_r, &last_activity, &credit, &credit_added);
    tokio::pin!(up, down);
    let mut target_eof = false;
    loop {
        tokio::select! {
            end = &mut up => return end,
            end = &mut down, if !target_eof => match end {
                Some(end) => return end,
                None => target_eof = true,
            },
            () = client_eof_sent.notified() => {}
            () = tokio::time::sleep_until(last_activity.last() + idle) => {
                if last_activity.last() + idle <= Instant::now() {
                    return End::fail(CloseCode::IdleTimeout, format!("nothing moved for {idle:?}"));
                }
            }
            _ = shutdown.changed() => return End::GoingAway,
        }
        if target_eof && client_eof.load(Relaxed) {
            return End::Normal;
        }
    }
}

/// Client → target: data to TCP, credit to the downstream, EOF as FIN. Ends the session when
/// it returns.
async fn upstream(
    source: &mut Source,
    tcp: &mut WriteHalf<TargetStream>,
    last_activity: &Activity,
    credit: &AtomicU64,
    credit_added: &Notify,
    client_eof: &AtomicBool,
    client_eof_sent: &Notify,
) -> End {
    loop {
        let msg = match source.next().await {
            None => return End::ClientGone,
            Some(Ok(msg)) => msg,
            Some(Err(e)) => return ws_error(e),
        };
        // Idle means no payload either way: pings, credit grants and empty frames do not count,
        // or a client could hold its slot forever without moving a byte.
        match msg {
            Message::Binary(data) => {
                if client_eof.load(Relaxed) {
                    return End::fail(CloseCode::BadRequest, "data after eof");
                }
                if !data.is_empty() {
                    last_activity.now();
                }
                // Flush too: TLS may keep records buffered after `write` returned.
                if let Err(e) = async {
                    tcp.write_all(&data).await?;
                    tcp.flush().await
                }
                .await
                {
                    return tcp_error("writing to the target", &e);
                }
            }
            Message::Text(text) => match Control::parse(text.as_str()) {
                Ok(Control::Credit { bytes }) => {
                    let total = credit.load(Relaxed) + bytes;
                    if total > MAX_CREDIT_OUTSTANDING {
                        return End::fail(
                            CloseCode::BadRequest,
                            format!("more than {MAX_CREDIT_OUTSTANDING} bytes of credit outstanding"),
                        );
                    }
                    credit.store(total, Relaxed);
                    credit_added.notify_one();
                }
                Ok(Control::Eof) if client_eof.load(Relaxed) => {
                    return End::fail(CloseCode::BadRequest, "eof sent twice")
                }
                Ok(Control::Eof) => {
                    if let Err(e) = tcp.shutdown().await {
                        return tcp_error("half-closing the target", &e);
                    }
                    // Only once the FIN (and TLS close_notify) is out may the session end.
                    client_eof.store(true, Relaxed);
                    client_eof_sent.notify_one();
                }
                Ok(Control::Connected { .. }) => {
                    return End::fail(CloseCode::BadRequest, "\"connected\" is the relay's message")
                }
                Err(e) => return End::fail(CloseCode::BadRequest, e.0),
            },
            Message::Close(_) => return End::ClientGone,
            Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => {}
        }
    }
}

/// Target → client: reads only while the client has granted credit, up to 64 KiB a frame.
/// `None` when the target's FIN was passed on as `{"type":"eof"}`.
async fn downstream(
    sink: &mut Sink,
    tcp: &mut ReadHalf<TargetStream>,
    last_activity: &Activity,
    credit: &AtomicU64,
    credit_added: &Notify,
) -> Option<End> {
    let mut buf = BytesMut::new();
    loop {
        while credit.load(Relaxed) == 0 {
            credit_added.notified().await;
        }
        // One read of up to 4 frames' worth, then the frames in one write: fewer system calls
        // for the same bytes.
        let want = (4 * MAX_DATA_FRAME).min(usize::try_from(credit.load(Relaxed)).unwrap_or(usize::MAX));
        buf.reserve(want);
        // Read straight into the frames' payloads: no copy on the way to the WebSocket.
        let n = match tcp.read_buf(&mut (&mut buf).limit(want)).await {
            Ok(n) => n,
            Err(e) => return Some(tcp_error("reading from the target", &e)),
        };
        last_activity.now();
        credit.fetch_sub(n as u64, Relaxed);
        if n == 0 {
            return match sink.send(Message::text(Control::Eof.to_text())).await {
                Ok(()) => None,
                Err(_) => Some(End::ClientGone),
            };
        }
        let mut data = buf.split().freeze();
        while !data.is_empty() {
            let frame = data.split_to(data.len().min(MAX_DATA_FRAME));
            if sink.feed(Message::Binary(frame)).await.is_err() {
                return Some(End::ClientGone);
            }
        }
        if sink.flush().await.is_err() {
            return Some(End::ClientGone);
        }
    }
}

fn tcp_error(doing: &str, e: &std::io::Error) -> End {
    let what = match e.kind() {
        std::io::ErrorKind::ConnectionReset => "Connection reset by peer".to_owned(),
        std::io::ErrorKind::BrokenPipe => "Broken pipe".to_owned(),
        _ => e.to_string(),
    };
    End::fail(CloseCode::Reset, format!("{what} ({doing})"))
}

fn ws_error(e: WsError) -> End {
    match e {
        WsError::Capacity(CapacityError::MessageTooLong { size, max_size }) => {
            // A fragmented message is refused at the fragment that crosses the limit, before
            // its whole size is known: say "at least".
            End::Fail(1009, format!("a message of at least {size} bytes exceeds the limit of {max_size}"))
        }
        WsError::Capacity(e) => End::Fail(1009, e.to_string()),
        WsError::Utf8(_) => End::Fail(1007, "text frame is not UTF-8".into()),
        WsError::Protocol(e) => End::Fail(1002, e.to_string()),
        _ => End::ClientGone,
    }
}

/// Sends the close frame (unless the client went first) and waits briefly for the reply.
async fn close(sink: &mut Sink, source: &mut Source, end: End) {
    let frame = match end {
        End::ClientGone => {
            let _ = tokio::time::timeout(Duration::from_secs(1), sink.close()).await;
            return;
        }
        End::Normal => CloseFrame { code: WsCode::Normal, reason: "".into() },
        End::GoingAway => CloseFrame { code: WsCode::Away, reason: "relay shutting down".into() },
        End::Fail(code, why) => CloseFrame { code: WsCode::from(code), reason: close_reason(&why).into() },
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        if sink.send(Message::Close(Some(frame))).await.is_ok() {
            while let Some(Ok(_)) = source.next().await {}
        }
    })
    .await;
}

/// A close reason fits in 123 bytes.
fn close_reason(why: &str) -> String {
    let mut end = why.len().min(123);
    while !why.is_char_boundary(end) {
        end -= 1;
    }
    why[..end].to_owned()
}

/// When something last moved, either way. The session's two halves run in one task; atomics
/// only make the shared state `Sync` for the multi-threaded runtime.
struct Activity {
    base: Instant,
    nanos: AtomicU64,
}

impl Activity {
    fn new() -> Activity {
        Activity { base: Instant::now(), nanos: AtomicU64::new(0) }
    }

    fn now(&self) {
        let elapsed = u64::try_from(self.base.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.nanos.store(elapsed, Relaxed);
    }

    fn last(&self) -> Instant {
        self.base + Duration::from_nanos(self.nanos.load(Relaxed))
    }
}
