//! docs/deploy.md's recipe, run: nginx (Debian's package) terminating TLS with a self-signed
//! certificate on loopback, in front of two relays, exactly as `relay/deploy/nginx.conf`
//! says — only its ports, name and certificate paths are the test's. Sessions go through
//! `wss://`; both relays serve some; tokens, Host names and per-client limits hold through it.

mod common;

use std::collections::BTreeSet;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use rustls::pki_types::{CertificateDer, ServerName};
use streamlab_relay::Config;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const NAME: &str = "relay.test";
const SITE: &str = "https://tutorial.test";
const SECRET: &[u8] = b"a secret the tutorial site shares with its relays";

/// nginx running a config, stopped when dropped.
struct Nginx {
    child: Child,
    dir: PathBuf,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn nginx_binary() -> PathBuf {
    ["/usr/sbin/nginx", "/usr/bin/nginx", "/usr/local/sbin/nginx"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .unwrap_or_else(|| {
            panic!("nginx is not installed: `apt-get install nginx-light` (`cargo xtask test` installs it)")
        })
}

/// `text` with `from` replaced by `to`, which must be there exactly once: the recipe and this
/// test cannot drift apart silently.
fn replace_once(text: &str, from: &str, to: &str) -> String {
    assert_eq!(text.matches(from).count(), 1, "relay/deploy/nginx.conf should hold {from:?} once");
    text.replacen(from, to, 1)
}

/// Starts nginx with the recipe, listening on 127.0.0.1 in front of `relays`; returns it, its
/// port and the certificate clients trust.
async fn start_nginx(relays: [SocketAddr; 2]) -> (Nginx, u16, CertificateDer<'static>) {
    let dir = temp_path("nginx");
    std::fs::create_dir_all(dir.join("tmp")).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec![NAME.to_owned()]).unwrap().self_signed(&key).unwrap();
    std::fs::write(dir.join("cert.pem"), cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), key.serialize_pem()).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();

    let recipe = include_str!("../deploy/nginx.conf");
    let mut site = replace_once(recipe, "server 127.0.0.1:8765;", &format!("server {};", relays[0]));
    site = replace_once(&site, "server 127.0.0.1:8766;", &format!("server {};", relays[1]));
    site = replace_once(&site, "listen 443 ssl;", &format!("listen 127.0.0.1:{port} ssl;"));
    site = replace_once(&site, "server_name relay.example.org;", &format!("server_name {NAME};"));
    let live = "/etc/letsencrypt/live/relay.example.org";
    site = replace_once(&site, &format!("{live}/fullchain.pem"), &dir.join("cert.pem").display().to_string());
    site = replace_once(&site, &format!("{live}/privkey.pem"), &dir.join("key.pem").display().to_string());
    std::fs::write(dir.join("streamlab.conf"), site).unwrap();
    // What Debian's /etc/nginx/nginx.conf gives a conf.d file, in one process the test owns.
    let tmp = dir.join("tmp").display().to_string();
    let main = format!(
        "daemon off;\nmaster_process off;\nworker_processes 1;\npid {dir}/nginx.pid;\nerror_log stderr warn;\n\
         events {{ worker_connections 512; }}\n\
         http {{\n  access_log off;\n  client_body_temp_path {tmp};\n  proxy_temp_path {tmp};\n\
         fastcgi_temp_path {tmp};\n  uwsgi_temp_path {tmp};\n  scgi_temp_path {tmp};\n\
         include {dir}/streamlab.conf;\n}}\n",
        dir = dir.display()
    );
    std::fs::write(dir.join("nginx.conf"), main).unwrap();
    let child = Command::new(nginx_binary())
        .args(["-e", "stderr", "-p"])
        .arg(&dir)
        .arg("-c")
        .arg(dir.join("nginx.conf"))
        .stdin(Stdio::null())
        .spawn()
        .expect("start nginx");
    let mut nginx = Nginx { child, dir };
    let started = Instant::now();
    while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
        if let Ok(Some(status)) = nginx.child.try_wait() {
            panic!("nginx exited at start-up ({status}); its error is above");
        }
        assert!(started.elapsed() < PATIENCE, "nginx did not listen on {port}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    (nginx, port, CertificateDer::from(cert.der().to_vec()))
}

/// A TLS connection to nginx from `source`, checking nginx's certificate for [`NAME`].
async fn tls_from(
    source: IpAddr,
    port: u16,
    cert: &CertificateDer<'static>,
) -> tokio_rustls::client::TlsStream<tokio::net::TcpStream> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.clone()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tcp = tcp_from(Some(source), SocketAddr::from(([127, 0, 0, 1], port))).await;
    tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from(NAME).unwrap(), tcp)
        .await
        .expect("TLS with nginx")
}

