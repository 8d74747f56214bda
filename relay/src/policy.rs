//! [`Policy`]: which targets the relay may connect to — deny by default.
//!
//! The decision is a pure function of the requested host and port and the addresses the name
//! resolved to, so every refused range is tested without ever connecting anywhere.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// One `--allow HOST:PORT` rule; the port may be `*`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    host: RuleHost,
    port: Option<u16>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum RuleHost {
    Name(String),
    Ip(IpAddr),
}

impl Rule {
    /// Parses `HOST:PORT`, `HOST:*`, `[IPV6]:PORT`.
    ///
    /// ```
    /// use streamlab_relay::policy::Rule;
    /// assert!(Rule::parse("example.com:443").is_ok());
    /// assert!(Rule::parse("[::1]:*").is_ok());
    /// assert!(Rule::parse("example.com").is_err());
    /// ```
    ///
    /// # Errors
    /// A missing port, a port out of range, or a host that is neither a name nor an address.
    pub fn parse(text: &str) -> Result<Rule, String> {
        let (host, port) =
            text.rsplit_once(':').ok_or_else(|| format!("{text:?}: expected HOST:PORT or HOST:*"))?;
        let port = match port {
            "*" => None,
            p => Some(
                p.parse::<u16>()
                    .ok()
                    .filter(|&p| p > 0)
                    .ok_or_else(|| format!("{text:?}: bad port {p:?}"))?,
            ),
        };
        let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
        let host = match host.parse::<IpAddr>() {
            Ok(ip) => RuleHost::Ip(canonical(ip)),
            Err(_)
                if !host.is_empty()
                    && host.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)) =>
            {
                RuleHost::Name(host.to_ascii_lowercase())
            }
            Err(_) => return Err(format!("{text:?}: bad host {host:?}")),
        };
        Ok(Rule { host, port })
    }

    fn port_matches(&self, port: u16) -> bool {
        self.port.is_none_or(|p| p == port)
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.host {
            RuleHost::Name(n) => write!(f, "{n}")?,
            RuleHost::Ip(IpAddr::V6(ip)) => write!(f, "[{ip}]")?,
            RuleHost::Ip(ip) => write!(f, "{ip}")?,
        }
        match self.port {
            Some(p) => write!(f, ":{p}"),
            None => f.write_str(":*"),
        }
    }
}

/// The target policy.
#[derive(Clone, Debug, Default)]
pub struct Policy {
    /// `--allow` rules.
    pub allow: Vec<Rule>,
    /// `--allow-public`: any host whose addresses are all public.
    pub allow_public: bool,
}

impl Policy {
    /// Whether `host:port` could be allowed at all, decided before any name is resolved: a
    /// name is looked up only when `--allow-public` is on or a rule names it (or, for a
    /// numeric spelling such as `127.1`, an IP rule for the port exists). So no client can use
    /// the relay to probe its resolver, or make it resolve names it would refuse anyway.
    ///
    /// ```
    /// use streamlab_relay::policy::{Policy, Rule};
    /// let p = Policy { allow: vec![Rule::parse("127.0.0.1:8080").unwrap()], allow_public: false };
    /// assert!(p.may_allow("127.1", 8080).is_ok()); // a numeric spelling: judged once resolved
    /// assert!(p.may_allow("localhost", 8080).is_err()); // a name no rule names: no lookup
    /// ```
    ///
    /// # Errors
    /// The reason, as [`decide`](Self::decide) gives it.
    pub fn may_allow(&self, host: &str, port: u16) -> Result<(), String> {
        if self.allow_public {
            return Ok(());
        }
        let bare = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
        let numeric = bare.parse::<IpAddr>().is_ok()
            || (!bare.is_empty()
                && bare.bytes().all(|b| b.is_ascii_hexdigit() || b"xX.".contains(&b))
                && bare.bytes().next().is_some_and(|b| b.is_ascii_digit()));
        let possible = self.allow.iter().any(|r| {
            r.port_matches(port)
                && match &r.host {
                    RuleHost::Name(n) => n.eq_ignore_ascii_case(host),
                    RuleHost::Ip(_) => numeric,
                }
        });
        match possible {
            true => Ok(()),
            false => Err(format!("{host}:{port} is not in the relay's allow list")),
        }
    }

