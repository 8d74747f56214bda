//! The policy, Origin check and tokens end to end. Refusals use loopback forms only, so a
//! broken relay could never be led off this machine; every other range is covered by the
//! decision function's unit tests (relay/src/policy.rs).

mod common;

use common::*;
use streamlab_relay::token;

const SECRET: &[u8] = b"sixteen-plus bytes of test secret";

async fn outcome(relay: &Relay, host: &str, port: u16) -> Result<(), (u16, String)> {
    use tokio_tungstenite::tungstenite::Message;
    let mut c = relay.connect(host, port).await;
    match c.next().await {
        Some(Message::Text(_)) => Ok(()),
        Some(Message::Close(Some(frame))) => Err((u16::from(frame.code), frame.reason.to_string())),
        other => panic!("{host}: expected connected or a close, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allowed_denied_and_wildcard_ports() {
    let a = echo_server().await.port();
    let b = echo_server().await.port();
    let relay = Relay::start(allowing(&[&format!("127.0.0.1:{a}")])).await;
    assert_eq!(outcome(&relay, "127.0.0.1", a).await, Ok(()));
    let (code, why) = outcome(&relay, "127.0.0.1", b).await.unwrap_err();
    assert_eq!(code, 4403, "{why}");
    relay.stop().await;

    let relay = Relay::start(allowing(&["127.0.0.1:*"])).await;
    assert_eq!(outcome(&relay, "127.0.0.1", a).await, Ok(()));
    assert_eq!(outcome(&relay, "127.0.0.1", b).await, Ok(()));
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loopback_is_refused_unless_allowed_by_ip() {
    let port = echo_server().await.port();
    // By name (resolves to loopback), by --allow-public, by numeric forms, by a mapped address.
    let mut by_name = allowing(&[&format!("localhost:{port}")]);
    by_name.policy.allow_public = true;
    let relay = Relay::start(by_name).await;
    for host in ["localhost", "127.0.0.1", "127.1", "2130706433", "0x7f000001", "::ffff:127.0.0.1", "::1"] {
        let (code, why) = outcome(&relay, host, port).await.expect_err(host);
        assert_eq!(code, 4403, "{host}: {why}");
    }
    relay.stop().await;
    // An IP rule allows the address, whichever form names it.
    let relay = Relay::start(allowing(&[&format!("127.0.0.1:{port}")])).await;
    for host in ["127.0.0.1", "127.1", "2130706433"] {
        assert_eq!(outcome(&relay, host, port).await, Ok(()), "{host}");
    }
    // … but a name no rule names is refused before it is looked up (finding 4 of issue 12).
    let (code, why) = outcome(&relay, "localhost", port).await.expect_err("localhost");
    assert_eq!(
        (code, why.as_str()),
        (4403, format!("localhost:{port} is not in the relay's allow list").as_str())
    );
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn origins_are_checked_at_the_handshake() {
    let port = echo_server().await.port();
    let query = format!("host=127.0.0.1&port={port}");
    let mut config = allowing(&[&format!("127.0.0.1:{port}")]);
    let relay = Relay::start(config.clone()).await;
    let own = format!("http://{}", relay.addr);
    assert!(Client::open(relay.addr, &query, Some(&own), Some("streamlab.v1")).await.is_ok());
    let own_by_name = format!("http://localhost:{}", relay.addr.port());
    assert!(Client::open(relay.addr, &query, Some(&own_by_name), Some("streamlab.v1")).await.is_ok());
    for foreign in ["http://127.0.0.1:1", "https://evil.example", "null", "http://127.0.0.1.evil.example"] {
        assert_eq!(
            Client::open(relay.addr, &query, Some(foreign), Some("streamlab.v1")).await.err(),
            Some(403),
            "{foreign}"
        );
    }
    // No Origin: a non-browser client, allowed when no token secret is set.
    assert!(Client::open(relay.addr, &query, None, Some("streamlab.v1")).await.is_ok());
    relay.stop().await;

    config.origins = vec!["https://tutorial.example".into()];
    let relay = Relay::start(config).await;
    assert!(Client::open(relay.addr, &query, Some("https://tutorial.example"), Some("streamlab.v1"))
        .await
        .is_ok());
    let own = format!("http://{}", relay.addr);
    assert_eq!(Client::open(relay.addr, &query, Some(&own), Some("streamlab.v1")).await.err(), Some(403));
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_valid_expired_and_for_another_target() {
    let port = echo_server().await.port();
    let other = echo_server().await.port();
    let mut config = allowing(&["127.0.0.1:*"]);
    config.token_secret = Some(SECRET.to_vec());
    let relay = Relay::start(config).await;
    let open = |token: Option<String>, target_port: u16| {
        let mut query = format!("host=127.0.0.1&port={target_port}");
        if let Some(t) = token {
            query.push_str(&format!("&token={t}"));
        }
        let addr = relay.addr;
        async move { Client::open(addr, &query, None, Some("streamlab.v1")).await.expect("handshake") }
    };
    let valid = token::mint(SECRET, "127.0.0.1", port, std::time::Duration::from_secs(60));
    let mut c = open(Some(valid.clone()), port).await;
    c.connected().await;

    for (what, token, target, reason) in [
        ("no token", None, port, "this relay needs a token for every connection"),
        ("another target's token", Some(valid.clone()), other, "token is not valid for this target"),
        ("expired", Some(token::mint_until(SECRET, "127.0.0.1", port, 1_000_000)), port, "token has expired"),
        (
            "another secret",
            Some(token::mint(
                b"a different secret, long enough",
                "127.0.0.1",
                port,
                std::time::Duration::from_secs(60),
            )),
            port,
            "token is not valid",
        ),
        ("malformed", Some("abc".to_owned()), port, "token is malformed"),
    ] {
        let closed = open(token, target).await.closed().await;
        assert_eq!(closed.code, 4403, "{what}: {closed:?}");
        assert!(closed.reason.contains(reason), "{what}: {closed:?}");
    }
    // An allowed Origin header is no token: any client can send one (finding 5 of issue 12).
    let own = format!("http://{}", relay.addr);
    let query = format!("host=127.0.0.1&port={port}");
    let mut forged =
        Client::open(relay.addr, &query, Some(&own), Some("streamlab.v1")).await.expect("handshake");
    let closed = forged.closed().await;
    assert_eq!(
        (closed.code, closed.reason.as_str()),
        (4403, "this relay needs a token for every connection")
    );
    // A page with a token is let through.
    let query = format!("{query}&token={valid}");
    let mut page =
        Client::open(relay.addr, &query, Some(&own), Some("streamlab.v1")).await.expect("handshake");
    page.connected().await;
    relay.stop().await;
}
