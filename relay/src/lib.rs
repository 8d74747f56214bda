//! # streamlab-relay
//!
//! A WebSocket ↔ TCP relay that is safe by default: it listens on loopback, connects only to
//! targets its policy allows, never to internal addresses unless allowed by IP, and runs the
//! demo servers itself. The wire contract is `docs/protocol.md`.
//!
//! [`serve`] runs it on a listener until SIGINT/SIGTERM; [`serve_until`] until a future ends
//! (tests and `cargo xtask` run it in-process this way).

#![deny(unsafe_code)]
#![warn(missing_docs, rust_2018_idioms)]

mod bridge;
pub mod config;
mod demo;
pub mod host;
mod http;
pub mod limits;
pub mod origin;
mod patience;
pub mod policy;
pub mod proxy;
pub mod resolve;
mod statics;
mod target;
pub mod token;

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use streamlab::protocol::MAX_MESSAGE;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::WebSocketStream;

pub use config::Config;

use host::Hosts;
use limits::Limits;
use origin::Origins;
use proxy::Proxies;
use resolve::Lookups;

/// What every connection of one relay shares.
pub(crate) struct Shared {
    config: Config,
    origins: Origins,
    hosts: Hosts,
    proxies: Proxies,
    limits: Arc<Limits>,
    lookups: Lookups,
    statics: Option<statics::Statics>,
    tls: Arc<rustls::ClientConfig>,
    demos: HashMap<(String, u16), SocketAddr>,
    shutdown: watch::Receiver<bool>,
}

impl Shared {
    /// Where the demo server `host:port` listens, when demos are on.
    pub(crate) fn demo_addr(&self, host: &str, port: u16) -> Option<SocketAddr> {
        let demo = streamlab::demo::find(host, port)?;
        self.demos.get(&(demo.host.to_owned(), demo.port)).copied()
    }

    /// The address a demo server's name stands for (any of its ports), when demos run.
    pub(crate) fn demo_ip(&self, host: &str) -> Option<std::net::IpAddr> {
        self.demos.iter().find(|((h, _), _)| h.eq_ignore_ascii_case(host)).map(|(_, addr)| addr.ip())
    }

    /// Logs a decision (never a payload, never a token).
    pub(crate) fn log(&self, line: std::fmt::Arguments<'_>) {
        if self.config.log {
            use std::io::Write;
            // A closed stderr must not stop the relay.
            let _ = writeln!(std::io::stderr().lock(), "streamlab-relay: {line}");
        }
    }
}

/// Runs the relay on `listener` until SIGINT or SIGTERM; open connections then get 1001.
///
/// # Errors
/// The demo servers could not start, the `--ca-file` could not be loaded, or the `--static`
/// folder could not be resolved.
pub async fn serve(listener: TcpListener, config: Config) -> std::io::Result<()> {
    serve_until(listener, config, shutdown_signal()).await
}

/// Runs the relay on `listener` until `shutdown` completes.
///
/// # Errors
/// As [`serve`].
pub async fn serve_until(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let (stop, stopped) = watch::channel(false);
    let demos = match config.demo {
        true => demo::start(config.idle_timeout, stopped.clone()).await?,
        false => HashMap::new(),
    };
    let tls = target::tls_config(config.ca_file.as_deref()).map_err(std::io::Error::other)?;
    let shared = Arc::new(Shared {
        origins: Origins::new(&config.origins, listener.local_addr()?),
        hosts: Hosts::new(&config.hostnames),
        proxies: Proxies::new(&config.trusted_proxies),
        limits: Limits::new(config.max_connections, config.max_per_ip, "connections"),
        lookups: Lookups::new(config.resolver.clone(), config.connect_timeout),
        statics: config.static_dir.as_deref().map(statics::Statics::new).transpose()?,
        tls: Arc::new(tls),
        demos,
        shutdown: stopped,
        config,
    });
    // Sockets at once, handshakes included, counted from accept: a flood of idle sockets
    // cannot exhaust the process, and one client cannot take the places others need.
    let sockets =
        Limits::new(shared.config.max_connections * 2 + 64, shared.config.max_per_ip * 2 + 8, "open sockets");
    let mut tasks = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        while tasks.try_join_next().is_some() {}
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, client)) => {
                    let place = match shared.proxies.trusts(client.ip()) {
                        true => sockets.acquire_shared(),
                        false => sockets.acquire(client.ip()),
                    };
                    let place = match place {
                        Ok(place) => place,
                        Err(why) => {
                            shared.log(format_args!("deny {client}: too many open sockets ({why})"));
                            continue;
                        }
                    };
                    let shared = Arc::clone(&shared);
                    tasks.spawn(async move {
                        connection(shared, stream, client).await;
                        drop(place);
                    });
                }
                Err(e) => {
                    // Out of file descriptors, most likely: wait for some to be freed.
                    shared.log(format_args!("accept failed: {e}"));
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
        }
    }
    let _ = stop.send(true);
    let _ =
        tokio::time::timeout(Duration::from_secs(5), async { while tasks.join_next().await.is_some() {} })
            .await;
    Ok(())
}

/// One accepted socket from `peer`: HTTP until it becomes a WebSocket session.
async fn connection(shared: Arc<Shared>, stream: TcpStream, peer: SocketAddr) {
    let _ = stream.set_nodelay(true);
    let Some(upgrade) = http::serve(Arc::clone(&shared), stream, peer).await else { return };
    let ws_config = WebSocketConfig::default()
        .max_message_size(Some(MAX_MESSAGE))
        .max_frame_size(Some(MAX_MESSAGE))
        // tungstenite zero-fills this much before every read, which small messages pay for
        // (64-byte round trips: 82 µs at 16 KiB, 87 µs at 128 KiB), while bulk uploads want few
        // reads per 64 KiB frame; 32 KiB measured even with websocat on both.
        .read_buffer_size(32 * 1024)
        // Frames queue up to a read's worth (4 × 64 KiB) and leave in one write.
        .write_buffer_size(4 * 64 * 1024 + 64)
        .max_write_buffer_size(4 * MAX_MESSAGE);
    let (socket, leftover) = (upgrade.socket, upgrade.leftover.to_vec());
    let ws = WebSocketStream::from_partially_read(socket, leftover, Role::Server, Some(ws_config)).await;
    bridge::run(&shared, ws, &upgrade.query, upgrade.client).await;
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(term) => term,
            Err(_) => return ctrl_c.await.unwrap_or(()),
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
