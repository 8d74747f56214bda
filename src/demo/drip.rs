//! [`Drip`]: `drip.demo:9000` — a reply in small pieces with pauses.

use std::time::Duration;

use bytes::Bytes;

use super::{Action, Peer};

/// The script: (milliseconds after connecting, bytes).
const SCRIPT: &[(u64, &[u8])] = &[
    (0, b"drip"),
    (150, b".demo: "),
    (300, b"this line "),
    (450, b"arrives in "),
    (600, b"pieces.\n"),
    (900, b"read(100) returns whatever has come; "),
    (1050, b"readline() waits for the newline.\n"),
    (1350, b"bye"),
    (1500, b"\n"),
];

/// Sends [`SCRIPT`]'s pieces at their times, then half-closes. Ignores input.
#[derive(Debug, Default)]
pub struct Drip {
    next: usize,
    shut: bool,
}

impl Drip {
    /// Everything the script sends, joined.
    pub fn full_text() -> Vec<u8> {
        SCRIPT.iter().flat_map(|(_, b)| b.iter().copied()).collect()
    }
}

impl Peer for Drip {
    fn on_data(&mut self, _data: &[u8], _now: Duration) {}

    fn on_eof(&mut self, _now: Duration) {}

    fn poll(&mut self, now: Duration) -> Action {
        match SCRIPT.get(self.next) {
            Some(&(at, bytes)) if now >= Duration::from_millis(at) => {
                self.next += 1;
                Action::Send(Bytes::from_static(bytes))
            }
            Some(&(at, _)) => Action::Wait(Some(Duration::from_millis(at))),
            None if !self.shut => {
                self.shut = true;
                Action::Shutdown
            }
            None => Action::Wait(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::drain;

    #[test]
    fn sends_each_piece_at_its_time() {
        let mut p = Drip::default();
        assert_eq!(
            drain(&mut p, Duration::ZERO),
            (b"drip".to_vec(), Action::Wait(Some(Duration::from_millis(150))))
        );
        assert_eq!(drain(&mut p, Duration::from_millis(149)).0, b"");
        assert_eq!(drain(&mut p, Duration::from_millis(460)).0, b".demo: this line arrives in ");
        let (rest, end) = drain(&mut p, Duration::from_secs(5));
        assert_eq!(end, Action::Shutdown);
        assert!(rest.ends_with(b"bye\n"));
        assert_eq!(Drip::full_text().len(), 4 + 7 + 10 + 11 + 8 + 37 + 34 + 4);
    }
}
