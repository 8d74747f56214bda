//! Every reader and writer method over a real WebSocket to the real relay and real TCP
//! servers; every close code from a real cause; clean EOF vs lost connection; half-close both
//! ways; drain against a slow peer; credit flow control while 64 MiB stream in.

use std::time::Duration;

use streamlab::transport::ExtraInfo;
use streamlab::{open_connection, OpenOptions, Separators, StreamError};
use wasm_bindgen_test::*;

use crate::common::{fixture, idle_relay, open, python, relay, via};

async fn refused_with(host: &str, port: u16) -> StreamError {
    match via(relay(), host, port).await {
        Ok(_) => panic!("{host}:{port} connected"),
        Err(e) => e,
    }
}

#[wasm_bindgen_test]
async fn http_through_the_relay() {
    // CPython's test_open_connection, over real TCP to the relay's example.demo.
    let (reader, writer) = open("example.demo", 80).await;
    writer.write(b"GET / HTTP/1.0\r\n\r\n").unwrap();
    assert_eq!(reader.readline().await.unwrap(), &b"HTTP/1.0 200 OK\r\n"[..]);
    let rest = reader.read(-1).await.unwrap();
    assert!(rest.ends_with(streamlab::demo::PAGE.as_bytes()));
    assert!(reader.at_eof());
    assert!(!writer.is_closing(), "the peer's EOF does not close the writer");
    writer.close();
    writer.wait_closed().await.unwrap();
}

#[wasm_bindgen_test]
async fn every_read_method_over_echo() {
    let (reader, writer) = open("127.0.0.1", fixture("echo")).await;
    writer.write(b"line one\nAAAfour").unwrap();
    writer.writelines([&b"\r\n"[..], b"rest"]).unwrap();
    writer.drain().await.unwrap();
    assert_eq!(reader.readline().await.unwrap(), &b"line one\n"[..]);
    assert_eq!(reader.readuntil(b"AAA").await.unwrap(), &b"AAA"[..]);
    assert_eq!(reader.readexactly(4).await.unwrap(), &b"four"[..]);
    assert_eq!(reader.readuntil(Separators::tuple([&b"\n"[..], b"\r\n"])).await.unwrap(), &b"\r\n"[..]);
    let some = reader.read(100).await.unwrap();
    assert!(!some.is_empty() && b"rest".starts_with(&some), "read(n) returns what has come: {some:?}");
    writer.write_eof().unwrap();
    let tail = reader.read(-1).await.unwrap();
    assert_eq!([&some[..], &tail[..]].concat(), b"rest");
    assert!(reader.at_eof());
    writer.close();
    writer.wait_closed().await.unwrap();
}

#[wasm_bindgen_test]
async fn a_read_of_one_whole_message_can_hand_out_the_message_itself() {
    // The JS API's read() returns the message's own ArrayBuffer then (stream::Origins).
    let (reader, writer) = open("127.0.0.1", fixture("echo")).await;
    writer.write(b"hello").unwrap();
    let got = reader.read(100).await.unwrap();
    assert_eq!(&got[..], b"hello");
    let message = reader.take_origin(&got).expect("the echo's message").downcast::<js_sys::ArrayBuffer>();
    assert_eq!(js_sys::Uint8Array::new(&message.unwrap()).to_vec(), b"hello");
    writer.write(b"hello again").unwrap();
    let part = reader.readexactly(5).await.unwrap();
    assert_eq!(&part[..], b"hello");
    assert!(reader.take_origin(&part).is_none(), "part of a message");
    let rest = reader.readexactly(6).await.unwrap();
    assert_eq!(&rest[..], b" again");
    assert!(reader.take_origin(&rest).is_none(), "the rest of one");
    writer.close();
}

