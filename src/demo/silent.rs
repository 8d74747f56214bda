//! [`Silent`]: `silent.demo:9002` — accepts, never sends, never closes.

use std::time::Duration;

use super::{Action, Peer};

/// Reads and ignores everything; EOF never comes from this side.
#[derive(Debug, Default)]
pub struct Silent;

impl Peer for Silent {
    fn on_data(&mut self, _data: &[u8], _now: Duration) {}

    fn on_eof(&mut self, _now: Duration) {}

    fn poll(&mut self, _now: Duration) -> Action {
        Action::Wait(None)
    }
}
