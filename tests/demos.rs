//! The shared demo-server table (`tests/shared/demo_table.rs`) through the in-page memory
//! transport, natively; the browser suite runs it in-page and through the relay too.

#![cfg(not(target_arch = "wasm32"))]

#[path = "shared/demo_table.rs"]
mod demo_table;

use streamlab::{open_connection, run, OpenOptions};

#[test]
fn every_demo_transcript_in_page() {
    run(demo_table::check_all(|host, port| Box::pin(open_connection(host, port, OpenOptions::default()))));
}
