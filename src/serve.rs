//! [`start_server`]: asyncio's `start_server`, inside the page. A server listens on a name
//! and port of the page's own (`'mine.demo', 8888`); [`open_connection`](crate::open_connection)
//! to that address, from the same page, reaches it over the pipe transport — client and
//! server are both streamlab streams, both watchable.
//!
//! ```
//! streamlab::run(async {
//!     let server = streamlab::start_server("mine.demo", 8888, Default::default(), |reader, writer| {
//!         streamlab::runtime::spawn_local(async move {
//!             let line = reader.readline().await.unwrap();
//!             writer.write(&line.to_ascii_uppercase()).unwrap();
//!         })
//!         .unwrap();
//!     })
//!     .unwrap();
//!     let (reader, writer) = streamlab::open_connection("mine.demo", 8888, Default::default()).await.unwrap();
//!     writer.write(b"hello\n").unwrap();
//!     assert_eq!(reader.readline().await.unwrap(), &b"HELLO\n"[..]);
//!     server.close();
//! });
//! ```
//!
//! # Python parity
//! There is no socket: `sockets` are the `(host, port)` pairs the server was given; a name
//! is a name (nothing is resolved); port 0 is refused, not given a free port.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::{Rc, Weak};
use std::task::{Poll, Waker};

use crate::sansio::{PyException, StreamError, DEFAULT_LIMIT};
use crate::stream::{StreamProtocol, StreamReader, StreamWriter};
use crate::transport::{self, Protocol};

/// `start_server`'s keyword arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServerOptions {
    /// The limit of each connection's reader (default 64 KiB).
    pub limit: usize,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions { limit: DEFAULT_LIMIT }
    }
}

/// What a server calls for each connection (`client_connected_cb`).
type OnClient = Rc<dyn Fn(StreamReader, StreamWriter)>;

struct Inner {
    host: String,
    port: u16,
    limit: usize,
    on_client: OnClient,
    serving: Cell<bool>,
    /// Connections not yet closed.
    active: Cell<usize>,
    writers: RefCell<Vec<StreamWriter>>,
    waiters: RefCell<Vec<Waker>>,
}

/// A listening in-page server (asyncio's `Server`).
#[derive(Clone)]
pub struct Server(Rc<Inner>);

thread_local! {
    static SERVERS: RefCell<HashMap<(String, u16), Weak<Inner>>> = RefCell::new(HashMap::new());
}

fn key(host: &str, port: u16) -> (String, u16) {
    (host.to_ascii_lowercase(), port)
}

/// `await asyncio.start_server(client_connected_cb, host, port, limit=…)`, in the page.
///
/// # Errors
/// `ValueError` for `limit=0` or port 0; `OSError` (errno 98) when a server already listens
/// there.
pub fn start_server(
    host: &str,
    port: u16,
    opts: ServerOptions,
    on_client: impl Fn(StreamReader, StreamWriter) + 'static,
) -> Result<Server, StreamError> {
    StreamReader::new(opts.limit)?; // the limit's ValueError, as CPython's first connection would
    if port == 0 {
        return Err(StreamError::Raised(PyException::new(
            "ValueError",
            "port must be 1 to 65535 (an in-page server has no free port to pick)",
        )));
    }
    let taken = SERVERS.with(|s| s.borrow().get(&key(host, port)).and_then(Weak::upgrade).is_some());
    if taken {
        return Err(StreamError::Raised(PyException::with_errno(
            "OSError",
            98,
            format!("error while attempting to bind on address ('{host}', {port}): address already in use"),
        )));
    }
    let inner = Rc::new(Inner {
        host: host.to_owned(),
        port,
        limit: opts.limit,
        on_client: Rc::new(on_client),
        serving: Cell::new(true),
        active: Cell::new(0),
        writers: RefCell::default(),
        waiters: RefCell::default(),
    });
    SERVERS.with(|s| s.borrow_mut().insert(key(host, port), Rc::downgrade(&inner)));
    Ok(Server(inner))
}

