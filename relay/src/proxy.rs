//! [`Proxies`]: behind a load balancer every socket comes from the balancer, so the relay
//! takes the client's address from `X-Forwarded-For` — but only from the proxies it was told
//! to trust (`--trusted-proxy`); from anyone else that header is a client's claim, ignored.

use std::net::{IpAddr, SocketAddr};

/// The trusted proxies' addresses.
#[derive(Clone, Debug, Default)]
pub struct Proxies(Vec<IpAddr>);

impl Proxies {
    /// The `--trusted-proxy` addresses.
    pub fn new(trusted: &[IpAddr]) -> Proxies {
        Proxies(trusted.iter().map(|ip| ip.to_canonical()).collect())
    }

    /// Whether a socket from `peer` is a trusted proxy's: its sockets carry many clients, so
    /// they are not capped per client (the relay's total still holds).
    pub fn trusts(&self, peer: IpAddr) -> bool {
        self.0.contains(&peer.to_canonical())
    }

    /// The client a request is from: `peer` itself, or for a trusted proxy the last address
    /// of its `X-Forwarded-For` (the one that proxy wrote; earlier ones are the client's
    /// claims). A trusted proxy's request without a valid one is refused.
    ///
    /// ```
    /// use streamlab_relay::proxy::Proxies;
    /// let nginx = "127.0.0.1:40000".parse().unwrap();
    /// let proxies = Proxies::new(&["127.0.0.1".parse().unwrap()]);
    /// let client = proxies.client(nginx, Some("6.6.6.6, 203.0.113.9")).unwrap();
    /// assert_eq!(client.ip().to_string(), "203.0.113.9");
    /// // Anyone else's header is ignored.
    /// let other = "127.0.0.2:5000".parse().unwrap();
    /// assert_eq!(proxies.client(other, Some("203.0.113.9")).unwrap(), other);
    /// ```
    ///
    /// # Errors
    /// A trusted proxy sent no valid `X-Forwarded-For`.
    pub fn client(&self, peer: SocketAddr, forwarded_for: Option<&str>) -> Result<SocketAddr, String> {
        if !self.trusts(peer.ip()) {
            return Ok(peer);
        }
        let last = forwarded_for.and_then(|v| v.rsplit(',').next()).map(str::trim).unwrap_or("");
        let ip = last.parse::<IpAddr>().map_err(|_| {
            format!("a trusted proxy's request needs X-Forwarded-For with the client's address, got {last:?}")
        })?;
        Ok(SocketAddr::new(ip, 0))
    }
}