/// A `wss://` session from `source` through nginx to the echo demo, with a token when given.
async fn session(source: &str, port: u16, cert: &CertificateDer<'static>, token: Option<&str>) -> Client {
    let tls = tls_from(source.parse().unwrap(), port, cert).await;
    let token = token.map(|t| format!("&token={t}")).unwrap_or_default();
    let url = format!("wss://{NAME}:{port}/connect?host=echo.demo&port=7{token}");
    Client::over(Box::new(tls), &url, Some(SITE), Some("streamlab.v1")).await.expect("upgraded through nginx")
}

/// A relay as `relay/deploy/streamlab-relay@.service` starts one (demos instead of
/// `--allow-public`: nothing here may leave the machine), with one session per client.
fn relay_config(secret: &Path) -> Config {
    let args = [
        "--hostname",
        NAME,
        "--origin",
        SITE,
        "--trusted-proxy",
        "127.0.0.1",
        "--demo",
        "--max-per-ip",
        "1",
        "--token-secret",
    ];
    let mut args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    args.push(secret.display().to_string());
    Config::from_args(args).expect("the recipe's options parse")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_terminates_tls_in_front_of_two_relays() {
    let secret = temp_path("secret");
    std::fs::write(&secret, SECRET).unwrap();
    let (a, b) = (Relay::start(relay_config(&secret)).await, Relay::start(relay_config(&secret)).await);
    let (_nginx, port, cert) = start_nginx([a.addr, b.addr]).await;
    // What a tutorial site's backend hands its pages (docs/protocol.md has the HMAC in Python).
    let token = streamlab_relay::token::mint(SECRET, "echo.demo", 7, Duration::from_secs(600));

    // Six learners: every session echoes, and both relays serve some (each relay's echo demo
    // listens on its own port, which `connected` shows).
    let mut served = BTreeSet::new();
    let mut learners = Vec::new();
    for i in 2..8 {
        let mut s = session(&format!("127.0.0.{i}"), port, &cert, Some(&token)).await;
        served.insert(s.connected().await.0);
        let line = format!("hello from learner {i}\n");
        s.send(line.as_bytes()).await;
        assert_eq!(s.read_exact(line.len()).await, line.as_bytes());
        learners.push(s);
    }
    assert_eq!(served.len(), 2, "both relays served sessions: {served:?}");

    // The relays count the client nginx names, not nginx: one learner at 127.0.0.9 gets one
    // session on each relay and no more, while the six others keep theirs.
    let mut outcomes = Vec::new();
    for _ in 0..3 {
        let mut s = session("127.0.0.9", port, &cert, Some(&token)).await;
        let first = s.next().await;
        outcomes.push((first, s));
    }
    let refused: Vec<_> = outcomes
        .iter_mut()
        .filter_map(|(first, _)| match first {
            Some(tokio_tungstenite::tungstenite::Message::Close(Some(f))) => {
                Some((u16::from(f.code), f.reason.to_string()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(refused[0].0, 4429, "{refused:?}");
    assert!(refused[0].1.contains("127.0.0.9 already has 1 connections"), "{refused:?}");
    for s in &mut learners {
        s.send(b"still here\n").await;
        assert_eq!(s.read_exact(11).await, b"still here\n");
    }

    // No token, no session — through nginx as without it.
    let closed = session("127.0.0.10", port, &cert, None).await.closed().await;
    assert_eq!(closed.code, 4403, "{closed:?}");
    // A DNS-rebound page's name reaches nothing behind nginx either.
    let mut tls = tls_from("127.0.0.11".parse().unwrap(), port, &cert).await;
    tls.write_all(b"GET /demo.json HTTP/1.1\r\nHost: rebound.example\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let _ = tls.read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 421 "), "{answer}");

    drop(outcomes);
    drop(learners);
    a.stop().await;
    b.stop().await;
    std::fs::remove_file(secret).ok();
}
