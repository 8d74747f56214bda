//! The WebSocket transport (browser only): a relay speaking `streamlab.v1`, or a plain
//! websockify endpoint.
//!
//! The socket owns its event handlers and removes them when the connection ends or the
//! transport is dropped (never `Closure::forget`). Receive flow control is credit: the relay
//! may send only what the page has granted, and the page grants only while the reader is not
//! paused (more than `2 × limit` buffered), so a page that stops reading stops the TCP sender.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};

use js_sys::{ArrayBuffer, JsString, Uint8Array};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{BinaryType, CloseEvent, Event, MessageEvent, WebSocket};

use crate::protocol::{CloseCode, ConnectRequest, Control, SUBPROTOCOL};
use crate::sansio::{PyException, StreamError};
use crate::stream::{Connection, OpenOptions, Relay};
use crate::transport::{ExtraInfo, Transport};

static LIVE: AtomicUsize = AtomicUsize::new(0);

/// How many WebSocket transports exist now (for leak checks): one that is never freed, by a
/// cycle or a forgotten handle, stays counted.
pub fn live_transports() -> usize {
    LIVE.load(Ordering::Relaxed)
}

/// A connection through a relay.
pub struct WebSocketTransport {
    me: std::rc::Weak<WebSocketTransport>,
    ws: WebSocket,
    url: String,
    websockify: bool,
    ssl: bool,
    conn: RefCell<Option<Rc<Connection>>>,
    handlers: RefCell<Option<Handlers>>,
    state: RefCell<State>,
}

#[derive(Default)]
struct State {
    /// The `connected` message (or, for websockify, `open`) arrived.
    connected: bool,
    /// How connecting ended, for the `connect` future.
    outcome: Option<Result<(), PyException>>,
    connect_waker: Option<std::task::Waker>,
    peername: (String, u16),
    sockname: (String, u16),
    closing: bool,
    paused: bool,
    /// Credit granted and not yet used by data received.
    outstanding: u64,
    /// The credit window: the most the relay may send ahead.
    window: u64,
    /// What was sent, to tell the user's unsent bytes from our own control messages.
    sent: SentLog,
}

/// `bufferedAmount` counts every unsent byte, our credit messages too; `write()`'s flow control
/// and `close()` must see only the user's. Sends leave in order, so the unsent bytes are the
/// last `bufferedAmount` of what was sent.
#[derive(Default)]
struct SentLog {
    total: u64,
    /// (end offset, length, whether it is user data), oldest first.
    frames: VecDeque<(u64, u64, bool)>,
}

impl SentLog {
    /// Records a send; `unsent` (the socket's `bufferedAmount` before it) prunes what left.
    fn push(&mut self, len: usize, user: bool, unsent: u64) {
        self.user_unsent(unsent);
        self.total += len as u64;
        self.frames.push_back((self.total, len as u64, user));
    }

    /// The user's bytes among the last `unsent` bytes sent.
    fn user_unsent(&mut self, unsent: u64) -> u64 {
        let sent_out = self.total.saturating_sub(unsent);
        while self.frames.front().is_some_and(|&(end, _, _)| end <= sent_out) {
            self.frames.pop_front();
        }
        self.frames
            .iter()
            .filter(|&&(_, _, user)| user)
            .map(|&(end, len, _)| len.min(end.saturating_sub(sent_out)))
            .sum()
    }
}

struct Handlers {
    _message: Closure<dyn FnMut(MessageEvent)>,
    _close: Closure<dyn FnMut(CloseEvent)>,
    _error: Closure<dyn FnMut(Event)>,
    _open: Closure<dyn FnMut(Event)>,
}

/// Connects `conn` to `host:port` through `relay`; resolves once the target is connected.
///
/// # Errors
/// The exception the relay's close code stands for, or `ConnectionRefusedError` when the
/// relay cannot be reached.
pub async fn connect(
    relay: &Relay,
    host: &str,
    port: u16,
    opts: &OpenOptions,
    conn: &Rc<Connection>,
) -> Result<(), StreamError> {
    let url = match relay.websockify {
        true => relay.url.clone(),
        false => {
            let mut req = ConnectRequest::new(host, port);
            req.tls = opts.ssl;
            req.sni = opts.server_hostname.clone();
            format!("{}/connect?{}", relay.url.trim_end_matches('/'), req.to_query())
        }
    };
    let ws = match relay.websockify {
        true => WebSocket::new(&url),
        false => WebSocket::new_with_str(&url, SUBPROTOCOL),
    }
    .map_err(|e| {
        StreamError::Raised(PyException::new(
            "ValueError",
            format!("bad relay URL {url:?}: {}", js_message(&e)),
        ))
    })?;
    ws.set_binary_type(BinaryType::Arraybuffer);
    let window = (opts.limit as u64).clamp(16 * 1024, 1024 * 1024);
    let t = Rc::new_cyclic(|me| WebSocketTransport {
        me: me.clone(),
        ws,
        url,
        websockify: relay.websockify,
        ssl: opts.ssl,
        conn: RefCell::new(Some(Rc::clone(conn))),
        handlers: RefCell::new(None),
        state: RefCell::new(State { window, ..State::default() }),
    });
    LIVE.fetch_add(1, Ordering::Relaxed);
    t.install_handlers();
    // Dropping this future before the connection is up (a cancelled connect) closes the socket.
    let mut guard = CancelGuard(Some(Rc::clone(&t)));
    let outcome = std::future::poll_fn(|cx| {
        let mut s = t.state.borrow_mut();
        match s.outcome.take() {
            Some(o) => std::task::Poll::Ready(o),
            None => {
                s.connect_waker = Some(cx.waker().clone());
                std::task::Poll::Pending
            }
        }
    })
    .await;
    guard.0 = None; // settled: no longer a cancellation
    outcome.map_err(StreamError::Raised)?;
    conn.attach(Rc::clone(&t) as Rc<dyn Transport>);
    if !t.websockify {
        t.top_up_credit();
    }
    Ok(())
}

