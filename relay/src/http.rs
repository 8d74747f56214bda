//! The HTTP side of a connection: read one request head, then either hand a valid WebSocket
//! upgrade on `/connect` to the bridge, or answer (`/demo.json`, static files, errors) and close.

use std::net::SocketAddr;
use std::time::Duration;

use streamlab::protocol::{shown, SUBPROTOCOL};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;

use crate::statics;
use crate::Shared;

/// The largest request head read.
const MAX_HEAD: usize = 16 * 1024;
/// How long a client may take to send its request head.
const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a response may wait for the client to take the next piece of it: a client that
/// stops reading gives its socket back after this.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// The piece of a file read and written at once (a slow reader holds no more than this).
const FILE_PIECE: usize = 64 * 1024;

/// A parsed request head.
#[derive(Debug)]
pub struct Request {
    /// `GET`, `HEAD`, ….
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The query, without `?` (empty if none).
    pub query: String,
    headers: Vec<(String, String)>,
}

impl Request {
    /// The first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The last header called `name` (case-insensitive).
    fn last_header(&self, name: &str) -> Option<&str> {
        self.headers.iter().rev().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Whether a comma-separated header holds `token` (case-insensitive).
    fn header_has(&self, name: &str, token: &str) -> bool {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .any(|(_, v)| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
    }
}

/// What to do with a connection after its request head.
pub enum Next {
    /// A valid upgrade: the 101 response was sent; `leftover` are bytes read past the head.
    WebSocket {
        /// The request (its query holds the target).
        request: Request,
        /// Bytes already read after the head.
        leftover: Vec<u8>,
        /// The client: the socket's peer, or the one a trusted proxy names.
        client: SocketAddr,
    },
    /// Answered (or dropped); nothing more to do.
    Done,
}

/// Reads the request head from `peer` and answers everything but a valid WebSocket upgrade.
pub async fn handle(shared: &Shared, stream: &mut TcpStream, peer: SocketAddr) -> Next {
    let (request, leftover) = match tokio::time::timeout(HEAD_TIMEOUT, read_head(stream)).await {
        Err(_) => {
            return respond(stream, "408 Request Timeout", "text/plain", b"request head timed out\n", false)
                .await
        }
        Ok(Err(Some((status, why)))) => {
            return respond(stream, status, "text/plain", why.as_bytes(), false).await
        }
        Ok(Err(None)) => return Next::Done,
        Ok(Ok(parsed)) => parsed,
    };
    let head_only = request.method == "HEAD";
    let hosts = request.headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case("host"));
    match (hosts.clone().count(), request.header("host")) {
        (1, Some(host)) if shared.hosts.allows(host) => {}
        (1, Some(host)) => {
            shared.log(format_args!("refused request for host {}", shown(host)));
            let why = "this relay does not answer to that name (see its --hostname)\n";
            return respond(stream, "421 Misdirected Request", "text/plain", why.as_bytes(), head_only).await;
        }
        _ => {
            let why = b"exactly one Host header is required\n";
            return respond(stream, "400 Bad Request", "text/plain", why, head_only).await;
        }
    }
    match (request.method.as_str(), request.path.as_str()) {
        (_, "/connect") if request.header("upgrade").is_some() => match check_upgrade(shared, &request, peer)
        {
            Ok((accept, client)) => {
                let response = format!(
                    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                     Sec-WebSocket-Accept: {accept}\r\nSec-WebSocket-Protocol: {SUBPROTOCOL}\r\n\r\n"
                );
                match stream.write_all(response.as_bytes()).await {
                    Ok(()) => Next::WebSocket { request, leftover, client },
                    Err(_) => Next::Done,
                }
            }
            Err((status, why)) => {
                shared.log(format_args!("refused handshake: {why}"));
                respond(stream, status, "text/plain", format!("{why}\n").as_bytes(), false).await
            }
        },
        ("GET" | "HEAD", "/connect") => {
            respond(
                stream,
                "426 Upgrade Required",
                "text/plain",
                b"/connect is a WebSocket endpoint\n",
                head_only,
            )
            .await
        }
        ("GET" | "HEAD", "/demo.json") => {
            let body = demo_json(shared);
            respond(stream, "200 OK", "application/json", body.as_bytes(), head_only).await
        }
        ("GET" | "HEAD", path) => {
            let accept_encoding = request.header("accept-encoding");
            match statics::file(shared.config.static_dir.as_deref(), path, accept_encoding).await {
                Some(f) if statics::matches(request.header("if-none-match"), &f.etag) => {
                    let head = Head {
                        file: Some((&f.etag, f.encoding)),
                        ..Head::new("304 Not Modified", f.content_type)
                    };
                    send(stream, head, Body::Bytes(b""), true).await
                }
                Some(f) => {
                    let head =
                        Head { file: Some((&f.etag, f.encoding)), ..Head::new("200 OK", f.content_type) };
                    send(stream, head, Body::File(f.body, f.len), head_only).await
                }
                None => respond(stream, "404 Not Found", "text/plain", b"not found\n", head_only).await,
            }
        }
        _ => respond(stream, "405 Method Not Allowed", "text/plain", b"only GET and HEAD\n", false).await,
    }
}

/// Checks a WebSocket upgrade from `peer`: version 13, a key, the `streamlab.v1` subprotocol,
/// an accepted Origin, and from a trusted proxy the client's address. Returns the
/// `Sec-WebSocket-Accept` value and the client.
fn check_upgrade(
    shared: &Shared,
    req: &Request,
    peer: SocketAddr,
) -> Result<(String, SocketAddr), (&'static str, String)> {
    if req.method != "GET" {
        return Err(("405 Method Not Allowed", "a WebSocket upgrade must be a GET".into()));
    }
    if !req.header_has("upgrade", "websocket") || !req.header_has("connection", "upgrade") {
        return Err(("400 Bad Request", "not a WebSocket upgrade".into()));
    }
    if req.header("sec-websocket-version") != Some("13") {
        return Err(("426 Upgrade Required", "WebSocket version 13 is required".into()));
    }
    let key =
        req.header("sec-websocket-key").ok_or(("400 Bad Request", "Sec-WebSocket-Key is missing".into()))?;
    if !req.header_has("sec-websocket-protocol", SUBPROTOCOL) {
        return Err(("400 Bad Request", format!("the WebSocket subprotocol {SUBPROTOCOL} is required")));
    }
    if req.headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case("origin")).count() > 1 {
        // Which one would a check believe? Neither.
        return Err(("400 Bad Request", "more than one Origin header".into()));
    }
    if let Some(origin) = req.header("origin") {
        if !shared.origins.allows(origin) {
            return Err(("403 Forbidden", format!("origin {} is not allowed", shown(origin))));
        }
    }
    let client = shared
        .proxies
        .client(peer, req.last_header("x-forwarded-for"))
        .map_err(|e| ("400 Bad Request", e))?;
    Ok((derive_accept_key(key.as_bytes()), client))
}

