//! [`Origins`]: which pages may open WebSockets to the relay (checked at the handshake).

use std::net::SocketAddr;

/// The accepted `Origin` values, normalised (`scheme://host[:port]`, lower case, default
/// ports dropped).
#[derive(Clone, Debug)]
pub struct Origins(Vec<String>);

impl Origins {
    /// The configured origins, or the relay's own when none are: `http://LISTEN`, and for a
    /// loopback listener also `http://localhost:PORT`.
    pub fn new(configured: &[String], listen: SocketAddr) -> Origins {
        let mut list: Vec<String> = configured.iter().filter_map(|o| normalise(o).ok()).collect();
        if list.is_empty() {
            let port = listen.port();
            list.push(format!("http://{}", SocketAddr::new(listen.ip(), port)));
            if listen.ip().is_loopback() {
                list.push(format!("http://localhost:{port}"));
            }
        }
        Origins(list)
    }

    /// Validates an `--origin` value.
    ///
    /// # Errors
    /// Not `http(s)://host[:port]` with nothing after it.
    pub fn check(origin: &str) -> Result<(), String> {
        normalise(origin).map(|_| ())
    }

    /// Whether a request's `Origin` header is accepted.
    pub fn allows(&self, origin: &str) -> bool {
        normalise(origin).is_ok_and(|o| self.0.contains(&o))
    }

    /// The accepted origins, for the start-up message.
    pub fn list(&self) -> &[String] {
        &self.0
    }
}

fn normalise(origin: &str) -> Result<String, String> {
    let lower = origin.trim().to_ascii_lowercase();
    let (scheme, rest) =
        lower.split_once("://").ok_or_else(|| format!("{origin:?}: expected http(s)://host[:port]"))?;
    let default_port = match scheme {
        "http" => ":80",
        "https" => ":443",
        _ => return Err(format!("{origin:?}: the scheme must be http or https")),
    };
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.is_empty() || rest.contains(['/', '?', '#', '@', ' ']) {
        return Err(format!("{origin:?}: expected http(s)://host[:port] and nothing after it"));
    }
    let rest = rest.strip_suffix(default_port).unwrap_or(rest);
    Ok(format!("{scheme}://{rest}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_to_the_relays_own_origin() {
        let o = Origins::new(&[], "127.0.0.1:8765".parse().unwrap());
        assert!(o.allows("http://127.0.0.1:8765"));
        assert!(o.allows("http://LOCALHOST:8765/"));
        assert!(!o.allows("http://127.0.0.1:8080"));
        assert!(!o.allows("https://evil.example"));
        assert!(!o.allows("null"));
    }

    #[test]
    fn configured_origins_replace_the_default() {
        let o = Origins::new(
            &["https://tutorial.example".into(), "http://127.0.0.1:8080".into()],
            "127.0.0.1:8765".parse().unwrap(),
        );
        assert!(o.allows("https://tutorial.example:443"));
        assert!(o.allows("http://127.0.0.1:8080"));
        assert!(!o.allows("http://127.0.0.1:8765"));
        assert!(Origins::check("ftp://x").is_err());
        assert!(Origins::check("https://x/path").is_err());
    }
}
