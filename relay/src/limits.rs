//! [`Limits`]: the global and per-client-address caps on relayed connections.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

/// Counts relayed connections; a [`Permit`] gives its place back when dropped.
#[derive(Debug)]
pub struct Limits {
    max: usize,
    max_per_ip: usize,
    counts: Mutex<Counts>,
}

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    per_ip: HashMap<IpAddr, usize>,
}

/// A place held by one relayed connection.
#[derive(Debug)]
pub struct Permit {
    limits: Arc<Limits>,
    ip: IpAddr,
}

impl Limits {
    /// Caps of `max` connections in all and `max_per_ip` from one address.
    pub fn new(max: usize, max_per_ip: usize) -> Arc<Limits> {
        Arc::new(Limits { max, max_per_ip, counts: Mutex::default() })
    }

    /// Takes a place for a connection from `ip`.
    ///
    /// # Errors
    /// Which cap is full.
    pub fn acquire(self: &Arc<Self>, ip: IpAddr) -> Result<Permit, String> {
        let mut c = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        if c.total >= self.max {
            return Err(format!("the relay is at its limit of {} connections", self.max));
        }
        let mine = c.per_ip.entry(ip).or_default();
        if *mine >= self.max_per_ip {
            return Err(format!("{ip} already has {} connections, the limit per address", self.max_per_ip));
        }
        *mine += 1;
        c.total += 1;
        Ok(Permit { limits: Arc::clone(self), ip })
    }

    /// Connections now relayed.
    pub fn active(&self) -> usize {
        self.counts.lock().unwrap_or_else(|e| e.into_inner()).total
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut c = self.limits.counts.lock().unwrap_or_else(|e| e.into_inner());
        c.total -= 1;
        if let Some(n) = c.per_ip.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                c.per_ip.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_hold_and_places_come_back() {
        let l = Limits::new(3, 2);
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
    }
}