/// Reads up to the end of the head. `Err(None)`: the client went away; `Err(Some(..))`: answer.
async fn read_head(stream: &mut TcpStream) -> Result<(Request, Vec<u8>), Option<(&'static str, String)>> {
    let mut buf = Vec::with_capacity(2048);
    let mut chunk = [0u8; 2048];
    loop {
        let n = stream.read(&mut chunk).await.map_err(|_| None)?;
        if n == 0 {
            return Err(None);
        }
        buf.extend_from_slice(&chunk[..n]);
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut parsed = httparse::Request::new(&mut headers);
        match parsed.parse(&buf) {
            Ok(httparse::Status::Complete(len)) if len > MAX_HEAD => {
                // A whole head that arrived in one read is held to the limit too.
                return Err(Some(too_large()));
            }
            Ok(httparse::Status::Complete(len)) => {
                let target = parsed.path.unwrap_or("/");
                let (path, query) = target.split_once('?').unwrap_or((target, ""));
                let mut fields = Vec::with_capacity(parsed.headers.len());
                for h in parsed.headers.iter() {
                    let value = std::str::from_utf8(h.value)
                        .map_err(|_| Some(("400 Bad Request", format!("header {} is not UTF-8", h.name))))?;
                    fields.push((h.name.to_owned(), value.trim().to_owned()));
                }
                let request = Request {
                    method: parsed.method.unwrap_or("").to_owned(),
                    path: path.to_owned(),
                    query: query.to_owned(),
                    headers: fields,
                };
                return Ok((request, buf.split_off(len)));
            }
            Ok(httparse::Status::Partial) if buf.len() > MAX_HEAD => return Err(Some(too_large())),
            Ok(httparse::Status::Partial) => {}
            Err(httparse::Error::TooManyHeaders) => {
                return Err(Some(("431 Request Header Fields Too Large", "more than 64 headers".into())))
            }
            Err(e) => return Err(Some(("400 Bad Request", format!("malformed HTTP request: {e}")))),
        }
    }
}

