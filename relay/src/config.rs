//! [`Config`]: everything the relay is told, parsed from the command line.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use crate::host::Hosts;
use crate::origin::Origins;
use crate::policy::{Policy, Rule};
use crate::resolve::Resolver;

/// The relay's settings. [`Config::default`] is the safe default: loopback, no targets.
#[derive(Clone, Debug)]
pub struct Config {
    /// Where to listen (`--listen`, default `127.0.0.1:8765`).
    pub listen: SocketAddr,
    /// Which targets are allowed.
    pub policy: Policy,
    /// Run and expose the demo servers (`--demo`).
    pub demo: bool,
    /// Accepted page origins (`--origin`); empty means the relay's own.
    pub origins: Vec<String>,
    /// Names the relay answers to in `Host` (`--hostname`), besides IP literals and localhost.
    pub hostnames: Vec<String>,
    /// Proxies whose `X-Forwarded-For` names the client (`--trusted-proxy`).
    pub trusted_proxies: Vec<IpAddr>,
    /// HMAC secret for tokens (`--token-secret FILE`); never logged.
    pub token_secret: Option<Vec<u8>>,
    /// Relayed connections at once (`--max-connections`, default 256).
    pub max_connections: usize,
    /// Relayed connections at once from one client address (`--max-per-ip`, default 16).
    pub max_per_ip: usize,
    /// Connecting to a target (`--connect-timeout`, default 10 s).
    pub connect_timeout: Duration,
    /// Nothing moving either way (`--idle-timeout`, default 300 s).
    pub idle_timeout: Duration,
    /// Serve this folder's files (`--static DIR`).
    pub static_dir: Option<PathBuf>,
    /// Extra root certificates for TLS targets (`--ca-file FILE`, PEM).
    pub ca_file: Option<PathBuf>,
    /// Log decisions to stderr (off with `--quiet`).
    pub log: bool,
    /// How names are looked up: the system's resolver (tests give their own).
    pub resolver: Resolver,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8765)),
            policy: Policy::default(),
            demo: false,
            origins: Vec::new(),
            hostnames: Vec::new(),
            trusted_proxies: Vec::new(),
            token_secret: None,
            max_connections: 256,
            max_per_ip: 16,
            connect_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(300),
            static_dir: None,
            ca_file: None,
            log: true,
            resolver: Resolver::default(),
        }
    }
}

/// `--help`.
pub const HELP: &str = "\
streamlab-relay: a WebSocket <-> TCP relay for streamlab, safe by default.

Clients connect to ws://LISTEN/connect?host=H&port=P (subprotocol streamlab.v1); the relay
connects to H:P only if its policy allows it. See docs/protocol.md.

usage: streamlab-relay [options]
       streamlab-relay token --secret-file FILE --host H --port P [--ttl SECONDS]

