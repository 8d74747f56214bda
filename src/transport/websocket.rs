//! The WebSocket transport (browser only): a relay speaking `streamlab.v1`, or a plain
//! websockify endpoint.
//!
//! The socket owns its event handlers and removes them when the connection ends or the
//! transport is dropped (never `Closure::forget`). Receive flow control is credit: the relay
//! may send only what the page has granted, and what arrives while the reader is paused (more
//! than `2 × limit` buffered) is held here and counts against the window
//! ([`CreditWindow`]), so a page that stops reading stops the TCP sender.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use js_sys::{ArrayBuffer, JsString, Uint8Array};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{BinaryType, CloseEvent, Event, MessageEvent, WebSocket};

use super::sent_log::SentLog;
use super::{Credit, CreditWindow, ExtraInfo, Held, HeldQueue, Payload, Protocol, Transport, WriteFlow};
use crate::protocol::{CloseCode, ConnectRequest, Control, RelayProtocol, MAX_MESSAGE, SUBPROTOCOL};
use crate::runtime;
use crate::sansio::{PyException, StreamError};

/// How often a paused writer looks at `bufferedAmount` (browsers fire no event when it
/// drains): on every task for the first [`FAST_POLL_FOR`] of the pause, then every
/// `RESUME_POLL` — a socket that drains soon resumes without a timer's clamp (Firefox counts
/// its buffer down from its socket thread, many tasks late), one that stays full costs little.
const RESUME_POLL: Duration = Duration::from_millis(4);
/// See [`RESUME_POLL`].
const FAST_POLL_FOR: Duration = Duration::from_millis(16);
/// How much of the user's unsent bytes counts as the socket's send buffer. CPython's `write()`
/// hands bytes to the kernel at once and buffers only what the kernel's send buffer will not
/// take: that rest is `get_write_buffer_size()`, what `drain()` waits on and what `close()`
/// finds to flush. A page's `ws.send()` leaves everything in `bufferedAmount` until the browser
/// sends it (Firefox counts it down late, from its socket thread), so the first `SEND_BUFFER`
/// bytes of it are the kernel's part (Linux lets a socket's send buffer grow to 4 MiB,
/// `tcp_wmem`), and only the rest is the transport's.
const SEND_BUFFER: usize = 256 * 1024;
/// How long a closed connection's socket goes on sending the [`SEND_BUFFER`] part before it
/// closes anyway: a peer that takes nothing does not keep it open.
const LINGER: Duration = Duration::from_secs(10);

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
    protocol: RefCell<Option<Rc<dyn Protocol>>>,
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
    /// What arrived while reading was paused, in order: the messages themselves, in the
    /// browser's memory (wasm's never shrinks) until the reader takes them.
    held: HeldQueue<ArrayBuffer>,
    /// The relay ended the connection cleanly (both sides sent EOF; for websockify, it
    /// closed): as over TCP, it is over only once the page calls `close()`.
    ended: bool,
    credit: Option<CreditWindow>,
    /// What was sent, to tell the user's unsent bytes from our own control messages.
    sent: SentLog,
    write_flow: WriteFlow,
}

struct Handlers {
    _message: Closure<dyn FnMut(MessageEvent)>,
    _close: Closure<dyn FnMut(CloseEvent)>,
    _error: Closure<dyn FnMut(Event)>,
    _open: Closure<dyn FnMut(Event)>,
}

/// Where to connect, and how.
#[derive(Clone, Copy, Debug)]
pub struct Target<'a> {
    /// The relay's URL.
    pub url: &'a str,
    /// What the relay speaks.
    pub protocol: RelayProtocol,
    /// The target host (the relay resolves it).
    pub host: &'a str,
    /// The target port.
    pub port: u16,
    /// TLS to the target.
    pub ssl: bool,
    /// The TLS server name.
    pub server_hostname: Option<&'a str>,
    /// The relay token for this target, if any.
    pub token: Option<&'a str>,
}

