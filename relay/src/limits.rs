//! [`Limits`]: the global and per-client caps — on relayed connections, on open sockets from
//! accept on, and on lookups in progress. A client is one IPv4 address, or one IPv6 /64 (what
//! one host or home usually holds).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, Mutex};

/// The client an address belongs to: the IPv4 address (an IPv4-mapped IPv6 one as IPv4), or
/// the IPv6 address's /64.
///
/// ```
/// use streamlab_relay::limits::client_of;
/// let ip = |s: &str| s.parse::<std::net::IpAddr>().unwrap();
/// assert_eq!(client_of(ip("2001:db8:1:2:aaaa::1")), client_of(ip("2001:db8:1:2:bbbb::9")));
/// assert_ne!(client_of(ip("2001:db8:1:3::1")), client_of(ip("2001:db8:1:2::1")));
/// assert_eq!(client_of(ip("::ffff:10.0.0.1")), ip("10.0.0.1"));
/// ```
pub fn client_of(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !((1u128 << 64) - 1))),
        },
        v4 => v4,
    }
}

/// Counts places (connections, or sockets); a [`Permit`] gives its place back when dropped.
#[derive(Debug)]
pub struct Limits {
    max: usize,
    max_per_ip: usize,
    /// What is counted, for messages ("connections", "sockets", …).
    what: &'static str,
    counts: Mutex<Counts>,
}

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    per_ip: HashMap<IpAddr, usize>,
}

/// A place held (one connection, socket or lookup).
#[derive(Debug)]
pub struct Permit {
    limits: Arc<Limits>,
    /// The client it counts for; none for a place counted in the total only.
    ip: Option<IpAddr>,
}

impl Limits {
    /// Caps of `max` places in all and `max_per_ip` for one client ([`client_of`]), of `what`.
    pub fn new(max: usize, max_per_ip: usize, what: &'static str) -> Arc<Limits> {
        Arc::new(Limits { max, max_per_ip, what, counts: Mutex::default() })
    }

    /// Takes a place for `ip`.
    ///
    /// # Errors
    /// Which cap is full.
    pub fn acquire(self: &Arc<Self>, ip: IpAddr) -> Result<Permit, String> {
        self.take(Some(client_of(ip)))
    }

    /// Takes a place that counts in the total only: for a trusted proxy, whose sockets carry
    /// many clients.
    ///
    /// # Errors
    /// The total is full.
    pub fn acquire_shared(self: &Arc<Self>) -> Result<Permit, String> {
        self.take(None)
    }

    fn take(self: &Arc<Self>, ip: Option<IpAddr>) -> Result<Permit, String> {
        let mut c = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        if c.total >= self.max {
            return Err(format!("the relay is at its limit of {} {}", self.max, self.what));
        }
        if let Some(ip) = ip {
            let mine = c.per_ip.entry(ip).or_default();
            if *mine >= self.max_per_ip {
                return Err(format!(
                    "{ip} already has {} {}, the limit per address",
                    self.max_per_ip, self.what
                ));
            }
            *mine += 1;
        }
        c.total += 1;
        Ok(Permit { limits: Arc::clone(self), ip })
    }

    /// Places now held.
    pub fn active(&self) -> usize {
        self.counts.lock().unwrap_or_else(|e| e.into_inner()).total
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut c = self.limits.counts.lock().unwrap_or_else(|e| e.into_inner());
        c.total -= 1;
        let Some(ip) = self.ip else { return };
        if let Some(n) = c.per_ip.get_mut(&ip) {
            *n -= 1;
            if *n == 0 {
                c.per_ip.remove(&ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_hold_and_places_come_back() {
        let l = Limits::new(3, 2, "connections");
        let a: IpAddr = "127.0.0.1".parse().unwrap();
        let b: IpAddr = "127.0.0.2".parse().unwrap();
        let p1 = l.acquire(a).unwrap();
        let _p2 = l.acquire(a).unwrap();
        assert!(l.acquire(a).unwrap_err().contains("limit per address"));
        let _p3 = l.acquire(b).unwrap();
        assert!(l.acquire(b).unwrap_err().contains("limit of 3"));
        drop(p1);
        assert!(l.acquire(a).is_ok());
        assert_eq!(l.active(), 2, "the permit taken in `is_ok()` was dropped at once");
        let shared = l.acquire_shared().unwrap();
        assert!(l.acquire_shared().unwrap_err().contains("limit of 3"));
        drop(shared);
        assert_eq!(l.active(), 2);
    }
}