#[wasm_bindgen_test]
async fn peername_and_sockname_are_the_real_sockets() {
    let port = fixture("echo");
    let (_r, writer) = open("127.0.0.1", port).await;
    assert_eq!(writer.get_extra_info("peername"), Some(ExtraInfo::Address("127.0.0.1".into(), port)));
    match writer.get_extra_info("sockname") {
        Some(ExtraInfo::Address(ip, p)) => assert!(ip == "127.0.0.1" && p != port && p > 0),
        other => panic!("{other:?}"),
    }
    assert!(matches!(writer.get_extra_info("socket"), Some(ExtraInfo::Socket { .. })));
    assert_eq!(writer.get_extra_info("sslcontext"), None);
    assert!(writer.to_string().starts_with("<StreamWriter transport=<WebSocketTransport ws://"));
}

#[wasm_bindgen_test]
async fn write_eof_half_closes_and_the_answer_still_arrives() {
    // The server reads to EOF, then answers: write_eof() must reach it as a FIN.
    let (reader, writer) = open("127.0.0.1", fixture("count")).await;
    writer.write(&[7u8; 1000]).unwrap();
    assert!(writer.can_write_eof());
    writer.write_eof().unwrap();
    assert!(!writer.is_closing());
    assert_eq!(reader.readline().await.unwrap(), &b"got 1000\n"[..]);
    assert_eq!(reader.read(-1).await.unwrap(), &b""[..]);
    // The relay ended the session (1000, both EOFs); as over TCP, it is over at close().
    streamlab::runtime::sleep(Duration::from_millis(50)).await;
    assert!(!writer.is_closing());
    writer.close();
    writer.wait_closed().await.unwrap();
}

#[wasm_bindgen_test]
async fn the_peers_eof_leaves_the_writer_usable() {
    let (reader, writer) = open("lines.demo", 9001).await;
    writer.write(b"2\n").unwrap();
    assert_eq!(reader.readline().await.unwrap(), &b"line 1\n"[..]);
    assert_eq!(reader.readline().await.unwrap(), &b"line 2\n"[..]);
    writer.write(b"1\n").unwrap(); // still writable
    assert_eq!(reader.readline().await.unwrap(), &b"line 1\n"[..]);
}

#[wasm_bindgen_test]
async fn refused_port_is_connection_refused() {
    let port = fixture("closed");
    let err = refused_with("127.0.0.1", port).await;
    assert_eq!(
        python(&err),
        ("ConnectionRefusedError".into(), format!("[Errno 111] Connect call failed ('127.0.0.1', {port})"))
    );
}

#[wasm_bindgen_test]
async fn policy_refusal_is_permission_error() {
    let err = refused_with("127.0.0.1", 1).await; // loopback, but not allowed
    assert_eq!(err.python_name(), "PermissionError");
    assert!(err.to_string().starts_with("[Errno 13] "), "{err}");
}

#[wasm_bindgen_test]
async fn unknown_name_is_gaierror() {
    let err = refused_with("nosuch.demo", 80).await;
    assert_eq!(err.python_name(), "gaierror");
}

#[wasm_bindgen_test]
async fn bad_request_is_value_error() {
    let err = refused_with("bad host", 80).await;
    assert_eq!(err.python_name(), "ValueError");
    assert!(err.to_string().contains("host"), "{err}");
}

#[wasm_bindgen_test]
async fn connect_timeout_is_timeout_error() {
    let err = refused_with("127.0.0.1", fixture("backlog")).await;
    assert_eq!(err.python_name(), "TimeoutError");
}

#[wasm_bindgen_test]
async fn too_many_connections_is_refused() {
    let (_a, _wa) = via(idle_relay(), "echo.demo", 7).await.unwrap();
    let (_b, _wb) = via(idle_relay(), "echo.demo", 7).await.unwrap();
    let err = via(idle_relay(), "echo.demo", 7).await.expect_err("a third connection is over the cap");
    assert_eq!(err.python_name(), "ConnectionRefusedError");
    assert!(err.to_string().contains("limit per address"), "{err}");
}

#[wasm_bindgen_test]
async fn idle_timeout_is_timeout_error_and_poisons_the_reader() {
    let (reader, writer) = via(idle_relay(), "silent.demo", 9002).await.unwrap();
    let err = reader.read(10).await.unwrap_err();
    assert_eq!(err.python_name(), "TimeoutError");
    assert!(matches!(writer.wait_closed().await, Err(StreamError::Raised(e)) if e.name() == "TimeoutError"));
}