struct CancelGuard(Option<Rc<WebSocketTransport>>);

impl Drop for CancelGuard {
    fn drop(&mut self) {
        if let Some(t) = self.0.take() {
            t.finish();
            let _ = t.ws.close();
        }
    }
}

impl WebSocketTransport {
    fn install_handlers(self: &Rc<Self>) {
        let this = Rc::clone(self);
        let message =
            Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| this.on_message(e.data()));
        let this = Rc::clone(self);
        let close =
            Closure::<dyn FnMut(CloseEvent)>::new(move |e: CloseEvent| this.on_close(e.code(), e.reason()));
        // `error` carries no detail (a plain Event); the `close` that follows does.
        let error = Closure::<dyn FnMut(Event)>::new(|_e: Event| {});
        let this = Rc::clone(self);
        let open = Closure::<dyn FnMut(Event)>::new(move |_e: Event| {
            if this.websockify {
                this.connected(("?".into(), 0), ("?".into(), 0));
            }
        });
        self.ws.set_onmessage(Some(message.as_ref().unchecked_ref()));
        self.ws.set_onclose(Some(close.as_ref().unchecked_ref()));
        self.ws.set_onerror(Some(error.as_ref().unchecked_ref()));
        self.ws.set_onopen(Some(open.as_ref().unchecked_ref()));
        *self.handlers.borrow_mut() =
            Some(Handlers { _message: message, _close: close, _error: error, _open: open });
    }

    /// Removes the handlers (breaking the socket ↔ handler cycle) and lets go of the connection.
    fn finish(&self) {
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        self.ws.set_onerror(None);
        self.ws.set_onopen(None);
        self.handlers.borrow_mut().take();
        self.conn.borrow_mut().take();
    }

    fn conn(&self) -> Option<Rc<Connection>> {
        self.conn.borrow().clone()
    }

    fn resolve_connect(&self, outcome: Result<(), PyException>) {
        let waker = {
            let mut s = self.state.borrow_mut();
            s.outcome = Some(outcome);
            s.connect_waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }

    fn connected(&self, peer: (String, u16), local: (String, u16)) {
        {
            let mut s = self.state.borrow_mut();
            s.connected = true;
            s.peername = peer;
            s.sockname = local;
        }
        self.resolve_connect(Ok(()));
    }

    fn on_message(&self, data: JsValue) {
        if let Some(buf) = data.dyn_ref::<ArrayBuffer>() {
            let bytes = Uint8Array::new(buf).to_vec();
            if !self.websockify {
                let mut s = self.state.borrow_mut();
                s.outstanding = s.outstanding.saturating_sub(bytes.len() as u64);
            }
            if let Some(conn) = self.conn() {
                conn.data_received(&bytes);
            }
            if !self.websockify {
                self.top_up_credit();
            }
            return;
        }
        let Some(text) = data.dyn_ref::<JsString>().and_then(|s| s.as_string()) else { return };
        match Control::parse(&text) {
            Ok(Control::Connected { peername, sockname }) if !self.state.borrow().connected => {
                self.connected(peername, sockname)
            }
            Ok(Control::Eof) => {
                if let Some(conn) = self.conn() {
                    conn.eof_received();
                }
            }
            other => {
                let why = match other {
                    Err(e) => e.0,
                    Ok(msg) => format!("unexpected {msg:?}"),
                };
                let _ =
                    self.ws.close_with_code_and_reason(CloseCode::BadRequest.code(), "bad control message");
                self.lost(Some(PyException::new(
                    "ConnectionResetError",
                    format!("the relay broke the protocol: {why}"),
                )));
            }
        }
    }

    fn on_close(&self, code: u16, reason: String) {
        if !self.state.borrow().connected {
            self.resolve_connect(Err(connect_error(code, &reason, &self.url)));
            self.finish();
            return;
        }
        let exc = match (code, self.websockify) {
            (1000, _) | (_, true) => None, // a clean end; for websockify, close is EOF
            (code, _) => Some(match CloseCode::from_code(code) {
                Some(c) => c.python_exception(&reason),
                None => PyException::with_errno(
                    "ConnectionResetError",
                    104,
                    format!(
                        "connection to the relay lost (WebSocket close {code}{})",
                        if reason.is_empty() { String::new() } else { format!(": {reason}") }
                    ),
                ),
            }),
        };
        self.lost(exc);
    }

    /// The connection is over; before `connected`, the connect itself fails with it.
    fn lost(&self, exc: Option<PyException>) {
        if !self.state.borrow().connected {
            let exc = exc.unwrap_or_else(|| PyException::new("ConnectionResetError", "Connection lost"));
            self.resolve_connect(Err(exc));
        } else if let Some(conn) = self.conn() {
            conn.connection_lost(exc);
        }
        self.finish();
    }

    /// Keeps the relay's credit topped up to the window, unless the reader paused.
    fn top_up_credit(&self) {
        let grant = {
            let mut s = self.state.borrow_mut();
            if s.paused || s.closing || s.outstanding >= s.window / 2 {
                return;
            }
            let grant = s.window - s.outstanding;
            s.outstanding = s.window;
            grant
        };
        self.send_control(&Control::Credit { bytes: grant });
    }

    fn send_control(&self, msg: &Control) {
        let text = msg.to_text();
        let unsent = u64::from(self.ws.buffered_amount());
        self.state.borrow_mut().sent.push(text.len(), false, unsent);
        let _ = self.ws.send_with_str(&text);
    }
}

