//! Compatibility mode: a plain websockify (from PyPI) fixed to the echo fixture.

use streamlab::{open_connection, OpenOptions};
use wasm_bindgen_test::*;

use crate::common::{python, websockify};

#[wasm_bindgen_test]
async fn echo_through_websockify() {
    let opts = OpenOptions { relay: Some(websockify()), ..OpenOptions::default() };
    // The target is fixed by websockify: host and port are not sent.
    let (reader, writer) = open_connection("ignored", 1, opts).await.unwrap();
    writer.write(b"through websockify\n").unwrap();
    writer.drain().await.unwrap();
    assert_eq!(reader.readline().await.unwrap(), &b"through websockify\n"[..]);
    writer.write(&vec![b'z'; 200_000]).unwrap();
    assert_eq!(reader.readexactly(200_000).await.unwrap().len(), 200_000);
    writer.close();
    writer.wait_closed().await.unwrap();
    assert!(reader.at_eof());
}

#[wasm_bindgen_test]
async fn websockify_cannot_half_close() {
    let opts = OpenOptions { relay: Some(websockify()), ..OpenOptions::default() };
    let (_reader, writer) = open_connection("ignored", 1, opts).await.unwrap();
    assert!(!writer.can_write_eof());
    assert_eq!(python(&writer.write_eof().unwrap_err()).0, "NotImplementedError");
    writer.close();
}