    /// Decides whether `host:port`, which resolved to `addrs`, may be reached.
    ///
    /// Allowed when the host (by name or address) and port match an `--allow` rule, or
    /// `--allow-public` is on; **and** every resolved address is public or itself allowed by
    /// an IP rule for this port. Loopback, private, link-local, CGNAT, ULA, multicast,
    /// reserved and IPv4-mapped forms of them are refused unless allowed by IP.
    ///
    /// ```
    /// use std::net::IpAddr;
    /// use streamlab_relay::policy::{Policy, Rule};
    /// let p = Policy { allow: vec![Rule::parse("localhost:8080").unwrap()], allow_public: false };
    /// let lo: IpAddr = "127.0.0.1".parse().unwrap();
    /// // Allowed by name, but the name resolves to loopback, which only an IP rule allows.
    /// assert!(p.decide("localhost", 8080, &[lo]).is_err());
    /// ```
    ///
    /// # Errors
    /// The reason, for the log and the close frame.
    pub fn decide(&self, host: &str, port: u16, addrs: &[IpAddr]) -> Result<(), String> {
        if addrs.is_empty() {
            return Err(format!("{host} has no address"));
        }
        let host_ip =
            host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host).parse::<IpAddr>().ok();
        let named = self.allow.iter().any(|r| {
            r.port_matches(port)
                && match &r.host {
                    RuleHost::Name(n) => host_ip.is_none() && n.eq_ignore_ascii_case(host),
                    RuleHost::Ip(ip) => host_ip.map(canonical) == Some(*ip),
                }
        });
        let ip_allowed = |ip: IpAddr| {
            self.allow.iter().any(|r| r.port_matches(port) && r.host == RuleHost::Ip(canonical(ip)))
        };
        // Every address an IP rule allows counts as allowed by it (for numeric forms like 127.1).
        let all_by_ip = addrs.iter().all(|&ip| ip_allowed(ip));
        if !(named || all_by_ip || self.allow_public) {
            return Err(format!("{host}:{port} is not in the relay's allow list"));
        }
        for &ip in addrs {
            if let Some(range) = refused_range(ip) {
                if !ip_allowed(ip) {
                    return Err(format!(
                        "{host} resolves to {ip}, {range}, which is never relayed unless allowed by IP"
                    ));
                }
            }
        }
        Ok(())
    }
}

/// The address a dual-stack socket dials: an IPv4-mapped `::ffff:a.b.c.d` is the IPv4
/// address; every other form (IPv4-compatible `::a.b.c.d`, NAT64 `64:ff9b::a.b.c.d`, …) is an
/// IPv6 address of its own, which an IPv4 rule never matches.
///
/// ```
/// use streamlab_relay::policy::canonical;
/// let ip = |s: &str| s.parse::<std::net::IpAddr>().unwrap();
/// assert_eq!(canonical(ip("::ffff:127.0.0.1")), ip("127.0.0.1"));
/// assert_eq!(canonical(ip("::127.0.0.1")), ip("::7f00:1"));
/// ```
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The IPv4 address a NAT64 translator reaches for `64:ff9b::a.b.c.d` (RFC 6052's well-known
/// prefix).
fn nat64_v4(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = v6.segments();
    (s[..6] == [0x64, 0xff9b, 0, 0, 0, 0])
        .then(|| Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8))
}