fn connect_error(code: u16, reason: &str, url: &str) -> PyException {
    match CloseCode::from_code(code) {
        Some(c) => c.python_exception(reason),
        // 1006: the handshake failed (relay down, Origin refused, …): the browser says no more.
        None => PyException::with_errno(
            "ConnectionRefusedError",
            111,
            format!("cannot reach the relay at {url} (WebSocket close {code})"),
        ),
    }
}

fn js_message(e: &JsValue) -> String {
    e.dyn_ref::<js_sys::Error>().map_or_else(|| format!("{e:?}"), |e| String::from(e.message()))
}

impl Transport for WebSocketTransport {
    fn send(&self, data: &[u8]) {
        let unsent = u64::from(self.ws.buffered_amount());
        self.state.borrow_mut().sent.push(data.len(), true, unsent);
        let _ = self.ws.send_with_u8_array(data);
    }

    fn send_eof(&self) {
        self.send_control(&Control::Eof);
    }

    fn close(&self) {
        self.state.borrow_mut().closing = true;
        // Stop reading at once; `close` stays installed, so a failure during the flush still
        // ends the connection with its exception.
        self.ws.set_onmessage(None);
        let me = self.me.upgrade();
        // Flush what the user wrote (our own control messages need no waiting: the close
        // frame queues behind them), then end cleanly on a later tick, as CPython does.
        wasm_bindgen_futures::spawn_local(async move {
            let Some(me) = me else { return };
            while me.buffered_amount() > 0 && me.ws.ready_state() < WebSocket::CLOSING {
                crate::runtime::sleep(std::time::Duration::from_millis(4)).await;
            }
            if me.ws.ready_state() < WebSocket::CLOSING {
                let _ = me.ws.close_with_code(1000);
            }
            // A no-op if the socket's own close already ended the connection with an error.
            me.lost(None);
        });
    }

    /// The user's bytes not yet sent (`bufferedAmount` less our own control messages).
    fn buffered_amount(&self) -> usize {
        let unsent = u64::from(self.ws.buffered_amount());
        self.state.borrow_mut().sent.user_unsent(unsent) as usize
    }

    fn pause_reading(&self) {
        self.state.borrow_mut().paused = true;
    }

    fn resume_reading(&self) {
        self.state.borrow_mut().paused = false;
        if !self.websockify {
            self.top_up_credit();
        }
    }

    /// # Python parity
    /// Over websockify there is no half-close (and over TLS, as in CPython, none either).
    fn can_write_eof(&self) -> bool {
        !self.ssl && !self.websockify
    }

    fn extra_info(&self, name: &str) -> Option<ExtraInfo> {
        let s = self.state.borrow();
        match name {
            "peername" => Some(ExtraInfo::Address(s.peername.0.clone(), s.peername.1)),
            "sockname" => Some(ExtraInfo::Address(s.sockname.0.clone(), s.sockname.1)),
            "sslcontext" if self.ssl => Some(ExtraInfo::SslContext),
            "socket" => Some(ExtraInfo::Socket { laddr: s.sockname.clone(), raddr: s.peername.clone() }),
            _ => None,
        }
    }

    fn repr(&self) -> String {
        let s = self.state.borrow();
        let closing = if s.closing { " closing" } else { "" };
        format!("<WebSocketTransport {} peer=('{}', {}){closing}>", self.url, s.peername.0, s.peername.1)
    }
}

impl Drop for WebSocketTransport {
    fn drop(&mut self) {
        LIVE.fetch_sub(1, Ordering::Relaxed);
        self.finish();
        if self.ws.ready_state() < WebSocket::CLOSING {
            let _ = self.ws.close();
        }
    }
}
