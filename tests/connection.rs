//! open_connection, StreamWriter and the connection's lifecycle over the in-page demo
//! servers (the memory transport), natively. Each case mirrors CPython 3.13.0's behaviour in
//! asyncio-streams.md §3, §4 and §8 (test names in brackets are CPython's).

#![cfg(not(target_arch = "wasm32"))]

use std::future::Future;
use std::pin::pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::task::noop_waker_ref;
use streamlab::stream::StreamProtocol;
use streamlab::transport::ExtraInfo;
use streamlab::transport::Protocol;
use streamlab::{open_connection, run, OpenOptions, PyException, StreamError, StreamReader, StreamWriter};

async fn open(host: &str, port: u16) -> (StreamReader, StreamWriter) {
    open_connection(host, port, OpenOptions::default()).await.expect("open_connection")
}

fn python(e: &StreamError) -> (String, String) {
    (e.python_name().to_owned(), e.to_string())
}

#[test]
fn http_1_0_exchange_then_eof() {
    // [test_open_connection]
    run(async {
        let (reader, writer) = open("example.demo", 80).await;
        writer.write(b"GET / HTTP/1.0\r\n\r\n").unwrap();
        assert_eq!(reader.readline().await.unwrap(), &b"HTTP/1.0 200 OK\r\n"[..]);
        let rest = reader.read(-1).await.unwrap();
        assert!(rest.ends_with(streamlab::demo::PAGE.as_bytes()));
        assert!(reader.at_eof());
        assert!(!writer.is_closing(), "the peer's EOF does not make the writer closing");
        writer.close();
        writer.wait_closed().await.unwrap();
    });
}

#[test]
fn echo_and_half_close_end_cleanly() {
    run(async {
        let (reader, writer) = open("echo.demo", 7).await;
        writer.write(b"hello ").unwrap();
        writer.writelines([&b"wor"[..], b"ld\n"]).unwrap();
        writer.drain().await.unwrap();
        assert_eq!(reader.readline().await.unwrap(), &b"hello world\n"[..]);
        assert!(writer.can_write_eof());
        writer.write(b"tail").unwrap();
        writer.write_eof().unwrap();
        writer.write_eof().unwrap(); // idempotent
        let err = writer.write(b"").unwrap_err();
        assert_eq!(python(&err), ("RuntimeError".into(), "Cannot call write() after write_eof()".into()));
        let err = writer.writelines([b"x"]).unwrap_err();
        assert_eq!(err.to_string(), "Cannot call writelines() after write_eof()");
        assert_eq!(reader.read(-1).await.unwrap(), &b"tail"[..], "reading goes on after write_eof");
        // Both sides sent EOF: as a TCP socket in CPython, the connection stays until close().
        assert!(!writer.is_closing());
        let mut closed = pin!(writer.wait_closed());
        streamlab::runtime::sleep(Duration::from_millis(50)).await;
        assert!(
            closed.as_mut().poll(&mut Context::from_waker(noop_waker_ref())).is_pending(),
            "waits for close()"
        );
        writer.close();
        assert!(writer.is_closing());
        closed.await.unwrap();
    });
}

