//! In-page servers (`start_server`) reached by `open_connection` over the pipe transport:
//! both ends are streamlab streams with TCP's semantics (half-close, flow control, close).
#![cfg(not(target_arch = "wasm32"))]

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use streamlab::runtime::{sleep, spawn_local, timeout};
use streamlab::{open_connection, run, start_server, StreamReader, StreamWriter};

type Accepted = Rc<RefCell<Vec<(StreamReader, StreamWriter)>>>;

/// A server that keeps what it accepts, for the test to drive.
fn keeping(host: &str, port: u16) -> (streamlab::Server, Accepted) {
    let accepted: Accepted = Rc::default();
    let keep = Rc::clone(&accepted);
    let server =
        start_server(host, port, Default::default(), move |r, w| keep.borrow_mut().push((r, w))).unwrap();
    (server, accepted)
}

#[test]
fn an_echo_server_answers_and_both_ends_name_each_other() {
    run(async {
        let server = start_server("mine.demo", 8888, Default::default(), |reader, writer| {
            spawn_local(async move {
                while let Ok(line) = reader.readline().await {
                    if line.is_empty() {
                        break;
                    }
                    writer.write(&line).unwrap();
                }
                writer.close();
            })
            .unwrap();
        })
        .unwrap();
        assert_eq!(server.repr(), "<Server sockets=(('mine.demo', 8888),)>");
        let (reader, writer) = open_connection("MINE.demo", 8888, Default::default()).await.unwrap();
        writer.write(b"one\ntwo\n").unwrap();
        assert_eq!(reader.readline().await.unwrap(), &b"one\n"[..]);
        assert_eq!(reader.readline().await.unwrap(), &b"two\n"[..]);
        assert_eq!(writer.get_extra_info("peername").unwrap().repr(), "('mine.demo', 8888)");
        writer.write_eof().unwrap();
        assert_eq!(reader.read(-1).await.unwrap(), &b""[..]); // the server closed after our EOF
        writer.close();
        writer.wait_closed().await.unwrap();
        server.close();
        assert!(!server.is_serving());
        timeout(Duration::from_secs(2), server.wait_closed()).await.expect("wait_closed ended");
    });
}

#[test]
fn half_close_reaches_the_server_which_still_answers() {
    run(async {
        let (server, accepted) = keeping("half.demo", 1);
        let (reader, writer) = open_connection("half.demo", 1, Default::default()).await.unwrap();
        writer.write(b"all of it").unwrap();
        writer.write_eof().unwrap();
        let (sr, sw) = accepted.borrow()[0].clone();
        assert_eq!(sr.read(-1).await.unwrap(), &b"all of it"[..]);
        assert!(sr.at_eof());
        sw.write(b"got 9\n").unwrap();
        sw.close();
        assert_eq!(reader.readline().await.unwrap(), &b"got 9\n"[..]);
        assert_eq!(reader.read(-1).await.unwrap(), &b""[..]);
        server.close();
    });
}

#[test]
fn a_server_that_does_not_read_makes_drain_wait() {
    run(async {
        let (server, accepted) = keeping("slow.demo", 2);
        let (_reader, writer) = open_connection("slow.demo", 2, Default::default()).await.unwrap();
        sleep(Duration::ZERO).await;
        let (sr, _sw) = accepted.borrow()[0].clone();
        writer.write(&vec![7u8; 1 << 20]).unwrap();
        // The server's reader pauses at 2 × limit; the rest stays in the client's buffer.
        let drained = timeout(Duration::from_millis(100), writer.drain()).await;
        assert!(drained.is_none(), "drain() must wait while the server reads nothing");
        assert!(writer.snapshot().write_buffer_size > 64 * 1024);
        let mut got = 0;
        while got < 1 << 20 {
            got += sr.read(65536).await.unwrap().len();
        }
        timeout(Duration::from_secs(2), writer.drain()).await.expect("drain() ended").unwrap();
        assert_eq!(writer.snapshot().write_buffer_size, 0);
        server.close();
    });
}

#[test]
fn wait_closed_waits_for_the_connections_and_a_closed_server_is_gone() {
    run(async {
        let (server, accepted) = keeping("wait.demo", 3);
        let (reader, writer) = open_connection("wait.demo", 3, Default::default()).await.unwrap();
        sleep(Duration::ZERO).await;
        server.close();
        assert!(
            timeout(Duration::from_millis(50), server.wait_closed()).await.is_none(),
            "a connection is open"
        );
        assert_eq!(accepted.borrow().len(), 1);
        server.close_clients();
        timeout(Duration::from_secs(2), server.wait_closed()).await.expect("closed with its connections");
        // The server closed its end: a FIN, as over TCP (drain() does not fail for it).
        assert_eq!(reader.read(-1).await.unwrap(), &b""[..]);
        writer.drain().await.unwrap();
        let err = open_connection("wait.demo", 3, Default::default()).await.unwrap_err();
        assert_eq!(err.python_name(), "gaierror");
    });
}

#[test]
fn one_server_per_address_and_bad_arguments() {
    run(async {
        let (server, _) = keeping("dup.demo", 4);
        let err = start_server("dup.demo", 4, Default::default(), |_, _| {}).unwrap_err();
        assert_eq!(
            err.repr(),
            "OSError(98, \"error while attempting to bind on address ('dup.demo', 4): address already in use\")"
        );
        assert!(start_server("dup.demo", 0, Default::default(), |_, _| {}).is_err());
        let zero = streamlab::ServerOptions { limit: 0 };
        assert_eq!(start_server("other.demo", 5, zero, |_, _| {}).unwrap_err().python_name(), "ValueError");
        server.close();
        start_server("dup.demo", 4, Default::default(), |_, _| {}).unwrap().close();
    });
}

#[test]
fn the_servers_name_on_another_port_is_refused_and_unknown_once_it_closes() {
    run(async {
        let (server, _) = keeping("mine.demo", 8888);
        let err = open_connection("mine.demo", 8889, Default::default()).await.unwrap_err();
        assert_eq!(err.repr(), "ConnectionRefusedError(111, \"Connect call failed ('mine.demo', 8889)\")");
        server.close();
        let err = open_connection("mine.demo", 8889, Default::default()).await.unwrap_err();
        assert_eq!(err.python_name(), "gaierror");
    });
}

#[test]
fn close_hands_on_what_was_written_before_the_connection_ends() {
    run(async {
        let (server, accepted) = keeping("flush.demo", 6);
        let (_reader, writer) = open_connection("flush.demo", 6, Default::default()).await.unwrap();
        sleep(Duration::ZERO).await;
        let (sr, _sw) = accepted.borrow()[0].clone();
        let sent: Vec<u8> = (0..1 << 20).map(|i| (i % 251) as u8).collect();
        writer.write(&sent).unwrap();
        writer.close();
        // The server reads nothing yet: the bytes wait, and so does the close.
        let closed = Rc::new(std::cell::Cell::new(false));
        let (flag, w) = (Rc::clone(&closed), writer.clone());
        spawn_local(async move {
            w.wait_closed().await.unwrap();
            flag.set(true);
        })
        .unwrap();
        sleep(Duration::from_millis(50)).await;
        assert!(!closed.get(), "closed before its bytes were handed on");
        assert_eq!(sr.read(-1).await.unwrap(), &sent[..]); // everything, then the FIN
        sleep(Duration::from_millis(10)).await;
        assert!(closed.get(), "closed once flushed");
        server.close();
    });
}
