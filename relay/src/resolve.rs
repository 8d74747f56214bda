//! Name resolution: a replaceable [`Resolve`] (the system's by default), and [`Lookups`], which
//! bounds how many run at once — in all and per client — and for how long. A client that asks
//! for names nobody answers holds a few slots for a few seconds, never the relay's threads.

use std::fmt;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

use crate::limits::{Limits, Permit};

/// A lookup in progress.
pub type Lookup = Pin<Box<dyn Future<Output = io::Result<Vec<SocketAddr>>> + Send>>;

/// Turns a name into addresses. The relay's is [`System`]; tests give it one that is slow or
/// lies, so no test ever asks this machine's resolver about a name that could leave it.
///
/// ```
/// use streamlab_relay::resolve::{Lookup, Resolve};
/// struct Fixed;
/// impl Resolve for Fixed {
///     fn lookup(&self, _host: &str, port: u16) -> Lookup {
///         Box::pin(async move { Ok(vec![([127, 0, 0, 1], port).into()]) })
///     }
/// }
/// let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// let addrs = rt.block_on(Fixed.lookup("anything.test", 80)).unwrap();
/// assert_eq!(addrs[0].to_string(), "127.0.0.1:80");
/// ```
pub trait Resolve: Send + Sync + 'static {
    /// The addresses of `host:port` (may be empty).
    fn lookup(&self, host: &str, port: u16) -> Lookup;
}

/// The system's resolver (`getaddrinfo`, so `/etc/hosts` too), on blocking threads — at most
/// [`System::THREADS`] of them: a lookup that hangs in the C library keeps its thread until the
/// library gives up, and the relay's other blocking work (files) must still find threads.
#[derive(Debug)]
pub struct System {
    threads: Arc<Semaphore>,
}

impl System {
    /// Blocking threads resolving at once.
    pub const THREADS: usize = 16;
}

impl Default for System {
    fn default() -> Self {
        System { threads: Arc::new(Semaphore::new(System::THREADS)) }
    }
}

impl Resolve for System {
    fn lookup(&self, host: &str, port: u16) -> Lookup {
        let (threads, host) = (Arc::clone(&self.threads), host.to_owned());
        Box::pin(async move {
            // The thread holds the permit until getaddrinfo returns, even if nobody waits.
            let thread = threads.acquire_owned().await.map_err(io::Error::other)?;
            tokio::task::spawn_blocking(move || {
                let _thread = thread;
                (host.as_str(), port).to_socket_addrs().map(Iterator::collect)
            })
            .await
            .map_err(io::Error::other)?
        })
    }
}

/// The resolver a relay uses: [`System`] unless replaced.
#[derive(Clone)]
pub struct Resolver(pub Arc<dyn Resolve>);

impl Default for Resolver {
    fn default() -> Self {
        Resolver(Arc::new(System::default()))
    }
}

impl fmt::Debug for Resolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Resolver")
    }
}

/// Why a lookup gave no address.
#[derive(Debug, PartialEq, Eq)]
pub enum Unresolved {
    /// The slots of the relay or of this client are all taken: try again later.
    Busy(String),
    /// No answer within the timeout.
    TimedOut,
    /// The resolver failed, or answered no address.
    Failed(String),
}

/// Lookups at once: [`Lookups::MAX`] in all, [`Lookups::MAX_PER_CLIENT`] per client
/// ([`crate::limits::client_of`]), each for at most the connect timeout. A slot is given back
/// when its lookup ends, answered or not.
#[derive(Debug)]
pub struct Lookups {
    resolver: Resolver,
    slots: Arc<Limits>,
    timeout: Duration,
}

impl Lookups {
    /// Lookups at once, in all.
    pub const MAX: usize = 64;
    /// Lookups at once from one client.
    pub const MAX_PER_CLIENT: usize = 4;

    /// Lookups through `resolver`, each given up after `timeout`.
    pub fn new(resolver: Resolver, timeout: Duration) -> Lookups {
        let slots = Limits::new(Lookups::MAX, Lookups::MAX_PER_CLIENT, "lookups");
        Lookups { resolver, slots, timeout }
    }

    /// The addresses of `host:port`, looked up for `client`.
    ///
    /// # Errors
    /// No slot, no answer in time, or no address.
    pub async fn resolve(
        &self,
        client: IpAddr,
        host: &str,
        port: u16,
    ) -> Result<Vec<SocketAddr>, Unresolved> {
        let slot: Permit = self.slots.acquire(client).map_err(Unresolved::Busy)?;
        let answer = tokio::time::timeout(self.timeout, self.resolver.0.lookup(host, port)).await;
        drop(slot);
        match answer {
            Err(_) => Err(Unresolved::TimedOut),
            Ok(Err(e)) => Err(Unresolved::Failed(e.to_string())),
            Ok(Ok(addrs)) if addrs.is_empty() => Err(Unresolved::Failed("no address".into())),
            Ok(Ok(addrs)) => Ok(addrs),
        }
    }
}
