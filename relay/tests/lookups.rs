//! Name lookups are decided before they are made, bounded in all and per client, and given
//! up on time — so no client can map the relay's resolver or starve others' lookups. Every
//! name goes to a resolver the test replaces ([`FakeDns`]); nothing leaves this machine.

mod common;

use std::net::IpAddr;
use std::sync::atomic::Ordering::SeqCst;
use std::time::{Duration, Instant};

use common::{allowing, echo_server, Client, FakeDns, Relay};
use streamlab_relay::resolve::Lookups;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// Opens a session from `source` to `host:port` and returns it once the handshake is done
/// (the lookup then runs inside the relay).
async fn ask(relay: &Relay, source: &str, host: &str, port: u16) -> Client {
    relay.connect_from(Some(ip(source)), &format!("host={host}&port={port}")).await
}

/// A relay with `--allow-public` whose lookups (never answered) time out after `timeout`.
async fn public_relay(timeout: Duration) -> (std::sync::Arc<FakeDns>, Relay) {
    let dns = FakeDns::new(&[]);
    let mut config = allowing(&[]);
    config.policy.allow_public = true;
    config.resolver = dns.resolver();
    config.connect_timeout = timeout;
    (dns, Relay::start(config).await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_no_rule_could_allow_is_refused_without_a_lookup() {
    let dns = FakeDns::new(&[("named.test", ip("127.0.0.1"))]);
    let mut config = allowing(&["named.test:80"]);
    config.resolver = dns.resolver();
    let relay = Relay::start(config).await;
    for (host, port) in [("other.test", 80), ("named.test", 81), ("never.slow.test", 80)] {
        let closed = ask(&relay, "127.0.0.1", host, port).await.closed().await;
        assert_eq!(closed.code, 4403, "{host}:{port}: {closed:?}");
        assert!(closed.reason.contains("not in the relay's allow list"), "{closed:?}");
    }
    assert_eq!(dns.asked.load(SeqCst), 0, "nothing was looked up");
    // The one name a rule names is looked up (and refused for its loopback address).
    assert_eq!(ask(&relay, "127.0.0.1", "named.test", 80).await.closed().await.code, 4403);
    assert_eq!(dns.asked.load(SeqCst), 1);
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_client_holds_at_most_its_lookup_slots_and_others_still_resolve() {
    let echo = echo_server().await;
    let dns = FakeDns::new(&[("good.test", ip("127.0.0.1"))]);
    let good = format!("good.test:{}", echo.port());
    let mut config = allowing(&[&good, &format!("127.0.0.1:{}", echo.port())]);
    config.policy.allow_public = true;
    config.resolver = dns.resolver();
    config.connect_timeout = Duration::from_secs(2);
    config.max_per_ip = 100;
    let relay = Relay::start(config).await;

    // 127.0.0.2 asks for names that are never answered: its first slots wait, the rest are
    // turned away at once with 4429.
    let started = Instant::now();
    let mut waiting = Vec::new();
    for i in 0..Lookups::MAX_PER_CLIENT {
        waiting.push(ask(&relay, "127.0.0.2", &format!("n{i}.slow.test"), 80).await);
    }
    while dns.in_flight.load(SeqCst) < Lookups::MAX_PER_CLIENT {
        assert!(started.elapsed() < Duration::from_secs(1), "the lookups should have started");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    for i in 0..3 {
        let closed = ask(&relay, "127.0.0.2", &format!("more{i}.slow.test"), 80).await.closed().await;
        assert_eq!(closed.code, 4429, "{closed:?}");
        assert!(closed.reason.contains("lookups, the limit per address"), "{closed:?}");
    }
    assert!(started.elapsed() < Duration::from_secs(1), "refused at once, not after a wait");

    // Another client's lookup is answered and its session works meanwhile.
    let mut other = ask(&relay, "127.0.0.3", "good.test", echo.port()).await;
    other.connected().await;
    other.send(b"ping\n").await;
    assert_eq!(other.read_exact(5).await, b"ping\n");

    // The waiting lookups are given up on time: their slots come back.
    for mut session in waiting {
        let closed = session.closed().await;
        assert_eq!(closed.code, 4404, "{closed:?}");
        assert!(closed.reason.contains("timed out"), "{closed:?}");
    }
    assert!(started.elapsed() < Duration::from_secs(4), "{:?}", started.elapsed());
    assert_eq!(dns.in_flight.load(SeqCst), 0, "a timed-out lookup is dropped, not left running");
    assert_eq!(dns.most_in_flight.load(SeqCst), Lookups::MAX_PER_CLIENT + 1);
    let mut again = ask(&relay, "127.0.0.2", "good.test", echo.port()).await;
    again.connected().await;
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_clients_together_hold_at_most_the_relays_lookup_slots() {
    let (dns, relay) = public_relay(Duration::from_secs(3)).await;
    // 17 clients × 4 = 68 lookups asked for; 64 run.
    let clients = Lookups::MAX / Lookups::MAX_PER_CLIENT + 1;
    let mut sessions = Vec::new();
    for c in 0..clients {
        for i in 0..Lookups::MAX_PER_CLIENT {
            sessions.push(ask(&relay, &format!("127.0.1.{}", c + 1), &format!("n{i}.slow.test"), 80).await);
        }
    }
    let mut codes = std::collections::BTreeMap::<u16, usize>::new();
    for mut s in sessions {
        let closed = s.closed().await;
        if closed.code == 4429 {
            assert!(closed.reason.contains("limit of 64 lookups"), "{closed:?}");
        }
        *codes.entry(closed.code).or_default() += 1;
    }
    let expected = [(4404, Lookups::MAX), (4429, clients * Lookups::MAX_PER_CLIENT - Lookups::MAX)];
    assert_eq!(codes, expected.into_iter().collect(), "timed out, or turned away at once");
    assert_eq!(dns.most_in_flight.load(SeqCst), Lookups::MAX);
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_leaves_gives_its_lookup_slots_back_at_once() {
    let (dns, relay) = public_relay(Duration::from_secs(10)).await;
    let mut waiting = Vec::new();
    for i in 0..Lookups::MAX_PER_CLIENT {
        waiting.push(ask(&relay, "127.0.0.2", &format!("n{i}.slow.test"), 80).await);
    }
    let started = Instant::now();
    while dns.in_flight.load(SeqCst) < Lookups::MAX_PER_CLIENT {
        assert!(started.elapsed() < Duration::from_secs(1), "the lookups should have started");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    for mut session in waiting {
        futures_util::SinkExt::close(&mut session.ws).await.unwrap();
    }
    while dns.in_flight.load(SeqCst) > 0 {
        assert!(started.elapsed() < Duration::from_secs(2), "the slots should have come back");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // The same client may look up again at once.
    let mut again = ask(&relay, "127.0.0.2", "n9.slow.test", 80).await;
    let nothing = tokio::time::timeout(Duration::from_millis(300), again.next()).await;
    assert!(nothing.is_err(), "waiting for its lookup, not refused: {nothing:?}");
    drop(again);
    relay.stop().await;
}
