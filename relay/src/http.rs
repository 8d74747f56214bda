//! The HTTP side of a connection, on hyper: every request's `Host` is checked; a valid
//! WebSocket upgrade on `/connect` is handed to the bridge; `/demo.json` and the static files
//! (tower-http's `ServeDir`) are answered; anything else gets its error.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{combinators::UnsyncBoxBody, BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::upgrade::OnUpgrade;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use streamlab::protocol::{shown, SUBPROTOCOL};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tower::ServiceExt;

use crate::patience::Patient;
use crate::Shared;

/// The largest request head read.
const MAX_HEAD: usize = 16 * 1024;
/// Headers in one request head, at most.
const MAX_HEADERS: usize = 64;
/// How long a client may take to send a request head.
const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a connection may make no progress (take nothing of a response, send nothing, or
/// idle between requests) before it is closed.
const PATIENCE: Duration = Duration::from_secs(10);

/// A valid WebSocket upgrade, answered with 101: what the session needs.
pub struct Upgrade {
    /// The upgraded socket.
    pub socket: TcpStream,
    /// Bytes read past the head (the client's first frames, perhaps).
    pub leftover: Bytes,
    /// The request's query (it names the target).
    pub query: String,
    /// The client: the socket's peer, or the one a trusted proxy names.
    pub client: SocketAddr,
}

type Body = UnsyncBoxBody<Bytes, std::io::Error>;
/// The upgrade a request asked for, handed from the service to the connection.
type Pending = Arc<Mutex<Option<(OnUpgrade, String, SocketAddr)>>>;

/// Serves HTTP on `stream` from `peer` until it closes, or until it becomes a WebSocket:
/// then returns the upgrade.
pub async fn serve(shared: Arc<Shared>, stream: TcpStream, peer: SocketAddr) -> Option<Upgrade> {
    let pending: Pending = Arc::default();
    let service = {
        let pending = Arc::clone(&pending);
        hyper::service::service_fn(move |req| {
            let (shared, pending) = (Arc::clone(&shared), Arc::clone(&pending));
            async move { Ok::<_, Infallible>(route(&shared, req, peer, &pending).await) }
        })
    };
    let io = TokioIo::new(Patient::new(stream, PATIENCE));
    let served = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEAD_TIMEOUT)
        .max_buf_size(MAX_HEAD)
        .max_headers(MAX_HEADERS)
        .serve_connection(io, service)
        .with_upgrades()
        .await;
    let (on_upgrade, query, client) = pending.lock().unwrap_or_else(|e| e.into_inner()).take()?;
    if served.is_err() {
        return None;
    }
    let upgraded = on_upgrade.await.ok()?;
    let parts = upgraded.downcast::<TokioIo<Patient<TcpStream>>>().ok()?;
    Some(Upgrade { socket: parts.io.into_inner().into_inner(), leftover: parts.read_buf, query, client })
}