fn too_large() -> (&'static str, String) {
    ("431 Request Header Fields Too Large", format!("the request head exceeds {MAX_HEAD} bytes"))
}

async fn respond(
    stream: &mut TcpStream,
    status: &str,
    content_type: &str,
    body: &[u8],
    head_only: bool,
) -> Next {
    send(stream, Head::new(status, content_type), Body::Bytes(body), head_only).await
}

/// A response's body: bytes at hand, or an opened file of this length, streamed.
enum Body<'a> {
    Bytes(&'a [u8]),
    File(tokio::fs::File, u64),
}

impl Body<'_> {
    fn len(&self) -> u64 {
        match self {
            Body::Bytes(b) => b.len() as u64,
            Body::File(_, len) => *len,
        }
    }
}

/// Writes all of `data`, or fails if the client takes none of it for [`WRITE_TIMEOUT`].
async fn write_patiently(stream: &mut TcpStream, data: &[u8]) -> std::io::Result<()> {
    tokio::time::timeout(WRITE_TIMEOUT, stream.write_all(data))
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "the client stopped reading"))?
}

/// A response's status and headers.
struct Head<'a> {
    status: &'a str,
    content_type: &'a str,
    /// A static file's entity tag and the `Content-Encoding` of a precompressed body.
    file: Option<(&'a str, Option<&'a str>)>,
}

impl<'a> Head<'a> {
    fn new(status: &'a str, content_type: &'a str) -> Self {
        Head { status, content_type, file: None }
    }
}

async fn send(stream: &mut TcpStream, head: Head<'_>, body: Body<'_>, head_only: bool) -> Next {
    // A file may have precompressed variants: caches keep one per Accept-Encoding and ask
    // again (cheaply, by ETag) before using it: the page's names carry no hash.
    let file = match head.file {
        Some((etag, encoding)) => {
            let encoding = encoding.map(|e| format!("Content-Encoding: {e}\r\n")).unwrap_or_default();
            format!("ETag: {etag}\r\nCache-Control: no-cache\r\n{encoding}Vary: Accept-Encoding\r\n")
        }
        None => String::new(),
    };
    // A 304 has no body, and no length that is not the representation's.
    let length = match head.status.starts_with("304") {
        true => String::new(),
        false => format!("Content-Length: {}\r\n", body.len()),
    };
    let head = format!(
        "HTTP/1.1 {}\r\nContent-Type: {}\r\n{length}{file}\
         X-Content-Type-Options: nosniff\r\nServer-Timing: streamlab-relay;desc={SUBPROTOCOL}\r\nConnection: close\r\n\r\n",
        head.status, head.content_type,
    );
    let sent = async {
        write_patiently(stream, head.as_bytes()).await?;
        match body {
            _ if head_only => Ok(()),
            Body::Bytes(bytes) => write_patiently(stream, bytes).await,
            Body::File(mut file, mut left) => {
                let mut piece = vec![0; FILE_PIECE];
                while left > 0 {
                    let n = file.read(&mut piece).await?;
                    if n == 0 {
                        break; // shortened since it was opened: the client sees a short body
                    }
                    write_patiently(stream, &piece[..n]).await?;
                    left = left.saturating_sub(n as u64);
                }
                Ok(())
            }
        }
    };
    if sent.await.is_ok() {
        let _ = tokio::time::timeout(WRITE_TIMEOUT, stream.shutdown()).await;
    }
    Next::Done
}

fn demo_json(shared: &Shared) -> String {
    let demos: Vec<serde_json::Value> = match shared.config.demo {
        true => streamlab::demo::DEMOS
            .iter()
            .map(|d| serde_json::json!({"host": d.host, "port": d.port, "summary": d.summary}))
            .collect(),
        false => Vec::new(),
    };
    serde_json::json!({ "demos": demos }).to_string()
}
