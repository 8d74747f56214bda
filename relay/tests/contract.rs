//! The `streamlab.v1` contract against real sockets: `connected`, data and half-close both
//! ways, credit, and every close code from a real cause.

mod common;

use std::time::Duration;

use common::*;
use futures_util::StreamExt;
use streamlab::protocol::Control;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connected_reports_real_socket_addresses() {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let tx = std::sync::Mutex::new(Some(tx));
    let target = server(move |s: TcpStream| {
        let addrs = (s.peer_addr().unwrap(), s.local_addr().unwrap());
        if let Some(tx) = tx.lock().unwrap().take() {
            let _ = tx.send(addrs);
        }
        async move {
            let _keep = s;
            tokio::time::sleep(Duration::from_secs(5)).await;
        }
    })
    .await;
    let relay = Relay::start(allowing(&[&format!("127.0.0.1:{}", target.port())])).await;
    let mut c = relay.connect("127.0.0.1", target.port()).await;
    let (peer, sock) = c.connected().await;
    let (server_sees_peer, server_local) = rx.await.unwrap();
    assert_eq!(peer, ("127.0.0.1".to_owned(), server_local.port()));
    assert_eq!(sock, ("127.0.0.1".to_owned(), server_sees_peer.port()));
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_and_half_close_from_the_client() {
    let target = echo_server().await;
    let relay = Relay::start(allowing(&[&format!("127.0.0.1:{}", target.port())])).await;
    let mut c = relay.connect("127.0.0.1", target.port()).await;
    c.connected().await;
    c.send(b"hello ").await;
    c.send(b"world\n").await;
    assert_eq!(c.read_exact(12).await, b"hello world\n");
    c.send(b"last").await;
    c.send_eof().await; // write_eof(): the echo server sees FIN, echoes, and closes its side
    assert_eq!(c.read_to_eof().await, b"last");
    assert_eq!(c.closed().await, Closed { code: 1000, reason: String::new() }, "both EOFs: a normal close");
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_close_from_the_target_keeps_the_other_way_open() {
    // The server says hello, half-closes, then reads everything and answers with a count.
    let target = server(|mut s: TcpStream| async move {
        s.write_all(b"hello\n").await.unwrap();
        s.shutdown().await.unwrap();
        let got = read_all(&mut s).await;
        s.write_all(format!("got {}\n", got.len()).as_bytes()).await.ok();
    })
    .await;
    let relay = Relay::start(allowing(&[&format!("127.0.0.1:{}", target.port())])).await;
    let mut c = relay.connect("127.0.0.1", target.port()).await;
    c.connected().await;
    assert_eq!(c.read_to_eof().await, b"hello\n");
    c.send(&[7u8; 1000]).await; // still writable after the peer's EOF
    c.send_eof().await;
    let closed = c.closed().await;
    assert_eq!(closed.code, 1000);
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_credit_no_data() {
    let target = server(|mut s: TcpStream| async move {
        let _ = s.write_all(&vec![1u8; 1 << 20]).await;
        tokio::time::sleep(Duration::from_secs(5)).await;
    })
    .await;
    let relay = Relay::start(allowing(&[&format!("127.0.0.1:{}", target.port())])).await;
    let mut c = relay.connect("127.0.0.1", target.port()).await;
    c.connected().await;
    let nothing = tokio::time::timeout(Duration::from_millis(500), c.ws.next()).await;
    assert!(nothing.is_err(), "data arrived without credit: {nothing:?}");
    c.grant(1000).await;
    let mut got = 0;
    while got < 1000 {
        match c.next().await {
            Some(Message::Binary(b)) => got += b.len(),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(got, 1000, "exactly the credit granted");
    let more = tokio::time::timeout(Duration::from_millis(300), c.ws.next()).await;
    assert!(more.is_err(), "data beyond the credit: {more:?}");
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_port_is_4502() {
    let port = closed_port().await;
    let relay = Relay::start(allowing(&[&format!("127.0.0.1:{port}")])).await;
    let mut c = relay.connect("127.0.0.1", port).await;
    let closed = c.closed().await;
    assert_eq!(closed.code, 4502, "{closed:?}");
    assert_eq!(closed.reason, format!("Connect call failed ('127.0.0.1', {port})"));
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn policy_refusal_is_4403() {
    let target = echo_server().await;
    let relay = Relay::start(allowing(&[])).await;
    let closed = relay.connect("127.0.0.1", target.port()).await.closed().await;
    assert_eq!(closed.code, 4403, "{closed:?}");
    assert!(closed.reason.contains("not in the relay's allow list"), "{closed:?}");
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_demo_name_is_4404() {
    let mut config = allowing(&[]);
    config.demo = true;
    let relay = Relay::start(config).await;
    let closed = relay.connect("nosuch.demo", 80).await.closed().await;
    assert_eq!(closed.code, 4404, "{closed:?}");
    relay.stop().await;
    let relay = Relay::start(allowing(&[])).await;
    let closed = relay.connect("echo.demo", 7).await.closed().await;
    assert_eq!(
        (closed.code, closed.reason.as_str()),
        (4404, "echo.demo: demo servers are off on this relay")
    );
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_demo_name_on_a_port_no_demo_serves_is_refused_as_cpython_would_be() {
    // echo.demo resolves (to the relay's loopback); nothing listens on its port 8: 4502, with
    // CPython's text for a refused connect, and nothing tried on the relay machine's port 8.
    let mut config = allowing(&[]);
    config.demo = true;
    let relay = Relay::start(config).await;
    let closed = relay.connect("echo.demo", 8).await.closed().await;
    assert_eq!((closed.code, closed.reason.as_str()), (4502, "Connect call failed ('127.0.0.1', 8)"));
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_timeout_is_4504() {
    // A loopback listener that never accepts, its backlog filled: SYNs go unanswered.
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket.bind(&"127.0.0.1:0".parse::<std::net::SocketAddr>().unwrap().into()).unwrap();
    socket.listen(0).unwrap();
    let addr = socket.local_addr().unwrap().as_socket().unwrap();
    let mut fillers = Vec::new();
    for _ in 0..8 {
        if let Ok(Ok(s)) = tokio::time::timeout(Duration::from_millis(300), TcpStream::connect(addr)).await {
            fillers.push(s);
        }
    }
    let mut config = allowing(&[&format!("127.0.0.1:{}", addr.port())]);
    config.connect_timeout = Duration::from_millis(700);
    let relay = Relay::start(config).await;
    let closed = relay.connect("127.0.0.1", addr.port()).await.closed().await;
    assert_eq!(closed.code, 4504, "{closed:?}");
    relay.stop().await;
    drop(socket);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_by_the_target_is_4503_after_every_byte_sent_before_it() {
    let payload: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let sent = payload.clone();
    let target = server(move |s: TcpStream| {
        let sent = sent.clone();
        async move {
            let mut s = s;
            s.write_all(&sent).await.unwrap();
            // Wait until the relay has every byte (it acknowledges by sending one back), then abort.
            let mut ack = [0u8; 1];
            s.read_exact(&mut ack).await.unwrap();
            let std = s.into_std().unwrap();
            socket2::SockRef::from(&std).set_linger(Some(Duration::ZERO)).unwrap();
            drop(std);
        }
    })
    .await;
    let relay = Relay::start(allowing(&[&format!("127.0.0.1:{}", target.port())])).await;
    let mut c = relay.connect("127.0.0.1", target.port()).await;
    c.connected().await;
    let got = c.read_exact(payload.len()).await;
    assert_eq!(got, payload);
    c.send(b"!").await;
    c.grant(1 << 20).await;
    let closed = c.closed().await;
    assert_eq!(closed.code, 4503, "{closed:?}");
    assert!(closed.reason.starts_with("Connection reset by peer"), "{closed:?}");
    relay.stop().await;
}

/// A relay with a 400 ms idle timeout, and a session through it to an echo server.
async fn session_with_a_short_idle_timeout() -> (Relay, Client) {
    let target = echo_server().await;
    let mut config = allowing(&[&format!("127.0.0.1:{}", target.port())]);
    config.idle_timeout = Duration::from_millis(400);
    let relay = Relay::start(config).await;
    let mut c = relay.connect("127.0.0.1", target.port()).await;
    c.connected().await;
    (relay, c)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_timeout_is_4508() {
    let (relay, mut c) = session_with_a_short_idle_timeout().await;
    // Activity postpones it.
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        c.send(b"x").await;
    }
    let start = std::time::Instant::now();
    let closed = c.closed().await;
    assert_eq!(closed.code, 4508, "{closed:?}");
    assert!(start.elapsed() >= Duration::from_millis(300), "closed too early: {:?}", start.elapsed());
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pings_credit_and_empty_frames_do_not_keep_a_session_alive() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let (relay, mut c) = session_with_a_short_idle_timeout().await;
    let start = std::time::Instant::now();
    // Every 50 ms a ping, a 1-byte credit grant and an empty data frame: no payload.
    let closed = loop {
        tokio::select! {
            msg = c.ws.next() => match msg {
                Some(Ok(Message::Close(frame))) => break frame.map(|f| u16::from(f.code)),
                Some(Ok(_)) => {}
                other => panic!("the session ended without a close frame: {other:?}"),
            },
            () = tokio::time::sleep(Duration::from_millis(50)) => {
                let _ = c.ws.send(Message::Ping(Default::default())).await;
                let _ = c.ws.send(Message::text(r#"{"type":"credit","bytes":1}"#)).await;
                let _ = c.ws.send(Message::Binary(Default::default())).await;
                assert!(start.elapsed() < Duration::from_secs(3), "kept alive past the idle timeout");
            }
        }
    };
    assert_eq!(closed, Some(4508));
    assert!(start.elapsed() < Duration::from_millis(1500), "closed after {:?}", start.elapsed());
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_clients_idle_sockets_do_not_lock_out_another() {
    let target = echo_server().await;
    let mut config = allowing(&[&format!("127.0.0.1:{}", target.port())]);
    config.max_connections = 4; // 4 × 2 + 64 = 72 sockets in all
    config.max_per_ip = 2; // 2 × 2 + 8 = 12 sockets for one client
    let relay = Relay::start(config).await;
    // 72 sockets from 127.0.0.2 that never send a byte (issue 12, finding 2).
    let mut idle = Vec::new();
    for _ in 0..72 {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind("127.0.0.2:0".parse().unwrap()).unwrap();
        idle.push(socket.connect(relay.addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(200)).await; // all accepted
                                                          // 127.0.0.1 still gets its sessions.
    for _ in 0..2 {
        let mut c = relay.connect("127.0.0.1", target.port()).await;
        c.connected().await;
        c.send(b"ping\n").await;
        assert_eq!(c.read_exact(5).await, b"ping\n");
    }
    drop(idle);
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_connections_is_4429_and_others_keep_working() {
    let target = echo_server().await;
    let mut config = allowing(&[&format!("127.0.0.1:{}", target.port())]);
    config.max_per_ip = 2;
    let relay = Relay::start(config).await;
    let mut a = relay.connect("127.0.0.1", target.port()).await;
    a.connected().await;
    let mut b = relay.connect("127.0.0.1", target.port()).await;
    b.connected().await;
    let closed = relay.connect("127.0.0.1", target.port()).await.closed().await;
    assert_eq!(closed.code, 4429, "{closed:?}");
    a.send(b"still here").await;
    assert_eq!(a.read_exact(10).await, b"still here");
    drop(b);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut c = relay.connect("127.0.0.1", target.port()).await;
    c.connected().await;
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_closes_open_connections_with_1001() {
    let target = echo_server().await;
    let relay = Relay::start(allowing(&[&format!("127.0.0.1:{}", target.port())])).await;
    let mut c = relay.connect("127.0.0.1", target.port()).await;
    c.connected().await;
    let stopping = tokio::spawn(relay.stop());
    let closed = c.closed().await;
    assert_eq!(closed, Closed { code: 1001, reason: "relay shutting down".into() });
    stopping.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_eof_twice_and_data_after_eof_are_4400() {
    let target = echo_server().await;
    let relay = Relay::start(allowing(&[&format!("127.0.0.1:{}", target.port())])).await;
    let mut c = relay.connect("127.0.0.1", target.port()).await;
    c.connected().await;
    c.send_eof().await;
    c.send(b"late").await;
    let closed = c.closed().await;
    assert_eq!((closed.code, closed.reason.as_str()), (4400, "data after eof"));
    let _ = Control::Eof;
    relay.stop().await;
}
