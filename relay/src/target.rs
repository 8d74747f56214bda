//! Reaching a target: resolve once, let the policy check every address, connect to a checked
//! one within the timeout, and wrap it in TLS when asked. Every failure carries its close code.

use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use rustls::pki_types::{pem::PemObject, CertificateDer, ServerName};
use streamlab::protocol::{CloseCode, ConnectRequest};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

use crate::resolve::Unresolved;
use crate::Shared;

/// A connected target: plain TCP or TLS over it.
pub(crate) enum TargetStream {
    /// Plain TCP.
    Tcp(TcpStream),
    /// TLS over TCP.
    Tls(Box<TlsStream<TcpStream>>),
}

/// A refusal or failure, with the close code the client gets.
pub(crate) type Failure = (CloseCode, String);

/// The connected stream and the two socket addresses for the `connected` message.
pub(crate) struct Connected {
    /// The stream.
    pub stream: TargetStream,
    /// The target's address.
    pub peer: SocketAddr,
    /// The relay's end.
    pub local: SocketAddr,
}

/// Resolves, checks, connects (and TLS-handshakes) as `req` asks.
pub(crate) async fn connect(
    shared: &Shared,
    req: &ConnectRequest,
    client: IpAddr,
) -> Result<Connected, Failure> {
    let addrs = resolve(shared, req, client).await?;
    let ips: Vec<IpAddr> = addrs.iter().map(SocketAddr::ip).collect();
    let demo = shared.demo_addr(&req.host, req.port).is_some();
    if !demo {
        shared.config.policy.decide(&req.host, req.port, &ips).map_err(|why| (CloseCode::NotAllowed, why))?;
    }
    let deadline = tokio::time::Instant::now() + shared.config.connect_timeout;
    let mut last = (CloseCode::Refused, format!("Connect call failed ({}, {})", req.host, req.port));
    for addr in addrs {
        match tokio::time::timeout_at(deadline, TcpStream::connect(addr)).await {
            Err(_) => {
                return Err((
                    CloseCode::ConnectTimeout,
                    format!("connecting to {addr} timed out after {:?}", shared.config.connect_timeout),
                ))
            }
            Ok(Err(e)) => {
                // CPython's text for a refused connect; other errors keep the OS's words.
                let mut why = format!("Connect call failed ('{}', {})", addr.ip(), addr.port());
                if e.kind() != std::io::ErrorKind::ConnectionRefused {
                    why = format!("{why}: {e}");
                }
                last = (CloseCode::Refused, why);
            }
            Ok(Ok(tcp)) => {
                let _ = tcp.set_nodelay(true);
                let (peer, local) = (tcp.peer_addr().unwrap_or(addr), tcp.local_addr().unwrap_or(addr));
                let stream = if req.tls {
                    let tls = tokio::time::timeout_at(deadline, tls_handshake(shared, req, tcp))
                        .await
                        .map_err(|_| (CloseCode::ConnectTimeout, "TLS handshake timed out".to_owned()))??;
                    TargetStream::Tls(Box::new(tls))
                } else {
                    TargetStream::Tcp(tcp)
                };
                return Ok(Connected { stream, peer, local });
            }
        }
    }
    Err(last)
}

/// Demo names map to the relay's own loopback servers; other names resolve once, here, in one
/// of the client's lookup slots.
async fn resolve(shared: &Shared, req: &ConnectRequest, client: IpAddr) -> Result<Vec<SocketAddr>, Failure> {
    if let Some(addr) = shared.demo_addr(&req.host, req.port) {
        return Ok(vec![addr]);
    }
    if let Some(ip) = shared.demo_ip(&req.host) {
        // A demo's name on a port no demo serves: the name resolves, the connect is refused —
        // as CPython's to a real host (nothing is tried on that port of the relay's machine).
        return Err((CloseCode::Refused, format!("Connect call failed ('{ip}', {})", req.port)));
    }
    if streamlab::demo::is_demo_host(&req.host) {
        let why = match shared.config.demo {
            true => format!("{}:{} is not a demo server (see /demo.json)", req.host, req.port),
            false => format!("{}: demo servers are off on this relay", req.host),
        };
        return Err((CloseCode::NotResolved, why));
    }
    // Nothing is looked up for a name the policy would refuse whatever it resolved to.
    shared.config.policy.may_allow(&req.host, req.port).map_err(|why| (CloseCode::NotAllowed, why))?;
    // An address needs no lookup (numeric spellings such as `127.1` are the C library's to
    // read). The request's host comes without brackets.
    if let Ok(ip) = req.host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, req.port)]);
    }
    shared.lookups.resolve(client, &req.host, req.port).await.map_err(|e| match e {
        Unresolved::Busy(why) => (CloseCode::TooManyConnections, format!("resolving {}: {why}", req.host)),
        Unresolved::TimedOut => (CloseCode::NotResolved, format!("resolving {} timed out", req.host)),
        Unresolved::Failed(e) => {
            (CloseCode::NotResolved, format!("[Errno -2] Name or service not known: {} ({e})", req.host))
        }
    })
}

async fn tls_handshake(
    shared: &Shared,
    req: &ConnectRequest,
    tcp: TcpStream,
) -> Result<TlsStream<TcpStream>, Failure> {
    let name = ServerName::try_from(req.server_name().to_owned())
        .map_err(|e| (CloseCode::BadRequest, format!("sni: not a server name: {e}")))?;
    tokio_rustls::TlsConnector::from(Arc::clone(&shared.tls))
        .connect(name, tcp)
        .await
        .map_err(|e| (CloseCode::Refused, format!("TLS handshake with {} failed: {e}", req.server_name())))
}

/// The TLS client configuration: webpki roots plus `--ca-file`.
///
/// # Errors
/// The CA file cannot be read or holds no certificate.
pub(crate) fn tls_config(ca_file: Option<&Path>) -> Result<rustls::ClientConfig, String> {
    let mut roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    if let Some(file) = ca_file {
        for cert in load_roots(file)? {
            roots.add(cert).map_err(|e| format!("{}: {e}", file.display()))?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// The certificates of a PEM file.
///
/// # Errors
/// Unreadable, or no certificate in it.
pub(crate) fn load_roots(file: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs: Vec<_> = CertificateDer::pem_file_iter(file)
        .map_err(|e| format!("cannot read {}: {e}", file.display()))?
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{}: {e}", file.display()))?;
    if certs.is_empty() {
        return Err(format!("{} holds no PEM certificate", file.display()));
    }
    Ok(certs)
}

impl AsyncRead for TargetStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            TargetStream::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            TargetStream::Tls(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for TargetStream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            TargetStream::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            TargetStream::Tls(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            TargetStream::Tcp(s) => Pin::new(s).poll_flush(cx),
            TargetStream::Tls(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            TargetStream::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            TargetStream::Tls(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}
