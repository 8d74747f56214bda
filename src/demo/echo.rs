//! [`Echo`]: `echo.demo:7` — every byte back; the client's FIN is answered with FIN.

use std::time::Duration;

use bytes::BytesMut;

use super::{Action, Peer};

/// Echoes what it reads; after the client's EOF it sends what is left, then half-closes.
#[derive(Debug, Default)]
pub struct Echo {
    pending: BytesMut,
    eof: bool,
    shut: bool,
}

impl Peer for Echo {
    fn on_data(&mut self, data: &[u8], _now: Duration) {
        self.pending.extend_from_slice(data);
    }

    fn on_eof(&mut self, _now: Duration) {
        self.eof = true;
    }

    fn poll(&mut self, _now: Duration) -> Action {
        if !self.pending.is_empty() {
            let n = self.pending.len().min(64 * 1024);
            return Action::Send(self.pending.split_to(n).freeze());
        }
        if self.eof && !self.shut {
            self.shut = true;
            return Action::Shutdown;
        }
        Action::Wait(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::drain;
    use bytes::Bytes;

    #[test]
    fn echoes_then_half_closes_after_eof() {
        let mut p = Echo::default();
        p.on_data(b"hello\n", Duration::ZERO);
        assert_eq!(drain(&mut p, Duration::ZERO), (b"hello\n".to_vec(), Action::Wait(None)));
        p.on_data(b"bye", Duration::ZERO);
        p.on_eof(Duration::ZERO);
        assert_eq!(p.poll(Duration::ZERO), Action::Send(Bytes::from_static(b"bye")));
        assert_eq!(p.poll(Duration::ZERO), Action::Shutdown);
        assert_eq!(p.poll(Duration::ZERO), Action::Wait(None));
    }
}
