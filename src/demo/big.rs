//! [`Big`]: `big.demo:9003` — a line longer than the default 64 KiB limit.

use std::time::Duration;

use bytes::Bytes;

use super::{Action, Peer};

/// The long line's length with its `\n`: past `2 × 64 KiB`, so a default reader both overruns
/// and pauses.
pub const BIG_LINE: usize = 150_000;

/// Sends one 150,000-byte line (`x`… and `\n`), then `after the long line\n`, then half-closes.
#[derive(Debug, Default)]
pub struct Big {
    sent: usize,
    stage: u8,
}

impl Peer for Big {
    fn on_data(&mut self, _data: &[u8], _now: Duration) {}

    fn on_eof(&mut self, _now: Duration) {}

    fn poll(&mut self, _now: Duration) -> Action {
        const X: [u8; 16 * 1024] = [b'x'; 16 * 1024];
        match self.stage {
            0 if self.sent < BIG_LINE - 1 => {
                let n = X.len().min(BIG_LINE - 1 - self.sent);
                self.sent += n;
                Action::Send(Bytes::from_static(&X[..n]))
            }
            0 => {
                self.stage = 1;
                Action::Send(Bytes::from_static(b"\nafter the long line\n"))
            }
            1 => {
                self.stage = 2;
                Action::Shutdown
            }
            _ => Action::Wait(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::drain;

    #[test]
    fn sends_a_long_line_then_a_short_one() {
        let mut p = Big::default();
        let (out, end) = drain(&mut p, Duration::ZERO);
        assert_eq!(end, Action::Shutdown);
        assert_eq!(out.len(), BIG_LINE + "after the long line\n".len());
        assert_eq!(out.iter().position(|&b| b == b'\n'), Some(BIG_LINE - 1));
        assert!(out.ends_with(b"\nafter the long line\n"));
    }
}