async fn route(
    shared: &Shared,
    mut req: Request<Incoming>,
    peer: SocketAddr,
    pending: &Pending,
) -> Response<Body> {
    if let Some(refusal) = refuse_host(shared, &req) {
        return refusal;
    }
    let head_only = req.method() == Method::HEAD;
    let path = req.uri().path().to_owned();
    match (req.method().clone(), path.as_str()) {
        (_, "/connect") if req.headers().contains_key(header::UPGRADE) => {
            match check_upgrade(shared, &req, peer) {
                Ok((accept, client)) => {
                    let query = req.uri().query().unwrap_or("").to_owned();
                    let on_upgrade = hyper::upgrade::on(&mut req);
                    *pending.lock().unwrap_or_else(|e| e.into_inner()) = Some((on_upgrade, query, client));
                    let mut response = Response::new(empty());
                    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
                    let h = response.headers_mut();
                    h.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
                    h.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
                    h.insert(header::SEC_WEBSOCKET_ACCEPT, HeaderValue::from_str(&accept).expect("base64"));
                    h.insert(header::SEC_WEBSOCKET_PROTOCOL, HeaderValue::from_static(SUBPROTOCOL));
                    response
                }
                Err((status, why)) => {
                    shared.log(format_args!("refused handshake: {why}"));
                    text(status, &format!("{why}\n"), false)
                }
            }
        }
        (Method::GET | Method::HEAD, "/connect") => {
            text(StatusCode::UPGRADE_REQUIRED, "/connect is a WebSocket endpoint\n", head_only)
        }
        (Method::GET | Method::HEAD, "/demo.json") => {
            respond(StatusCode::OK, "application/json", demo_json(shared).into(), head_only)
        }
        (Method::GET | Method::HEAD, _) => match &shared.statics {
            Some(files) if files.permits(&path).await => {
                let served = files.service().oneshot(req).await.unwrap_or_else(|e: Infallible| match e {});
                match served.status() {
                    StatusCode::NOT_FOUND => text(StatusCode::NOT_FOUND, "not found\n", head_only),
                    _ => finish(served.map(|b| b.map_err(std::io::Error::other).boxed_unsync()), true),
                }
            }
            _ => text(StatusCode::NOT_FOUND, "not found\n", head_only),
        },
        _ => text(StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD\n", false),
    }
}

/// The answer to a request without exactly one `Host`, or for a name this relay does not
/// answer to (the request line's authority, when it has one, included).
fn refuse_host(shared: &Shared, req: &Request<Incoming>) -> Option<Response<Body>> {
    let hosts: Vec<&HeaderValue> = req.headers().get_all(header::HOST).iter().collect();
    let host = match hosts.as_slice() {
        [one] => one.to_str().unwrap_or(""),
        _ => return Some(text(StatusCode::BAD_REQUEST, "exactly one Host header is required\n", false)),
    };
    let authority = req.uri().authority().map(|a| a.as_str());
    if shared.hosts.allows(host) && authority.is_none_or(|a| shared.hosts.allows(a)) {
        return None;
    }
    shared.log(format_args!("refused request for host {}", shown(host)));
    let why = "this relay does not answer to that name (see its --hostname)\n";
    Some(text(StatusCode::MISDIRECTED_REQUEST, why, false))
}

/// Checks a WebSocket upgrade from `peer`: version 13, a key, the `streamlab.v1` subprotocol,
/// an accepted Origin, and from a trusted proxy the client's address. Returns the
/// `Sec-WebSocket-Accept` value and the client.
fn check_upgrade(
    shared: &Shared,
    req: &Request<Incoming>,
    peer: SocketAddr,
) -> Result<(String, SocketAddr), (StatusCode, String)> {
    let bad = |why: &str| (StatusCode::BAD_REQUEST, why.to_owned());
    let headers = req.headers();
    if req.method() != Method::GET {
        return Err((StatusCode::METHOD_NOT_ALLOWED, "a WebSocket upgrade must be a GET".into()));
    }
    if !has_token(headers, header::UPGRADE, "websocket") || !has_token(headers, header::CONNECTION, "upgrade")
    {
        return Err(bad("not a WebSocket upgrade"));
    }
    if headers.get(header::SEC_WEBSOCKET_VERSION).map(HeaderValue::as_bytes) != Some(b"13") {
        return Err((StatusCode::UPGRADE_REQUIRED, "WebSocket version 13 is required".into()));
    }
    let key = headers.get(header::SEC_WEBSOCKET_KEY).ok_or_else(|| bad("Sec-WebSocket-Key is missing"))?;
    if !has_token(headers, header::SEC_WEBSOCKET_PROTOCOL, SUBPROTOCOL) {
        return Err(bad(&format!("the WebSocket subprotocol {SUBPROTOCOL} is required")));
    }
    let origins: Vec<&HeaderValue> = headers.get_all(header::ORIGIN).iter().collect();
    match origins.as_slice() {
        [] => {}
        [origin] => {
            let origin = origin.to_str().unwrap_or("");
            if !shared.origins.allows(origin) {
                return Err((StatusCode::FORBIDDEN, format!("origin {} is not allowed", shown(origin))));
            }
        }
        // Which one would a check believe? Neither.
        _ => return Err(bad("more than one Origin header")),
    }
    let forwarded = headers.get_all("x-forwarded-for").iter().next_back().and_then(|v| v.to_str().ok());
    let client = shared.proxies.client(peer, forwarded).map_err(|e| bad(&e))?;
    Ok((derive_accept_key(key.as_bytes()), client))
}

/// Whether a comma-separated header holds `token` (case-insensitive).
fn has_token(headers: &HeaderMap, name: header::HeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
}

fn empty() -> Body {
    Full::new(Bytes::new()).map_err(|e: Infallible| match e {}).boxed_unsync()
}

fn text(status: StatusCode, body: &str, head_only: bool) -> Response<Body> {
    respond(status, "text/plain; charset=utf-8", Bytes::copy_from_slice(body.as_bytes()), head_only)
}

fn respond(status: StatusCode, content_type: &'static str, body: Bytes, head_only: bool) -> Response<Body> {
    let length = body.len();
    let body = if head_only { Bytes::new() } else { body };
    let mut response = Response::new(Full::new(body).map_err(|e: Infallible| match e {}).boxed_unsync());
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response.headers_mut().insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    if status.is_client_error() {
        // A client that got something wrong gets its answer and the connection's end.
        response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    finish(response, false)
}

/// The headers every answer carries. A page served by a relay learns so from its own
/// response (`Server-Timing`); a static file may have precompressed variants, and caches ask
/// again (cheaply: `If-Modified-Since`) before using a copy, as the page's names carry no hash.
fn finish(mut response: Response<Body>, file: bool) -> Response<Body> {
    let h = response.headers_mut();
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    let timing = format!("streamlab-relay;desc={SUBPROTOCOL}");
    h.insert("server-timing", HeaderValue::from_str(&timing).expect("a token"));
    if file {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    }
    response
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