options:
  --listen ADDR:PORT     where to listen (default 127.0.0.1:8765; port 0 picks one)
  --allow HOST:PORT      allow this target; PORT may be *; repeatable. Loopback, private,
                         link-local and other internal ranges are refused unless allowed
                         by IP address, e.g. --allow 127.0.0.1:8080
  --allow-public         allow any host whose addresses are all public
  --demo                 run the demo servers (echo.demo:7, example.demo:80, drip.demo:9000,
                         lines.demo:9001, silent.demo:9002, big.demo:9003), listed at
                         /demo.json
  --origin URL           accept WebSockets from pages of this origin; repeatable
                         (default: the relay's own, http://LISTEN)
  --hostname NAME        answer requests for this name (the Host header); repeatable.
                         IP addresses and localhost are always answered; other names
                         are refused (421), so a DNS-rebound page reaches nothing
  --trusted-proxy IP     a load balancer in front (e.g. nginx): its sockets are not
                         capped per client, and its X-Forwarded-For names the client
                         that limits count; repeatable
  --token-secret FILE    HMAC secret: every connection then needs a token for its
                         target (pages too: an Origin header proves nothing); `token`
                         mints one
  --max-connections N    relayed connections at once (default 256)
  --max-per-ip N         relayed connections at once per client address (default 16)
  --connect-timeout S    seconds to connect to a target (default 10)
  --idle-timeout S       seconds with no payload either way before closing (default 300)
  --static DIR           serve DIR's files (the page) from the same origin
  --ca-file FILE         extra PEM root certificates for tls=1 targets
  --quiet                do not log decisions
  -h, --help             this help
";

impl Config {
    /// Parses the command line (without the program name).
    ///
    /// # Errors
    /// A one-line message naming the bad option.
    pub fn from_args<I: IntoIterator<Item = String>>(args: I) -> Result<Config, String> {
        let mut c = Config::default();
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let mut value =
                |name: &str| args.next().ok_or_else(|| format!("{name} needs a value (see --help)"));
            match arg.as_str() {
                "--listen" => {
                    let v = value("--listen")?;
                    c.listen = v.parse().map_err(|_| format!("--listen: expected ADDR:PORT, got {v:?}"))?;
                }
                "--allow" => {
                    c.policy.allow.push(Rule::parse(&value("--allow")?).map_err(|e| format!("--allow: {e}"))?)
                }
                "--allow-public" => c.policy.allow_public = true,
                "--demo" => c.demo = true,
                "--origin" => {
                    let v = value("--origin")?;
                    Origins::check(&v).map_err(|e| format!("--origin: {e}"))?;
                    c.origins.push(v);
                }
                "--hostname" => {
                    let v = value("--hostname")?;
                    Hosts::check(&v).map_err(|e| format!("--hostname: {e}"))?;
                    c.hostnames.push(v);
                }
                "--trusted-proxy" => {
                    let v = value("--trusted-proxy")?;
                    let ip = v
                        .parse()
                        .map_err(|_| format!("--trusted-proxy: expected an IP address, got {v:?}"))?;
                    c.trusted_proxies.push(ip);
                }
                "--token-secret" => {
                    let path = value("--token-secret")?;
                    let secret = std::fs::read(&path)
                        .map_err(|e| format!("--token-secret: cannot read {path:?}: {e}"))?;
                    let secret = secret.trim_ascii().to_vec();
                    if secret.len() < 16 {
                        return Err(format!(
                            "--token-secret: {path:?} holds {} bytes; use at least 16",
                            secret.len()
                        ));
                    }
                    c.token_secret = Some(secret);
                }
                "--max-connections" => {
                    c.max_connections = count("--max-connections", &value("--max-connections")?)?
                }
                "--max-per-ip" => c.max_per_ip = count("--max-per-ip", &value("--max-per-ip")?)?,
                "--connect-timeout" => {
                    c.connect_timeout = seconds("--connect-timeout", &value("--connect-timeout")?)?
                }
                "--idle-timeout" => c.idle_timeout = seconds("--idle-timeout", &value("--idle-timeout")?)?,
                "--static" => {
                    let dir = PathBuf::from(value("--static")?);
                    if !dir.is_dir() {
                        return Err(format!("--static: {} is not a folder", dir.display()));
                    }
                    c.static_dir = Some(dir);
                }
                "--ca-file" => {
                    let file = PathBuf::from(value("--ca-file")?);
                    crate::target::load_roots(&file).map_err(|e| format!("--ca-file: {e}"))?;
                    c.ca_file = Some(file);
                }
                "--quiet" => c.log = false,
                other => return Err(format!("unknown option {other:?} (see --help)")),
            }
        }
        Ok(c)
    }
}

fn count(name: &str, v: &str) -> Result<usize, String> {
    v.parse::<usize>()
        .ok()
        .filter(|&n| n >= 1)
        .ok_or_else(|| format!("{name}: expected a whole number >= 1, got {v:?}"))
}

fn seconds(name: &str, v: &str) -> Result<Duration, String> {
    v.parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s > 0.0 && *s <= 86_400.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| format!("{name}: expected seconds (0 < S <= 86400), got {v:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Config, String> {
        Config::from_args(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn defaults_are_safe() {
        let c = parse(&[]).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:8765");
        assert!(c.policy.allow.is_empty() && !c.policy.allow_public && !c.demo);
    }

    #[test]
    fn options_parse() {
        let c = parse(&[
            "--listen",
            "127.0.0.1:0",
            "--allow",
            "127.0.0.1:*",
            "--demo",
            "--max-per-ip",
            "3",
            "--idle-timeout",
            "0.5",
        ])
        .unwrap();
        assert_eq!(c.listen.port(), 0);
        assert_eq!(c.policy.allow.len(), 1);
        assert_eq!(c.max_per_ip, 3);
        assert_eq!(c.idle_timeout, Duration::from_millis(500));
    }

    #[test]
    fn bad_options_say_what_is_wrong_in_one_line() {
        for (args, needle) in [
            (&["--listen"][..], "--listen needs a value"),
            (&["--listen", "here"], "--listen: expected ADDR:PORT"),
            (&["--allow", "example.com"], "--allow: "),
            (&["--max-connections", "0"], "--max-connections: expected a whole number"),
            (&["--connect-timeout", "-1"], "--connect-timeout: expected seconds"),
            (&["--idle-timeout", "nan"], "--idle-timeout: expected seconds"),
            (&["--static", "/no/such/dir"], "--static: /no/such/dir is not a folder"),
            (&["--token-secret", "/no/such/file"], "--token-secret: cannot read"),
            (&["--origin", "example.com"], "--origin: "),
            (&["--hostname", "https://relay.example"], "--hostname: "),
            (&["--trusted-proxy", "nginx"], "--trusted-proxy: expected an IP address"),
            (&["--bogus"], "unknown option \"--bogus\""),
        ] {
            let err = parse(args).unwrap_err();
            assert!(err.contains(needle), "{args:?}: {err}");
            assert!(!err.contains('\n'), "{args:?}: {err}");
        }
    }
}
