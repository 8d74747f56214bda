//! The demo servers behind real TCP: each `streamlab::demo` peer gets a loopback listener,
//! and this driver runs it over every accepted connection.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use streamlab::demo::{Action, Demo, DEMOS};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::time::Instant;

/// Starts every demo server on `127.0.0.1:0`; returns where each listens, by (host, port).
///
/// `idle` closes a demo connection on which nothing can happen any more (the client sent EOF
/// and the peer has nothing scheduled) once that long has passed: by then the relay has
/// closed the client's side.
pub async fn start(
    idle: Duration,
    shutdown: watch::Receiver<bool>,
) -> std::io::Result<HashMap<(String, u16), SocketAddr>> {
    let mut addrs = HashMap::new();
    for demo in DEMOS {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        addrs.insert((demo.host.to_owned(), demo.port), listener.local_addr()?);
        let mut shutdown = shutdown.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    accepted = listener.accept() => {
                        if let Ok((stream, _)) = accepted {
                            tokio::spawn(drive(demo, stream, idle));
                        }
                    }
                    _ = shutdown.changed() => return,
                }
            }
        });
    }
    Ok(addrs)
}

/// Runs one peer over one connection until it closes or both directions are done.
async fn drive(demo: &'static Demo, stream: TcpStream, idle: Duration) {
    let _ = stream.set_nodelay(true);
    let start = Instant::now();
    let mut peer = demo.start();
    let (mut r, mut w) = stream.into_split();
    let mut buf = vec![0u8; 16 * 1024];
    let (mut reading, mut write_shut) = (true, false);
    loop {
        let wake_at = loop {
            match peer.poll(start.elapsed()) {
                Action::Send(bytes) => {
                    if w.write_all(&bytes).await.is_err() {
                        return;
                    }
                }
                Action::Shutdown => {
                    write_shut = true;
                    if w.shutdown().await.is_err() {
                        return;
                    }
                }
                Action::Close => return,
                Action::Wait(at) => break at.map(|at| start + at),
            }
        };
        if !reading && write_shut {
            return;
        }
        // With input over and nothing scheduled, nothing can happen but the idle limit.
        let idle_at = (!reading && wake_at.is_none()).then(|| Instant::now() + idle);
        tokio::select! {
            n = r.read(&mut buf), if reading => match n {
                Ok(0) | Err(_) => {
                    reading = false;
                    peer.on_eof(start.elapsed());
                }
                Ok(n) => peer.on_data(&buf[..n], start.elapsed()),
            },
            () = sleep_until(wake_at), if wake_at.is_some() => {}
            () = sleep_until(idle_at), if idle_at.is_some() => return,
            else => return,
        }
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