/// The name of the always-refused range holding `ip`, or `None` for a public address.
pub fn refused_range(ip: IpAddr) -> Option<&'static str> {
    match canonical(ip) {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            Some(match (a, b, c) {
                (0, _, _) => "0.0.0.0/8 (this network)",
                (10, _, _) => "10.0.0.0/8 (private, RFC 1918)",
                (100, 64..=127, _) => "100.64.0.0/10 (carrier-grade NAT)",
                (127, _, _) => "127.0.0.0/8 (loopback)",
                (169, 254, _) => "169.254.0.0/16 (link-local, cloud metadata)",
                (172, 16..=31, _) => "172.16.0.0/12 (private, RFC 1918)",
                (192, 0, 0) => "192.0.0.0/24 (IETF protocol assignments)",
                (192, 0, 2) => "192.0.2.0/24 (documentation, TEST-NET-1)",
                (198, 51, 100) => "198.51.100.0/24 (documentation, TEST-NET-2)",
                (203, 0, 113) => "203.0.113.0/24 (documentation, TEST-NET-3)",
                (192, 168, _) => "192.168.0.0/16 (private, RFC 1918)",
                (198, 18..=19, _) => "198.18.0.0/15 (benchmarking)",
                (224..=239, _, _) => "224.0.0.0/4 (multicast)",
                (240..=255, _, _) => "240.0.0.0/4 (reserved, broadcast)",
                _ => return None,
            })
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            Some(match s[0] {
                _ if v6.is_unspecified() => ":: (unspecified)",
                _ if v6.is_loopback() => "::1 (loopback)",
                0xfc00..=0xfdff => "fc00::/7 (unique local)",
                0xfe80..=0xfebf => "fe80::/10 (link-local)",
                0xfec0..=0xfeff => "fec0::/10 (site-local, deprecated)",
                0xff00..=0xffff => "ff00::/8 (multicast)",
                0x2002 => "2002::/16 (6to4, may embed a private address)",
                0x2001 if s[1] == 0x0db8 => "2001:db8::/32 (documentation)",
                0x2001 if s[1] == 0 => "2001::/32 (Teredo, embeds an IPv4 address)",
                0x0064 if s[1] == 0xff9b && s[2] == 1 => {
                    "64:ff9b:1::/48 (local-use NAT64, a site's own translator)"
                }
                0x0064 if nat64_v4(v6).is_some_and(|v4| refused_range(IpAddr::V4(v4)).is_some()) => {
                    "64:ff9b::/96 (NAT64) of a refused IPv4 address"
                }
                0x0000 if s[..4] == [0; 4] && s[4] == 0xffff && s[5] == 0 => {
                    "::ffff:0:0/96 (IPv4-translated)"
                }
                0x0000 if s[..5] == [0; 5] => "::/80 (reserved; IPv4-compatible ::a.b.c.d among it)",
                0x0100 if s[1..4] == [0; 3] => "100::/64 (discard)",
                _ => return None,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn policy(rules: &[&str], public: bool) -> Policy {
        Policy { allow: rules.iter().map(|r| Rule::parse(r).unwrap()).collect(), allow_public: public }
    }

    #[test]
    fn every_refused_range_is_refused_even_with_allow_public() {
        let p = policy(&[], true);
        for addr in [
            "0.0.0.0",
            "0.1.2.3",
            "10.0.0.1",
            "10.255.255.255",
            "100.64.0.1",
            "100.127.255.255",
            "127.0.0.1",
            "127.1.2.3",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.1",
            "192.168.1.1",
            "198.18.0.1",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "febf::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.1.2.3",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b::c0a8:101",
            "2002:c0a8:101::1",
            "::2:3",
            "100::1",
            // IPv4-translated, local-use NAT64, documentation and Teredo forms.
            "::ffff:0:7f00:1",
            "::ffff:0:a9fe:a9fe",
            "64:ff9b:1::a9fe:a9fe",
            "64:ff9b:1::808:808",
            "192.0.2.1",
            "198.51.100.7",
            "203.0.113.9",
            "2001:db8::1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
        ] {
            let err = p.decide("target.example", 80, &[ip(addr)]).unwrap_err();
            assert!(err.contains("never relayed"), "{addr}: {err}");
        }
    }

    #[test]
    fn names_no_rule_could_allow_are_refused_before_any_lookup() {
        let p = policy(&["example.com:443", "127.0.0.1:8080"], false);
        assert!(p.may_allow("example.com", 443).is_ok());
        assert!(p.may_allow("EXAMPLE.com", 443).is_ok());
        for (host, port) in
            [("example.com", 80), ("localhost", 8080), ("other.example", 443), ("a.invalid", 8080)]
        {
            let err = p.may_allow(host, port).unwrap_err();
            assert!(err.contains("allow list"), "{host}:{port}: {err}");
        }
        // Numeric spellings of an address may match an IP rule once resolved.
        for host in ["127.1", "2130706433", "0x7f000001", "127.0.0.1", "[::ffff:127.0.0.1]"] {
            assert!(p.may_allow(host, 8080).is_ok(), "{host}");
            assert!(p.may_allow(host, 9090).is_err(), "{host}: no rule for the port");
        }
        assert!(policy(&[], true).may_allow("anything.example", 1).is_ok());
        assert!(policy(&[], false).may_allow("127.1", 1).is_err());
    }

    #[test]
    fn ip_rules_match_the_address_dialled() {
        // An IPv4 rule matches the IPv4 address and its IPv4-mapped form (which a dual-stack
        // socket dials as IPv4) — never IPv4-compatible or NAT64 forms, IPv6 addresses of their own.
        let p = policy(&["127.0.0.1:8080", "10.0.0.5:80"], false);
        assert!(p.decide("127.0.0.1", 8080, &[ip("127.0.0.1")]).is_ok());
        assert!(p.decide("::ffff:127.0.0.1", 8080, &[ip("::ffff:127.0.0.1")]).is_ok());
        assert!(p.decide("::ffff:10.0.0.5", 80, &[ip("::ffff:10.0.0.5")]).is_ok());
        for (host, addr, port) in [
            ("::127.0.0.1", "::7f00:1", 8080),
            ("64:ff9b::7f00:1", "64:ff9b::7f00:1", 8080),
            ("64:ff9b::a00:5", "64:ff9b::a00:5", 80),
            ("::a00:5", "::a00:5", 80),
        ] {
            let err = p.decide(host, port, &[ip(addr)]).unwrap_err();
            assert!(err.contains("allow list") || err.contains("never relayed"), "{host}: {err}");
        }
        // NAT64 of a public address is public.
        assert!(policy(&[], true).decide("nat64.example", 443, &[ip("64:ff9b::808:808")]).is_ok());
    }

    #[test]
    fn public_addresses_pass_only_with_allow_public_or_a_rule() {
        for addr in [
            "93.184.215.14",
            "8.8.8.8",
            "100.63.255.255",
            "100.128.0.0",
            "172.15.255.255",
            "172.32.0.0",
            "192.169.0.1",
            "2606:2800:21f:cb07:6820:80da:af6b:8b2c",
            "::ffff:8.8.8.8",
        ] {
            assert!(policy(&[], true).decide("example.com", 443, &[ip(addr)]).is_ok(), "{addr}");
            assert!(policy(&[], false).decide("example.com", 443, &[ip(addr)]).is_err(), "{addr}");
            assert!(
                policy(&["example.com:443"], false).decide("example.com", 443, &[ip(addr)]).is_ok(),
                "{addr}"
            );
            assert!(
                policy(&["example.com:443"], false).decide("example.com", 444, &[ip(addr)]).is_err(),
                "{addr}"
            );
            assert!(
                policy(&["example.com:*"], false).decide("EXAMPLE.com", 1, &[ip(addr)]).is_ok(),
                "{addr}"
            );
        }
    }

    #[test]
    fn one_refused_address_refuses_the_name() {
        let p = policy(&["example.com:443"], true);
        let addrs = [ip("93.184.215.14"), ip("10.0.0.5")];
        assert!(p.decide("example.com", 443, &addrs).unwrap_err().contains("10.0.0.5"));
    }

    #[test]
    fn refused_ranges_need_an_ip_rule_for_that_port() {
        let lo = [ip("127.0.0.1")];
        assert!(policy(&["localhost:8080"], false).decide("localhost", 8080, &lo).is_err());
        assert!(policy(&["127.0.0.1:8080"], false).decide("127.0.0.1", 8080, &lo).is_ok());
        assert!(policy(&["127.0.0.1:8080"], false).decide("127.0.0.1", 8081, &lo).is_err());
        assert!(policy(&["127.0.0.1:*"], false).decide("127.0.0.1", 9, &lo).is_ok());
        // Numeric forms resolve to the same address: the IP rule is what decides.
        assert!(policy(&["127.0.0.1:8080"], false).decide("127.1", 8080, &lo).is_ok());
        assert!(policy(&[], true).decide("127.1", 8080, &lo).is_err());
        assert!(policy(&[], true).decide("2130706433", 8080, &lo).is_err());
        assert!(policy(&[], true).decide("0x7f000001", 8080, &lo).is_err());
        // A mapped form of an allowed IPv4 address is that address.
        assert!(policy(&["127.0.0.1:80"], false)
            .decide("::ffff:127.0.0.1", 80, &[ip("::ffff:127.0.0.1")])
            .is_ok());
        assert!(policy(&["[::1]:80"], false).decide("::1", 80, &[ip("::1")]).is_ok());
        assert!(policy(&["[::1]:80"], false).decide("::1", 80, &[ip("127.0.0.1")]).is_err());
    }

    #[test]
    fn deny_by_default() {
        assert!(policy(&[], false).decide("example.com", 80, &[ip("93.184.215.14")]).is_err());
        assert!(policy(&[], false).decide("example.com", 80, &[]).is_err());
    }

    #[test]
    fn rules_parse_strictly() {
        for bad in ["", "host", ":80", "host:", "host:0", "host:65536", "host:x", "ho st:80", "[::1:80"] {
            assert!(Rule::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Rule::parse("[::ffff:127.0.0.1]:80").unwrap().to_string(), "127.0.0.1:80");
        assert_eq!(Rule::parse("Example.COM:*").unwrap().to_string(), "example.com:*");
    }
}
