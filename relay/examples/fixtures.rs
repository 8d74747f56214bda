//! Loopback TCP servers for the browser suites (started by `cargo xtask test`): prints their
//! ports as one JSON line, then serves until stdin closes.
//!
//! * `echo`: echoes; FIN answered with FIN.
//! * `count`: reads to EOF, then answers `got N\n` (half-close from the client side).
//! * `reset`: reads a line, answers `bye\n`, then resets the connection (RST).
//! * `slow`: reads 1 KiB every 10 ms (a slow peer, for `drain()`).
//! * `source`: sends 64 MiB as fast as it can, then closes.
//! * `backlog`: a listener that never accepts, its backlog full (connect timeouts).
//! * `closed`: a port where nothing listens (refused).

use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

async fn serve<F, Fut>(handler: F) -> u16
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((s, _)) = listener.accept().await {
            tokio::spawn(handler(s));
        }
    });
    port
}

/// As [`serve`], with an 8 KiB receive buffer, so the kernel cannot hide a slow reader.
async fn serve_with_small_window<F, Fut>(handler: F) -> u16
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(8 * 1024).expect("SO_RCVBUF");
    socket.bind(std::net::SocketAddr::from(([127, 0, 0, 1], 0))).expect("bind");
    let listener = socket.listen(16).expect("listen");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((s, _)) = listener.accept().await {
            tokio::spawn(handler(s));
        }
    });
    port
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let echo = serve(|mut s| async move {
        let (mut r, mut w) = s.split();
        let _ = tokio::io::copy(&mut r, &mut w).await;
        let _ = w.shutdown().await;
    })
    .await;
    let count = serve(|mut s| async move {
        let mut all = Vec::new();
        if s.read_to_end(&mut all).await.is_ok() {
            let _ = s.write_all(format!("got {}\n", all.len()).as_bytes()).await;
        }
    })
    .await;
    let reset = serve(|s| async move {
        let mut r = BufReader::new(s);
        let mut line = String::new();
        let _ = r.read_line(&mut line).await;
        let mut s = r.into_inner();
        let _ = s.write_all(b"bye\n").await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        if let Ok(std) = s.into_std() {
            let _ = socket2::SockRef::from(&std).set_linger(Some(Duration::ZERO));
        }
    })
    .await;
    let slow = serve_with_small_window(|mut s| async move {
        let mut buf = [0u8; 1024];
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            }
        }
    })
    .await;
    let source = serve(|mut s| async move {
        let block = vec![b's'; 64 * 1024];
        for _ in 0..1024 {
            if s.write_all(&block).await.is_err() {
                return;
            }
        }
        let _ = s.shutdown().await;
    })
    .await;
    let backlog = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).expect("socket");
    backlog.bind(&std::net::SocketAddr::from(([127, 0, 0, 1], 0)).into()).expect("bind");
    backlog.listen(0).expect("listen");
    let backlog_addr = backlog.local_addr().expect("addr").as_socket().expect("inet");
    let mut fillers = Vec::new();
    for _ in 0..8 {
        if let Ok(Ok(s)) =
            tokio::time::timeout(Duration::from_millis(200), TcpStream::connect(backlog_addr)).await
        {
            fillers.push(s);
        }
    }
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    println!(
        "{{\"echo\":{echo},\"count\":{count},\"reset\":{reset},\"slow\":{slow},\"source\":{source},\"backlog\":{},\"closed\":{closed}}}",
        backlog_addr.port()
    );
    // Serve until whoever started us goes away (closes our stdin).
    std::thread::spawn(|| {
        let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
        std::process::exit(0);
    });
    std::future::pending::<()>().await;
    drop((backlog, fillers));
}
