//! [`Hosts`]: which `Host` headers the relay answers. A page on a DNS-rebound name (an
//! attacker's name made to resolve to the relay) sends that name as `Host`, so only names the
//! relay was given — besides IP literals and `localhost`, which no rebinding can forge — reach
//! `/demo.json`, the static files or `/connect`.

/// The accepted names (lower case, no port), besides IP literals and `localhost`.
#[derive(Clone, Debug, Default)]
pub struct Hosts(Vec<String>);

impl Hosts {
    /// The `--hostname` values.
    pub fn new(names: &[String]) -> Hosts {
        Hosts(names.iter().map(|n| n.trim_end_matches('.').to_ascii_lowercase()).collect())
    }

    /// Validates a `--hostname` value: a DNS name, without scheme, port or path.
    ///
    /// # Errors
    /// Anything else, in one line.
    pub fn check(name: &str) -> Result<(), String> {
        let labels = name.trim_end_matches('.');
        let ok_label = |l: &str| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        };
        match !labels.is_empty() && labels.len() <= 253 && labels.split('.').all(ok_label) {
            true => Ok(()),
            false => Err(format!("{name:?}: expected a host name such as relay.example.org")),
        }
    }

    /// Whether a request's `Host` header value (`name[:port]`, `[v6][:port]`) is answered.
    ///
    /// ```
    /// use streamlab_relay::host::Hosts;
    /// let hosts = Hosts::new(&["relay.example.org".into()]);
    /// assert!(hosts.allows("127.0.0.1:8765") && hosts.allows("[::1]:8765") && hosts.allows("localhost:8765"));
    /// assert!(hosts.allows("Relay.Example.org."));
    /// assert!(!hosts.allows("rebound.attacker.example:8765"));
    /// ```
    pub fn allows(&self, host: &str) -> bool {
        let name = match host.strip_prefix('[') {
            // `[v6]` or `[v6]:port`: an IPv6 literal.
            Some(rest) => {
                return rest.split_once(']').is_some_and(|(ip, port)| {
                    ip.parse::<std::net::Ipv6Addr>().is_ok()
                        && (port.is_empty() || port.strip_prefix(':').is_some_and(valid_port))
                })
            }
            None => match host.rsplit_once(':') {
                Some((name, port)) if valid_port(port) => name,
                Some(_) => return false,
                None => host,
            },
        };
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        name.parse::<std::net::Ipv4Addr>().is_ok() || name == "localhost" || self.0.contains(&name)
    }
}

fn valid_port(port: &str) -> bool {
    port.parse::<u16>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_literals_localhost_and_given_names() {
        let none = Hosts::default();
        for ok in
            ["127.0.0.1", "127.0.0.1:8765", "10.1.2.3:80", "[::1]", "[::1]:8765", "localhost", "LOCALHOST:1"]
        {
            assert!(none.allows(ok), "{ok}");
        }
        for bad in [
            "",
            "example.com",
            "example.com:8765",
            "127.0.0.1:x",
            "[::1",
            "[zz]:80",
            "[::1]80",
            "a:b:c",
            "127.1:80.com",
        ] {
            assert!(!none.allows(bad), "{bad}");
        }
        let named = Hosts::new(&["Relay.Example.org".into()]);
        assert!(named.allows("relay.example.org:443") && named.allows("RELAY.example.org"));
        assert!(!named.allows("evil.relay.example.org"));
    }

    #[test]
    fn hostname_values_are_checked() {
        assert!(Hosts::check("relay.example.org").is_ok());
        for bad in ["", "https://x", "x:80", "x/y", "-x", "a..b", "x y"] {
            assert!(Hosts::check(bad).is_err(), "{bad}");
        }
    }
}
