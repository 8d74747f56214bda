//! [`Lines`]: `lines.demo:9001` — send `N\n`, get N numbered lines.

use std::fmt::Write;
use std::time::Duration;

use bytes::{Bytes, BytesMut};

use super::{Action, Peer};

/// The most lines one request may ask for.
pub const MAX_LINES: u64 = 10_000_000;

/// For each request line `N` (1 to [`MAX_LINES`]) sends `line 1\n` … `line N\n`, produced a
/// piece at a time; anything else gets `error: …\n`. Half-closes after the client's EOF.
#[derive(Debug, Default)]
pub struct Lines {
    input: BytesMut,
    /// Lines still to send for the current request: (next number, last number).
    sending: Option<(u64, u64)>,
    eof: bool,
    shut: bool,
}

impl Lines {
    /// Parses the next complete request line from the input, if any.
    fn next_request(&mut self) -> Option<Result<u64, String>> {
        let end = self.input.iter().position(|&b| b == b'\n')?;
        let line = self.input.split_to(end + 1);
        let text = String::from_utf8_lossy(&line[..end]);
        let text = text.trim();
        Some(match text.parse::<u64>() {
            Ok(n) if (1..=MAX_LINES).contains(&n) => Ok(n),
            _ => Err(format!(
                "error: send a number of lines from 1 to {MAX_LINES} and a newline, got {text:?}\n"
            )),
        })
    }
}

impl Peer for Lines {
    fn on_data(&mut self, data: &[u8], _now: Duration) {
        self.input.extend_from_slice(data);
        if self.input.len() > 4096 && !self.input.contains(&b'\n') {
            self.input.clear(); // a request line this long is garbage; drop it
        }
    }

    fn on_eof(&mut self, _now: Duration) {
        self.eof = true;
    }

    fn poll(&mut self, _now: Duration) -> Action {
        if let Some((next, last)) = self.sending {
            let mut out = String::with_capacity(64 * 1024);
            let mut n = next;
            while n <= last && out.len() < 60 * 1024 {
                let _ = writeln!(out, "line {n}");
                n += 1;
            }
            self.sending = (n <= last).then_some((n, last));
            return Action::Send(Bytes::from(out));
        }
        match self.next_request() {
            Some(Ok(n)) => {
                self.sending = Some((1, n));
                self.poll(_now)
            }
            Some(Err(message)) => Action::Send(Bytes::from(message)),
            None if self.eof && !self.shut => {
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
    fn answers_each_request() {
        let mut p = Lines::default();
        p.on_data(b"3\nxyz\n", Duration::ZERO);
        let (out, end) = drain(&mut p, Duration::ZERO);
        assert_eq!(end, Action::Wait(None));
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "line 1\nline 2\nline 3\nerror: send a number of lines from 1 to 10000000 and a newline, got \"xyz\"\n"
        );
        p.on_eof(Duration::ZERO);
        assert_eq!(p.poll(Duration::ZERO), Action::Shutdown);
    }

    #[test]
    fn many_lines_come_in_pieces() {
        let mut p = Lines::default();
        p.on_data(b"100000\n", Duration::ZERO);
        let mut pieces = 0;
        let mut total = 0;
        while let Action::Send(b) = p.poll(Duration::ZERO) {
            assert!(b.len() <= 64 * 1024);
            pieces += 1;
            total += b.iter().filter(|&&c| c == b'\n').count();
        }
        assert_eq!(total, 100_000);
        assert!(pieces > 10);
    }
}