/// Whether a server of this page's own listens on `host`, on any port: the name resolves, so
/// a connect to another of its ports is refused, not unresolved (as CPython's would be).
pub(crate) fn serves_host(host: &str) -> bool {
    SERVERS.with(|s| {
        s.borrow().iter().any(|((h, _), server)| h.eq_ignore_ascii_case(host) && server.strong_count() > 0)
    })
}

/// Connects `client` to the in-page server at `host:port`, if one listens there.
pub(crate) fn connect(host: &str, port: u16, client: Rc<dyn Protocol>) -> Option<Result<(), PyException>> {
    let inner = SERVERS.with(|s| s.borrow().get(&key(host, port)).and_then(Weak::upgrade))?;
    let server = Server(inner);
    Some(server.accept(client))
}

impl Server {
    fn accept(&self, client: Rc<dyn Protocol>) -> Result<(), PyException> {
        let inner = &self.0;
        let reader =
            StreamReader::new(inner.limit).map_err(|e| PyException::new("ValueError", e.to_string()))?;
        let protocol = StreamProtocol::new(reader.clone());
        let client_name =
            (format!("{}-client", inner.host), u16::try_from(inner.active.get() + 1).unwrap_or(0));
        transport::pipe::connect(
            client,
            Rc::clone(&protocol) as Rc<dyn Protocol>,
            client_name,
            (inner.host.clone(), inner.port),
        )?;
        let writer = StreamWriter::new(protocol);
        inner.active.set(inner.active.get() + 1);
        inner.writers.borrow_mut().push(writer.clone());
        // The connection counts until it is closed (wait_closed waits for it).
        let server = Rc::downgrade(inner);
        let watched = writer.clone();
        crate::runtime::spawn_local(async move {
            let _ = watched.wait_closed().await;
            if let Some(inner) = server.upgrade() {
                inner.writers.borrow_mut().retain(|w| !w.same_as(&watched));
                inner.active.set(inner.active.get() - 1);
                Server(inner).wake_if_done();
            }
        })?;
        (inner.on_client)(reader, writer);
        Ok(())
    }

    /// `close()`: stops listening (connections go on until they close).
    pub fn close(&self) {
        if self.0.serving.replace(false) {
            SERVERS.with(|s| s.borrow_mut().remove(&key(&self.0.host, self.0.port)));
        }
        self.wake_if_done();
    }

    /// `close_clients()` (3.13): closes every connection it accepted.
    pub fn close_clients(&self) {
        let writers = self.0.writers.borrow().clone();
        for w in writers {
            w.close();
        }
    }

    /// `is_serving()`.
    pub fn is_serving(&self) -> bool {
        self.0.serving.get()
    }

    /// `sockets`, as the addresses they listen on.
    pub fn addresses(&self) -> Vec<(String, u16)> {
        match self.is_serving() {
            true => vec![(self.0.host.clone(), self.0.port)],
            false => vec![],
        }
    }

    /// `await wait_closed()`: until the server is closed and every connection it accepted has
    /// closed (asyncio 3.12+).
    pub async fn wait_closed(&self) {
        std::future::poll_fn(|cx| {
            if !self.0.serving.get() && self.0.active.get() == 0 {
                return Poll::Ready(());
            }
            self.0.waiters.borrow_mut().push(cx.waker().clone());
            Poll::Pending
        })
        .await;
    }

    fn wake_if_done(&self) {
        if !self.0.serving.get() && self.0.active.get() == 0 {
            let waiters = std::mem::take(&mut *self.0.waiters.borrow_mut());
            for w in waiters {
                w.wake();
            }
        }
    }

    /// CPython's `repr`.
    pub fn repr(&self) -> String {
        let sockets: Vec<String> = self.addresses().iter().map(|(h, p)| format!("('{h}', {p})")).collect();
        match sockets.len() {
            0 => "<Server sockets=()>".to_owned(),
            _ => format!("<Server sockets=({},)>", sockets.join(", ")),
        }
    }
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.repr())
    }
}