#[test]
fn unread_data_survives_close() {
    // [test_wait_closed_on_close_with_unread_data], §3.5
    run(async {
        let (reader, writer) = open("example.demo", 80).await;
        writer.write(b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n").unwrap();
        assert_eq!(reader.readline().await.unwrap(), &b"HTTP/1.1 200 OK\r\n"[..]);
        writer.close();
        assert!(writer.is_closing());
        writer.close(); // idempotent
        writer.wait_closed().await.unwrap();
        assert_eq!(reader.readline().await.unwrap(), &b"Server: streamlab-demo\r\n"[..]);
        let rest = reader.read(-1).await.unwrap();
        assert!(rest.ends_with(b"</html>\n"));
        assert!(reader.at_eof());
    });
}

#[test]
fn eof_is_fed_when_closing_the_writer() {
    // [test_eof_feed_when_closing_writer]
    run(async {
        let (reader, writer) = open("silent.demo", 9002).await;
        writer.close();
        writer.wait_closed().await.unwrap();
        assert!(reader.at_eof());
        assert_eq!(reader.read(-1).await.unwrap(), &b""[..]);
    });
}

#[test]
fn write_after_close_is_dropped_and_drain_raises() {
    // [test_async_writer_api_exception_after_close]
    run(async {
        let (_reader, writer) = open("echo.demo", 7).await;
        writer.close();
        writer.write(b"data").unwrap(); // silently dropped
        let err = writer.drain().await.unwrap_err();
        assert_eq!(python(&err), ("ConnectionResetError".into(), "Connection lost".into()));
        writer.write_eof().unwrap(); // a no-op when closing
    });
}

#[test]
fn drain_returns_without_yielding_when_not_paused() {
    run(async {
        let (_reader, writer) = open("echo.demo", 7).await;
        writer.write(b"x").unwrap();
        let mut drain = pin!(writer.drain());
        assert!(matches!(
            drain.as_mut().poll(&mut Context::from_waker(noop_waker_ref())),
            Poll::Ready(Ok(()))
        ));
    });
}

#[test]
fn a_lost_connection_poisons_reader_drain_and_wait_closed() {
    // §0 connection_lost(exc), [test_open_connection_error]: buffered data becomes unreadable.
    run(async {
        let reader = StreamReader::default();
        let conn = StreamProtocol::new(reader.clone());
        streamlab::transport::memory::connect(streamlab::demo::find("echo.demo", 7).unwrap(), conn.clone())
            .unwrap();
        let writer = StreamWriter::new(Rc::clone(&conn));
        writer.write(b"buffered\n").unwrap();
        while reader.buffered().is_empty() {
            streamlab::runtime::sleep(Duration::from_millis(1)).await;
        }
        let exc = PyException::with_errno("ConnectionResetError", 104, "Connection reset by peer");
        conn.connection_lost(Some(exc.clone()));
        for _ in 0..2 {
            match writer.wait_closed().await {
                Err(StreamError::Raised(e)) => assert!(e.is(&exc), "the same exception, every time"),
                other => panic!("{other:?}"),
            }
        }
        assert!(matches!(reader.readline().await, Err(StreamError::Raised(e)) if e.is(&exc)));
        assert_eq!(reader.buffered(), &b"buffered\n"[..], "still buffered, unreadable");
        assert!(
            matches!(writer.drain().await, Err(StreamError::Raised(e)) if e.is(&exc)),
            "the reader's exception first"
        );
        assert!(writer.is_closing());
        writer.write(b"more").unwrap(); // dropped silently
    });
}

#[test]
fn extra_info_and_reprs() {
    run(async {
        let (reader, writer) = open("echo.demo", 7).await;
        assert_eq!(writer.get_extra_info("peername"), Some(ExtraInfo::Address("echo.demo".into(), 7)));
        assert_eq!(writer.get_extra_info("sockname"), Some(ExtraInfo::Address("page".into(), 0)));
        assert!(matches!(writer.get_extra_info("socket"), Some(ExtraInfo::Socket { .. })));
        assert_eq!(writer.get_extra_info("sslcontext"), None);
        assert_eq!(writer.get_extra_info("nonsense"), None);
        assert_eq!(reader.to_string(), "<StreamReader transport=<MemoryTransport echo.demo:7>>");
        assert_eq!(writer.to_string(), "<StreamWriter transport=<MemoryTransport echo.demo:7> reader=<StreamReader transport=<MemoryTransport echo.demo:7>>>");
    });
}

#[test]
fn a_demo_name_on_a_port_no_demo_serves_is_refused_as_cpython_would_be() {
    // The name resolves (it is a demo's); nothing listens on the port: CPython's
    // ConnectionRefusedError, the address being the name (in-page hosts have no IP).
    run(async {
        let err = open_connection("echo.demo", 8, OpenOptions::default()).await.unwrap_err();
        assert_eq!(
            python(&err),
            ("ConnectionRefusedError".into(), "[Errno 111] Connect call failed ('echo.demo', 8)".into())
        );
    });
}

#[test]
fn bad_arguments_fail_before_connecting() {
    run(async {
        let err = open_connection("echo.demo", 7, OpenOptions { limit: 0, ..Default::default() })
            .await
            .unwrap_err();
        assert_eq!(python(&err), ("ValueError".into(), "Limit cannot be <= 0".into()));
        let opts = OpenOptions { server_hostname: Some("x".into()), ..Default::default() };
        let err = open_connection("echo.demo", 7, opts).await.unwrap_err();
        assert_eq!(python(&err), ("ValueError".into(), "server_hostname is only meaningful with ssl".into()));
        let err = open_connection("nosuch.demo", 7, OpenOptions::default()).await.unwrap_err();
        assert_eq!(python(&err), ("gaierror".into(), "[Errno -2] Name or service not known".into()));
        let err = open_connection("example.com", 80, OpenOptions::default()).await.unwrap_err();
        assert!(err.to_string().contains("without a relay"), "{err}");
        let err = open_connection("echo.demo", 7, OpenOptions { ssl: true, ..Default::default() })
            .await
            .unwrap_err();
        assert_eq!(err.python_name(), "SSLError");
    });
}

#[test]
fn drip_arrives_in_pieces() {
    run(async {
        let (reader, _writer) = open("drip.demo", 9000).await;
        assert_eq!(reader.read(100).await.unwrap(), &b"drip"[..], "read(n) returns what has come");
        let start = streamlab::runtime::Instant::now();
        assert_eq!(reader.readline().await.unwrap(), &b".demo: this line arrives in pieces.\n"[..]);
        assert!(start.elapsed() >= Duration::from_millis(500), "the pauses are real: {:?}", start.elapsed());
        let rest = reader.read(-1).await.unwrap();
        assert!(rest.ends_with(b"bye\n"));
    });
}

#[test]
fn big_line_overruns_the_default_limit_but_not_a_larger_one() {
    run(async {
        let (reader, _w) = open("big.demo", 9003).await;
        let err = reader.readline().await.unwrap_err();
        assert_eq!(python(&err).0, "ValueError");
        let opts = OpenOptions { limit: 200_000, ..Default::default() };
        let (reader, _w) = open_connection("big.demo", 9003, opts).await.unwrap();
        assert_eq!(reader.readline().await.unwrap().len(), streamlab::demo::BIG_LINE);
        assert_eq!(reader.readline().await.unwrap(), &b"after the long line\n"[..]);
    });
}

#[test]
fn silent_never_sends_nor_closes() {
    run(async {
        let (reader, writer) = open("silent.demo", 9002).await;
        writer.write(b"anyone?\n").unwrap();
        assert!(
            streamlab::runtime::timeout(Duration::from_millis(300), reader.read(10)).await.is_none(),
            "EOF never comes"
        );
        assert!(!reader.at_eof());
    });
}

#[test]
fn read_flow_control_keeps_the_buffer_near_twice_the_limit() {
    run(async {
        let limit = 1024;
        let (reader, writer) =
            open_connection("lines.demo", 9001, OpenOptions { limit, ..Default::default() }).await.unwrap();
        writer.write(b"20000\n").unwrap();
        let mut lines = 0;
        let mut most = 0;
        while lines < 20000 {
            most = most.max(reader.buffered().len());
            let line = reader.readline().await.unwrap();
            lines += 1;
            assert_eq!(line, format!("line {lines}\n").as_bytes());
            if lines % 1000 == 0 {
                // A slow consumer: the peer must wait, not the buffer grow.
                streamlab::runtime::sleep(Duration::from_millis(2)).await;
            }
        }
        // Past 2 × limit the transport was paused (a 60 KiB piece crosses it at once), and the
        // buffer never grew by more than one piece beyond that.
        assert!(most > 2 * limit, "flow control never engaged ({most} bytes at most)");
        assert!(most <= 2 * limit + 64 * 1024, "buffer reached {most} bytes");
    });
}

#[test]
fn a_cancelled_wait_closed_cancels_every_later_one() {
    // CPython: wait_closed() awaits the "closed" future itself; wait_for() cancels it.
    run(async {
        let (_reader, writer) = open("echo.demo", 7).await;
        assert!(streamlab::runtime::timeout(Duration::from_millis(20), writer.wait_closed()).await.is_none());
        writer.close();
        assert_eq!(writer.wait_closed().await.unwrap_err().python_name(), "CancelledError");
        assert_eq!(writer.wait_closed().await.unwrap_err().repr(), "CancelledError()");
    });
}