/// Connects `protocol` to the target through the relay; resolves once the target is
/// connected.
///
/// # Errors
/// The exception the relay's close code stands for, or `ConnectionRefusedError` when the
/// relay cannot be reached.
pub async fn connect(target: Target<'_>, protocol: Rc<dyn Protocol>) -> Result<(), StreamError> {
    let websockify = target.protocol == RelayProtocol::Websockify;
    let url = match websockify {
        true => target.url.to_owned(),
        false => {
            let mut req = ConnectRequest::new(target.host, target.port);
            req.tls = target.ssl;
            req.sni = target.server_hostname.map(str::to_owned);
            req.token = target.token.map(str::to_owned);
            format!("{}/connect?{}", target.url.trim_end_matches('/'), req.to_query())
        }
    };
    let ws = match websockify {
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
    let credit = (!websockify).then(CreditWindow::new);
    let t = Rc::new_cyclic(|me| WebSocketTransport {
        me: me.clone(),
        ws,
        url,
        websockify,
        ssl: target.ssl,
        protocol: RefCell::new(Some(Rc::clone(&protocol))),
        handlers: RefCell::new(None),
        state: RefCell::new(State { credit, ..State::default() }),
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
    protocol.connection_made(Rc::clone(&t) as Rc<dyn Transport>);
    t.top_up_credit();
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
        self.unhook();
        self.protocol.borrow_mut().take();
    }

    /// Removes the handlers.
    fn unhook(&self) {
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        self.ws.set_onerror(None);
        self.ws.set_onopen(None);
        self.handlers.borrow_mut().take();
    }

    fn protocol(&self) -> Option<Rc<dyn Protocol>> {
        self.protocol.borrow().clone()
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

    /// Delivers `item` now, or holds it while reading is paused (or something is held).
    fn deliver(&self, item: Held<ArrayBuffer>) {
        {
            let mut s = self.state.borrow_mut();
            // After close() nothing is read any more: the end is not held behind a pause.
            if !s.closing && (s.paused || !s.held.is_empty()) {
                s.held.push_back(item);
                return;
            }
        }
        self.dispatch(item);
    }

    fn dispatch(&self, item: Held<ArrayBuffer>) {
        match item {
            Held::Data(message) => {
                if let Some(protocol) = self.protocol() {
                    // The reader keeps a copy; a read of exactly these bytes may hand out the
                    // message's own buffer.
                    let bytes = Uint8Array::new(&message).to_vec();
                    protocol.data_received_from(&bytes, Box::new(message));
                }
            }
            Held::Eof => {
                if let Some(protocol) = self.protocol() {
                    protocol.eof_received();
                }
            }
            Held::End(None) => {
                // A clean end (as a FIN both ways): over once the page closes.
                self.state.borrow_mut().ended = true;
                if self.websockify {
                    if let Some(protocol) = self.protocol() {
                        protocol.eof_received(); // websockify's close is the peer's EOF
                    }
                }
                if self.state.borrow().closing {
                    self.lost(None);
                }
            }
            Held::End(exc) => self.lost(exc),
        }
    }

    /// Delivers what was held while paused, until reading pauses again.
    fn release_held(&self) {
        loop {
            let item = {
                let mut s = self.state.borrow_mut();
                if s.paused {
                    return;
                }
                match s.held.pop_front() {
                    Some(item) => item,
                    None => return,
                }
            };
            self.dispatch(item);
        }
    }

    fn on_message(&self, data: JsValue) {
        let data = match data.dyn_into::<ArrayBuffer>() {
            Ok(message) => {
                if let Some(credit) = self.state.borrow_mut().credit.as_mut() {
                    credit.received(message.size());
                }
                self.deliver(Held::Data(message));
                self.top_up_credit();
                return;
            }
            Err(data) => data,
        };
        let Some(text) = data.dyn_ref::<JsString>().and_then(|s| s.as_string()) else { return };
        match Control::parse(&text) {
            Ok(Control::Connected { peername, sockname }) if !self.state.borrow().connected => {
                self.connected(peername, sockname)
            }
            Ok(Control::Eof) => self.deliver(Held::Eof),
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
        // Stop listening (the socket is closed), but keep the protocol until the end is
        // delivered: it may wait behind held data, or for the page's close().
        self.unhook();
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
        self.deliver(Held::End(exc));
    }

    /// The connection is over; before `connected`, the connect itself fails with it.
    fn lost(&self, exc: Option<PyException>) {
        if !self.state.borrow().connected {
            let exc = exc.unwrap_or_else(|| PyException::new("ConnectionResetError", "Connection lost"));
            self.resolve_connect(Err(exc));
        } else if let Some(protocol) = self.protocol() {
            protocol.connection_lost(exc);
        }
        self.finish();
    }

    /// Keeps the relay's credit topped up to the window, less what is held unread.
    fn top_up_credit(&self) {
        let grant = {
            let mut s = self.state.borrow_mut();
            // Nothing is granted once the page closes, the relay ended it, or the socket is
            // going away (a reset's close frame came; its end may still wait behind data).
            if s.closing || s.ended || self.ws.ready_state() != WebSocket::OPEN {
                return;
            }
            let held = s.held.bytes();
            match s.credit.as_mut().and_then(|c| c.top_up(held)) {
                Some(grant) => grant,
                None => return,
            }
        };
        self.send_control(&Control::Credit { bytes: grant });
        if let Some(protocol) = self.protocol() {
            protocol.credit_granted(grant);
        }
    }

    /// The user's bytes not yet sent (`bufferedAmount` less our own control messages).
    fn user_unsent(&self) -> usize {
        let unsent = u64::from(self.ws.buffered_amount());
        self.state.borrow_mut().sent.user_unsent(unsent) as usize
    }

    /// The transport's own write buffer: the user's unsent bytes beyond [`SEND_BUFFER`].
    fn write_buffered(&self) -> usize {
        self.user_unsent().saturating_sub(SEND_BUFFER)
    }

    /// Above the high-water mark: pause the protocol, and poll until the buffer drained.
    fn maybe_pause_writing(&self) {
        let unsent = self.write_buffered();
        if !self.state.borrow_mut().write_flow.after_write(unsent) {
            return;
        }
        if let Some(protocol) = self.protocol() {
            protocol.pause_writing();
        }
        let me = self.me.clone();
        let paused = runtime::Instant::now();
        wasm_bindgen_futures::spawn_local(async move {
            loop {
                match paused.elapsed() < FAST_POLL_FOR {
                    true => runtime::next_task().await,
                    false => runtime::sleep(RESUME_POLL).await,
                }
                let Some(me) = me.upgrade() else { return };
                let Some(protocol) = me.protocol() else { return };
                // The relay's close frame came (a reset, say): the browser may still flush
                // its queue to the relay, which reads it away while it closes, but that is no
                // drain. The close event, still to come, ends the connection with its cause.
                if me.ws.ready_state() >= WebSocket::CLOSING {
                    return;
                }
                let unsent = me.write_buffered();
                if me.state.borrow_mut().write_flow.after_drain(unsent) {
                    protocol.resume_writing();
                    return;
                }
            }
        });
    }

    fn send_control(&self, msg: &Control) {
        let text = msg.to_text();
        let unsent = u64::from(self.ws.buffered_amount());
        self.state.borrow_mut().sent.push(text.len(), false, unsent);
        let _ = self.ws.send_with_str(&text);
    }
}

impl Payload for ArrayBuffer {
    fn size(&self) -> usize {
        self.byte_length() as usize
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

impl std::fmt::Debug for WebSocketTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.repr())
    }
}

impl Transport for WebSocketTransport {
    /// One message per [`MAX_MESSAGE`] bytes at most (the relay refuses larger ones).
    fn write(&self, data: &[u8]) {
        for piece in data.chunks(MAX_MESSAGE) {
            let unsent = u64::from(self.ws.buffered_amount());
            self.state.borrow_mut().sent.push(piece.len(), true, unsent);
            let _ = self.ws.send_with_u8_array(piece);
        }
        self.maybe_pause_writing();
    }

    fn write_eof(&self) {
        self.send_control(&Control::Eof);
    }

    fn close(&self) {
        let held_end = {
            let mut s = self.state.borrow_mut();
            s.closing = true;
            // CPython stops reading at once: what the kernel held is dropped. An end that came
            // behind it (the relay's close, while reading was paused) is kept.
            s.held.clear()
        };
        // Stop reading at once; `close` stays installed until the connection is lost, so a
        // failure while the transport's own buffer flushes still ends it with its exception.
        self.ws.set_onmessage(None);
        let me = self.me.upgrade();
        // CPython counts the connection as lost once its transport's buffer is flushed (at once
        // when it is empty); the kernel still sends what it took: here the SEND_BUFFER part.
        let flushed = self.write_buffered() == 0;
        wasm_bindgen_futures::spawn_local(async move {
            let Some(me) = me else { return };
            if !flushed {
                // Our own control messages need no waiting: the close frame queues behind them.
                while me.write_buffered() > 0 && me.ws.ready_state() < WebSocket::CLOSING {
                    runtime::sleep(RESUME_POLL).await;
                }
                if me.ws.ready_state() >= WebSocket::CLOSING {
                    // The socket went away while the buffer flushed (Firefox then counts nothing
                    // unsent): the relay's close frame came. Its close event, still to come, ends
                    // the connection with its cause — unless it came already, while reading was
                    // paused, or the relay had ended it cleanly.
                    match held_end {
                        Some(exc) => me.lost(exc),
                        None if me.state.borrow().ended => me.lost(None),
                        None => {}
                    }
                    return;
                }
            }
            me.lost(None); // once: the protocol is gone after it
            let linger = runtime::Instant::now();
            while me.user_unsent() > 0
                && me.ws.ready_state() < WebSocket::CLOSING
                && linger.elapsed() < LINGER
            {
                runtime::sleep(RESUME_POLL).await;
            }
            if me.ws.ready_state() < WebSocket::CLOSING {
                let _ = me.ws.close_with_code(1000);
            }
        });
    }

    fn is_closing(&self) -> bool {
        self.state.borrow().closing
    }

    /// The user's bytes not yet sent (`bufferedAmount` less our own control messages), beyond
    /// the [`SEND_BUFFER`] a kernel would have taken.
    fn get_write_buffer_size(&self) -> usize {
        self.write_buffered()
    }

    fn get_write_buffer_limits(&self) -> (usize, usize) {
        self.state.borrow().write_flow.limits()
    }

    fn is_reading(&self) -> bool {
        let s = self.state.borrow();
        !s.paused && !s.closing && !s.ended
    }

    fn credit(&self) -> Option<Credit> {
        self.state.borrow().credit.as_ref().map(CreditWindow::state)
    }

    fn pause_reading(&self) {
        self.state.borrow_mut().paused = true;
    }

    fn resume_reading(&self) {
        let held = {
            let mut s = self.state.borrow_mut();
            s.paused = false;
            !s.held.is_empty()
        };
        if held {
            // On the loop's next turn (a task, after every ready callback), as CPython's
            // transport reads the socket again only after its next select().
            let me = self.me.clone();
            wasm_bindgen_futures::spawn_local(async move {
                runtime::next_task().await;
                if let Some(me) = me.upgrade() {
                    me.release_held();
                    me.top_up_credit();
                }
            });
        }
        self.top_up_credit();
    }

    /// # Python parity
    /// Over websockify there is no half-close (and over TLS, as in CPython, none either).
    fn can_write_eof(&self) -> bool {
        !self.ssl && !self.websockify
    }

    fn extra_info(&self, name: &str) -> Option<ExtraInfo> {
        if name == "sslcontext" {
            return self.ssl.then_some(ExtraInfo::SslContext);
        }
        let s = self.state.borrow();
        ExtraInfo::of_addresses(name, &s.sockname, &s.peername)
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
