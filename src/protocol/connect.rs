//! [`ConnectRequest`]: the `/connect` query, parsed strictly.

use std::fmt::Write;

use super::{shown, ProtocolError};

/// What a client asks the relay for: `?host=H&port=P[&tls=1&sni=NAME][&token=T]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectRequest {
    /// A DNS name, a dotted IPv4 address or an IPv6 address (brackets optional).
    pub host: String,
    /// 1 to 65535.
    pub port: u16,
    /// Wrap the TCP connection in TLS.
    pub tls: bool,
    /// The TLS server name (default: `host`); only with `tls`.
    pub sni: Option<String>,
    /// A relay token, when the relay asks for one.
    pub token: Option<String>,
}

/// The longest host name accepted (DNS allows 253).
pub const MAX_HOST: usize = 253;

impl ConnectRequest {
    /// A plain TCP request for `host:port`.
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        ConnectRequest { host: host.into(), port, tls: false, sni: None, token: None }
    }

    /// Parses the query string (without `?`).
    ///
    /// ```
    /// use streamlab::protocol::ConnectRequest;
    /// let r = ConnectRequest::parse_query("host=example.demo&port=80").unwrap();
    /// assert_eq!((r.host.as_str(), r.port), ("example.demo", 80));
    /// assert!(ConnectRequest::parse_query("host=example.demo&port=0").is_err());
    /// ```
    ///
    /// # Errors
    /// A missing, repeated or unknown field, or a value out of its range.
    pub fn parse_query(query: &str) -> Result<ConnectRequest, ProtocolError> {
        let (mut host, mut port, mut tls, mut sni, mut token) = (None, None, None, None, None);
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value =
                percent_decode(value).ok_or_else(|| bad(format!("{}: bad percent-encoding", shown(key))))?;
            let slot = match key {
                "host" => &mut host,
                "port" => &mut port,
                "tls" => &mut tls,
                "sni" => &mut sni,
                "token" => &mut token,
                other => return Err(bad(format!("unknown field {}", shown(other)))),
            };
            if slot.replace(value).is_some() {
                return Err(bad(format!("{key} given twice")));
            }
        }
        let host = host.ok_or_else(|| bad("host is missing"))?;
        let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(&host).to_owned();
        check_host(&host).map_err(|e| bad(format!("host: {e}")))?;
        let port = port.ok_or_else(|| bad("port is missing"))?;
        let port = match port.parse::<u16>() {
            Ok(p) if p >= 1 && port.bytes().all(|b| b.is_ascii_digit()) => p,
            _ => return Err(bad(format!("port must be 1 to 65535, got {}", shown(&port)))),
        };
        let tls = match tls.as_deref() {
            None | Some("0") => false,
            Some("1") => true,
            Some(other) => return Err(bad(format!("tls must be 0 or 1, got {}", shown(other)))),
        };
        if let Some(name) = &sni {
            if !tls {
                return Err(bad("sni is only meaningful with tls=1"));
            }
            check_host(name).map_err(|e| bad(format!("sni: {e}")))?;
        }
        if let Some(t) = &token {
            if t.is_empty()
                || t.len() > 512
                || !t.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
            {
                return Err(bad("token is malformed"));
            }
        }
        Ok(ConnectRequest { host, port, tls, sni, token })
    }

    /// The query string for this request (without `?`).
    pub fn to_query(&self) -> String {
        let mut q = format!("host={}&port={}", percent_encode(&self.host), self.port);
        if self.tls {
            q.push_str("&tls=1");
        }
        if let Some(sni) = &self.sni {
            let _ = write!(q, "&sni={}", percent_encode(sni));
        }
        if let Some(token) = &self.token {
            let _ = write!(q, "&token={}", percent_encode(token));
        }
        q
    }

    /// The TLS server name: `sni`, or the host.
    pub fn server_name(&self) -> &str {
        self.sni.as_deref().unwrap_or(&self.host)
    }
}

fn bad(message: impl Into<String>) -> ProtocolError {
    ProtocolError(message.into())
}

/// A host is a DNS name (letters, digits, `-`, `_`, `.`), or an IP address literal.
fn check_host(host: &str) -> Result<(), String> {
    if host.is_empty() {
        return Err("empty".into());
    }
    if host.len() > MAX_HOST {
        return Err(format!("longer than {MAX_HOST} characters"));
    }
    if host.parse::<std::net::Ipv6Addr>().is_ok() {
        return Ok(());
    }
    if !host.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)) {
        return Err("only letters, digits, '-', '_' and '.' are allowed in a name".into());
    }
    if host.split('.').any(|label| label.len() > 63) {
        return Err("a label is longer than 63 characters".into());
    }
    Ok(())
}

fn percent_decode(s: &str) -> Option<String> {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'%' => {
                let hi = (bytes.next()? as char).to_digit(16)?;
                let lo = (bytes.next()? as char).to_digit(16)?;
                out.push((hi * 16 + lo) as u8);
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
    }
    String::from_utf8(out).ok()
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_the_query() {
        let mut r = ConnectRequest::new("::1", 443);
        r.tls = true;
        r.sni = Some("localhost".into());
        r.token = Some("123.abc".into());
        assert_eq!(ConnectRequest::parse_query(&r.to_query()), Ok(r));
        let r = ConnectRequest::parse_query("host=%5B%3A%3A1%5D&port=8").unwrap();
        assert_eq!(r.host, "::1");
    }

    #[test]
    fn refuses_what_is_malformed() {
        for (query, why) in [
            ("port=80", "host is missing"),
            ("host=a", "port is missing"),
            ("host=&port=80", "host: empty"),
            ("host=a&port=0", "port must be"),
            ("host=a&port=65536", "port must be"),
            ("host=a&port=http", "port must be"),
            ("host=a&port=-1", "port must be"),
            ("host=a&port=+80", "port must be"),
            ("host=a&port=80&port=81", "port given twice"),
            ("host=a&port=80&tls=2", "tls must be 0 or 1"),
            ("host=a&port=80&sni=b", "sni is only meaningful"),
            ("host=a&port=80&mode=x", "unknown field"),
            ("host=a%2Fb&port=80", "only letters"),
            ("host=a b&port=80", "only letters"),
            ("host=a%zz&port=80", "bad percent-encoding"),
            ("host=a%ff&port=80", "bad percent-encoding"),
            ("host=a&port=80&token=a%20b", "token is malformed"),
        ] {
            let err = ConnectRequest::parse_query(query).unwrap_err();
            assert!(err.0.contains(why), "{query}: {err}");
        }
        let long = format!("host={}&port=80", "a".repeat(300));
        assert!(ConnectRequest::parse_query(&long).unwrap_err().0.contains("longer than 253"));
    }

    #[test]
    fn what_a_client_sent_is_never_repeated_at_length() {
        // The reason goes to the relay's log and the close frame: 12 KB of any field, of a
        // key, or of a key with a bad escape, is cut to what `shown` shows.
        let big = "x".repeat(12_000);
        for query in [
            format!("{big}=%zz&host=a&port=80"),
            format!("{big}%zz=1&host=a&port=80"),
            format!("{big}=1&host=a&port=80"),
            format!("host=a&port={big}"),
            format!("host=a&port=80&tls={big}"),
            format!("host=a&port=80&token={big}"),
            format!("host={big}&port=80"),
            format!("host=a&port=80&tls=1&sni={big}"),
        ] {
            let err = ConnectRequest::parse_query(&query).unwrap_err();
            assert!(err.0.len() < 120, "{} bytes: {}", err.0.len(), &err.0[..200.min(err.0.len())]);
        }
    }
}