#[wasm_bindgen_test]
async fn a_reset_loses_the_connection_and_hides_buffered_data() {
    let (reader, writer) = open("127.0.0.1", fixture("reset")).await;
    writer.write(b"hello\n").unwrap();
    assert_eq!(reader.readline().await.unwrap(), &b"bye\n"[..]);
    let err = writer.wait_closed().await.unwrap_err();
    assert_eq!(err.python_name(), "ConnectionResetError");
    assert!(err.to_string().starts_with("[Errno 104] Connection reset by peer"), "{err}");
    // Every later read, drain and wait_closed raise it too.
    assert_eq!(reader.read(0).await.unwrap_err().python_name(), "ConnectionResetError");
    assert_eq!(writer.drain().await.unwrap_err().python_name(), "ConnectionResetError");
    assert_eq!(writer.wait_closed().await.unwrap_err().python_name(), "ConnectionResetError");
    assert!(writer.is_closing());
    writer.write(b"dropped").unwrap(); // silently
}

#[wasm_bindgen_test]
async fn a_clean_close_keeps_buffered_data_readable() {
    let (reader, writer) = open("example.demo", 80).await;
    writer.write(b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n").unwrap();
    assert_eq!(reader.readline().await.unwrap(), &b"HTTP/1.1 200 OK\r\n"[..]);
    writer.close();
    writer.wait_closed().await.unwrap();
    let rest = reader.read(-1).await.unwrap();
    assert!(rest.ends_with(b"</html>\n"), "unread data survives close");
    assert!(reader.at_eof());
}

#[wasm_bindgen_test]
async fn close_right_after_a_small_write_is_lost_at_once_as_in_cpython() {
    // CPython's write() hands the bytes to the kernel, so close() finds nothing to flush: the
    // connection counts as lost at once, a later write is dropped and drain() raises. The
    // page's unsent bytes up to SEND_BUFFER are the kernel's part; the browser still sends them.
    let (_reader, writer) = open("127.0.0.1", fixture("echo")).await;
    writer.write(&vec![b'x'; 128 * 1024]).unwrap();
    assert_eq!(writer.snapshot().write_buffer_size, 0);
    writer.close();
    writer.write(b"more").unwrap();
    assert_eq!(
        python(&writer.drain().await.unwrap_err()),
        ("ConnectionResetError".into(), "Connection lost".into())
    );
    writer.wait_closed().await.unwrap();
}

#[wasm_bindgen_test]
async fn close_after_writes_beyond_the_send_buffer_flushes_them_before_the_connection_ends() {
    // The transport's own buffer (beyond SEND_BUFFER) holds bytes: close() flushes them first,
    // so the connection is not lost yet and a paused drain() returns once it is (as CPython's
    // does when connection_lost(None) comes), instead of raising.
    let (_reader, writer) = open("127.0.0.1", fixture("echo")).await;
    writer.write(&vec![b'x'; 1024 * 1024]).unwrap();
    assert!(writer.snapshot().write_buffer_size > 0);
    writer.close();
    writer.drain().await.unwrap();
    writer.wait_closed().await.unwrap();
}

#[wasm_bindgen_test]
async fn write_after_close_is_dropped_and_drain_raises() {
    let (_reader, writer) = open("127.0.0.1", fixture("echo")).await;
    writer.close();
    assert!(writer.is_closing());
    writer.write(b"data").unwrap();
    assert_eq!(
        python(&writer.drain().await.unwrap_err()),
        ("ConnectionResetError".into(), "Connection lost".into())
    );
    writer.wait_closed().await.unwrap();
    writer.write_eof().unwrap(); // a no-op when closing
}

#[wasm_bindgen_test]
async fn write_after_write_eof_is_a_runtime_error() {
    let (_r, writer) = open("127.0.0.1", fixture("echo")).await;
    writer.write_eof().unwrap();
    assert_eq!(
        python(&writer.write(b"").unwrap_err()),
        ("RuntimeError".into(), "Cannot call write() after write_eof()".into())
    );
}

#[wasm_bindgen_test]
async fn drain_really_waits_for_a_slow_peer() {
    // The slow fixture reads 1 KiB every 10 ms through an 8 KiB window: once the relay's socket
    // buffer is full, the page's WebSocket buffer passes 64 KiB and drain() must wait for it to
    // fall to 16 KiB.
    let (_r, writer) = open("127.0.0.1", fixture("slow")).await;
    let mut longest = Duration::ZERO;
    // Up to 64 MiB: more than the kernel's socket buffers on both sides can hold.
    for _ in 0..1024 {
        writer.write(&vec![b'x'; 64 * 1024]).unwrap();
        let start = streamlab::runtime::Instant::now();
        writer.drain().await.unwrap();
        longest = longest.max(start.elapsed());
        if longest >= Duration::from_millis(150) {
            break;
        }
    }
    assert!(longest >= Duration::from_millis(150), "drain never waited (longest {longest:?})");
    writer.close();
}

#[wasm_bindgen_test]
async fn drain_returns_at_once_when_nothing_is_buffered() {
    let (_r, writer) = open("127.0.0.1", fixture("echo")).await;
    writer.write(b"x").unwrap();
    let mut drain = std::pin::pin!(writer.drain());
    assert!(matches!(crate::common::poll_once(drain.as_mut()), std::task::Poll::Ready(Ok(()))));
}

#[wasm_bindgen_test]
async fn credit_keeps_the_buffer_near_twice_the_limit_over_64_mib() {
    let limit = 64 * 1024;
    let window = streamlab::transport::CreditWindow::WINDOW;
    let opts = OpenOptions { limit, relay: Some(relay()), ..OpenOptions::default() };
    let (reader, writer) = open_connection("127.0.0.1", fixture("source"), opts).await.unwrap();
    // Unread for a while: one window comes, the reader pauses above 2 × limit, the transport
    // holds the rest (as the kernel would), and no grant goes out: the sender stops.
    streamlab::runtime::sleep(Duration::from_millis(300)).await;
    let credit = writer.snapshot().credit.unwrap();
    assert_eq!(credit.granted, window, "granted more while a full window is held: {credit:?}");
    let first = reader.buffered().len();
    assert!(first > 2 * limit && first <= 3 * limit, "the paused reader holds {first} bytes");
    let (mut total, mut most) = (0usize, 0usize);
    loop {
        most = most.max(reader.buffered().len());
        let chunk = reader.read(256 * 1024).await.unwrap();
        if chunk.is_empty() {
            break;
        }
        total += chunk.len();
        if total % (8 << 20) < chunk.len() {
            // Now and then a slow consumer: the sender must wait, not the buffer grow.
            streamlab::runtime::sleep(Duration::from_millis(20)).await;
        }
    }
    assert_eq!(total, 64 << 20);
    // Paused above 2 × limit; at most one relay message more came in.
    assert!(most <= 3 * limit, "the buffer reached {most} bytes");
    assert!(writer.snapshot().credit.unwrap().granted >= 64 << 20);
}

#[wasm_bindgen_test]
async fn drip_through_the_relay_shows_partial_reads() {
    let (reader, _w) = open("drip.demo", 9000).await;
    let first = reader.read(100).await.unwrap();
    assert!(first.len() < 20, "the first read returns only what has come: {first:?}");
    let rest = reader.read(-1).await.unwrap();
    assert_eq!([&first[..], &rest[..]].concat(), streamlab::demo::Drip::full_text());
}

#[wasm_bindgen_test]
async fn silent_never_sends_through_the_relay() {
    let (reader, _w) = open("silent.demo", 9002).await;
    assert!(streamlab::runtime::timeout(Duration::from_millis(400), reader.readline()).await.is_none());
}

#[wasm_bindgen_test]
async fn big_line_through_the_relay() {
    let (reader, _w) = open("big.demo", 9003).await;
    match reader.readuntil(b"\n").await {
        Err(StreamError::LimitOverrun { consumed, .. }) => assert!(consumed > 65536),
        other => panic!("{other:?}"),
    }
    assert_eq!(python(&reader.readline().await.unwrap_err()).0, "ValueError");
}

#[wasm_bindgen_test]
async fn async_iteration_over_lines_through_the_relay() {
    let (reader, writer) = open("lines.demo", 9001).await;
    writer.write(b"500\n").unwrap();
    writer.write_eof().unwrap();
    let mut n = 0;
    while let Some(line) = reader.next_line().await.unwrap() {
        n += 1;
        assert_eq!(line, format!("line {n}\n").as_bytes());
    }
    assert_eq!(n, 500);
}

#[wasm_bindgen_test]
async fn ssl_without_a_tls_target_fails_and_server_hostname_needs_ssl() {
    let opts =
        OpenOptions { server_hostname: Some("x".into()), relay: Some(relay()), ..OpenOptions::default() };
    let err = open_connection("127.0.0.1", fixture("echo"), opts).await.unwrap_err();
    assert_eq!(python(&err), ("ValueError".into(), "server_hostname is only meaningful with ssl".into()));
    let opts = OpenOptions { ssl: true, relay: Some(relay()), ..OpenOptions::default() };
    let err = open_connection("127.0.0.1", fixture("echo"), opts).await.unwrap_err();
    assert_eq!(
        err.python_name(),
        "ConnectionRefusedError",
        "the TLS handshake with a plain server fails: {err}"
    );
}

#[wasm_bindgen_test]
async fn an_unreachable_relay_is_connection_refused() {
    let dead = streamlab::Relay::streamlab(format!("ws://127.0.0.1:{}", fixture("closed")));
    let err = via(dead, "echo.demo", 7).await.expect_err("no relay there");
    assert_eq!(err.python_name(), "ConnectionRefusedError");
}

#[wasm_bindgen_test]
async fn read_zero_consumes_nothing_and_at_eof_waits_for_the_end() {
    let (reader, writer) = open("127.0.0.1", fixture("echo")).await;
    writer.write(b"abc").unwrap();
    assert_eq!(reader.readexactly(1).await.unwrap(), &b"a"[..]);
    assert_eq!(reader.read(0).await.unwrap(), &b""[..]);
    assert!(!reader.at_eof());
    assert_eq!(reader.readexactly(2).await.unwrap(), &b"bc"[..]);
}

#[wasm_bindgen_test]
async fn readexactly_past_the_end_is_incomplete_read() {
    let (reader, writer) = open("example.demo", 80).await;
    writer.write(b"GET /missing HTTP/1.0\r\n\r\n").unwrap();
    match reader.readexactly(1 << 20).await {
        Err(StreamError::IncompleteRead { partial, expected }) => {
            assert!(partial.starts_with(b"HTTP/1.0 404 Not Found\r\n"));
            assert_eq!(expected, Some(1 << 20));
        }
        other => panic!("{other:?}"),
    }
    assert!(reader.at_eof(), "the buffer was emptied into partial");
}

#[wasm_bindgen_test]
async fn writelines_reaches_the_peer_as_one_stream() {
    let (reader, writer) = open("127.0.0.1", fixture("count")).await;
    writer.writelines([&b"one "[..], b"two ", b"three"]).unwrap();
    writer.write_eof().unwrap();
    assert_eq!(reader.readline().await.unwrap(), &b"got 13\n"[..]);
}

#[wasm_bindgen_test]
async fn close_is_idempotent_and_wait_closed_repeats() {
    let (_reader, writer) = open("127.0.0.1", fixture("echo")).await;
    writer.close();
    writer.close();
    assert!(writer.is_closing());
    writer.wait_closed().await.unwrap();
    writer.wait_closed().await.unwrap();
}

#[wasm_bindgen_test]
async fn a_second_reader_waiting_on_a_real_connection_is_a_runtime_error() {
    let (reader, writer) = open("127.0.0.1", fixture("echo")).await;
    let mut first = std::pin::pin!(reader.readline());
    assert!(crate::common::poll_once(first.as_mut()).is_pending());
    let err = reader.readexactly(3).await.unwrap_err();
    assert_eq!(
        python(&err),
        (
            "RuntimeError".into(),
            "readexactly() called while another coroutine is already waiting for incoming data".into()
        )
    );
    writer.write(b"ok\n").unwrap();
    assert_eq!(first.await.unwrap(), &b"ok\n"[..]);
}

#[wasm_bindgen_test]
async fn a_large_message_both_ways_arrives_whole() {
    let (reader, writer) = open("127.0.0.1", fixture("echo")).await;
    let sent: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    for piece in sent.chunks(300_000) {
        writer.write(piece).unwrap();
        writer.drain().await.unwrap();
    }
    assert_eq!(reader.readexactly(sent.len() as isize).await.unwrap(), &sent[..]);
}

#[wasm_bindgen_test]
async fn close_while_the_socket_dies_mid_flush_reports_the_loss() {
    // The peer resets after one line while 64 MiB are still on their way (more than the
    // sockets between page and relay hold): the relay's writes fail (4503) while the page is
    // still flushing after close(). wait_closed() must end, with the loss, not wait forever.
    let (_reader, writer) = open("127.0.0.1", fixture("reset")).await;
    writer.write(b"hi\n").unwrap();
    writer.write(&vec![0u8; 64 << 20]).unwrap();
    writer.close();
    let ended = streamlab::runtime::timeout(Duration::from_secs(10), writer.wait_closed()).await;
    let err = ended.expect("wait_closed() hung").unwrap_err();
    let (name, _) = python(&err);
    assert!(["ConnectionResetError", "BrokenPipeError"].contains(&name.as_str()), "{err:?}");
}

#[wasm_bindgen_test]
async fn every_demo_transcript_through_the_relay() {
    // The same table as in-page (tests/shared/demo_table.rs), over real TCP.
    crate::demo_table::check_all(|host, port| {
        Box::pin(crate::common::via(crate::common::relay(), host, port))
    })
    .await;
}

#[wasm_bindgen_test]
async fn a_write_larger_than_a_relay_message_is_split_into_frames() {
    // One write of 3 MiB + 1 (the relay refuses messages over 1 MiB) reaches the echo whole.
    let (reader, writer) = open("127.0.0.1", fixture("echo")).await;
    let data: Vec<u8> = (0..3 * 1024 * 1024 + 1).map(|i| (i % 251) as u8).collect();
    writer.write(&data).unwrap();
    writer.drain().await.unwrap();
    assert_eq!(reader.readexactly(data.len() as isize).await.unwrap(), &data[..]);
    writer.close();
    writer.wait_closed().await.unwrap();
}

#[wasm_bindgen_test]
async fn the_writer_snapshot_shows_the_relays_credit() {
    let (reader, writer) = open("127.0.0.1", fixture("echo")).await;
    let window = streamlab::transport::CreditWindow::WINDOW;
    let credit = writer.snapshot().credit.expect("a relay connection has credit");
    assert_eq!((credit.window, credit.granted), (window, window));
    writer.write(b"ping\n").unwrap();
    assert_eq!(reader.readline().await.unwrap(), &b"ping\n"[..]);
    let after = writer.snapshot().credit.unwrap();
    assert_eq!(after.outstanding, window - 5, "5 bytes of credit used, no new grant below half");
    assert_eq!(writer.snapshot().write_buffer_limits, (16384, 65536));
    writer.close();
}

#[wasm_bindgen_test]
async fn a_token_reaches_the_relay_and_needs_a_relay() {
    // The suite's relay has no --token-secret, but it still checks a token's form: a
    // malformed one refused at the relay shows the token travelled with the connection.
    let opts =
        OpenOptions { token: Some("not a token!".into()), relay: Some(relay()), ..OpenOptions::default() };
    let err = open_connection("127.0.0.1", fixture("echo"), opts).await.unwrap_err();
    assert_eq!(err.python_name(), "ValueError");
    assert!(err.to_string().contains("token is malformed"), "{err}");
    let opts = OpenOptions { token: Some("1.ab".into()), ..OpenOptions::default() };
    let err = open_connection("echo.demo", 7, opts).await.unwrap_err();
    assert_eq!(python(&err), ("ValueError".into(), "token is only meaningful with a streamlab relay".into()));
}
