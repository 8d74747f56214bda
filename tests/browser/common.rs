//! What the browser tests share: the services `cargo xtask test` started (baked in at compile
//! time: a page cannot read environment variables), and small helpers.

use std::future::Future;

use streamlab::{open_connection, OpenOptions, Relay, StreamError, StreamReader, StreamWriter};

fn service(value: Option<&'static str>, name: &str) -> &'static str {
    value.unwrap_or_else(|| panic!("{name} is not set: run the browser suite with `cargo xtask test`"))
}

/// The relay with the demo servers and the fixtures allowed.
pub fn relay() -> Relay {
    Relay::streamlab(service(option_env!("STREAMLAB_RELAY"), "STREAMLAB_RELAY"))
}

/// A relay with a 0.5 s idle timeout and at most 2 connections per address.
pub fn idle_relay() -> Relay {
    Relay::streamlab(service(option_env!("STREAMLAB_IDLE_RELAY"), "STREAMLAB_IDLE_RELAY"))
}

/// A websockify fixed to the echo fixture.
pub fn websockify() -> Relay {
    Relay::websockify(service(option_env!("STREAMLAB_WEBSOCKIFY"), "STREAMLAB_WEBSOCKIFY"))
}

/// The port of a loopback fixture (`echo`, `count`, `reset`, `slow`, `source`, `backlog`,
/// `closed`).
pub fn fixture(name: &str) -> u16 {
    let json: serde_json::Value =
        serde_json::from_str(service(option_env!("STREAMLAB_FIXTURES"), "STREAMLAB_FIXTURES")).unwrap();
    json[name].as_u64().unwrap_or_else(|| panic!("no fixture {name}")) as u16
}

/// open_connection through `relay`.
pub async fn via(relay: Relay, host: &str, port: u16) -> Result<(StreamReader, StreamWriter), StreamError> {
    open_connection(host, port, OpenOptions { relay: Some(relay), ..OpenOptions::default() }).await
}

/// open_connection through the main relay, expecting success.
pub async fn open(host: &str, port: u16) -> (StreamReader, StreamWriter) {
    via(relay(), host, port).await.unwrap_or_else(|e| panic!("open_connection({host}, {port}): {e:?}"))
}

/// `(python name, str(exc))` of an error.
pub fn python(e: &StreamError) -> (String, String) {
    (e.python_name().to_owned(), e.to_string())
}

/// Polls a future once, without waiting.
pub fn poll_once<F: Future>(fut: std::pin::Pin<&mut F>) -> std::task::Poll<F::Output> {
    fut.poll(&mut std::task::Context::from_waker(futures::task::noop_waker_ref()))
}
