//! [`SentLog`]: which of a WebSocket's unsent bytes are the user's. Pure bookkeeping.

use std::collections::VecDeque;

/// `bufferedAmount` counts every unsent byte, the transport's own control messages too, but
/// write-side flow control and `close()` must see only the user's. Sends leave in order, so
/// the unsent bytes are the last `bufferedAmount` of what was sent: recording each send is
/// enough to tell them apart.
///
/// ```
/// use streamlab::transport::sent_log::SentLog;
/// let mut log = SentLog::default();
/// log.push(100, true, 0); // user data
/// log.push(30, false, 100); // a control message, while all 100 user bytes wait
/// assert_eq!(log.user_unsent(130), 100);
/// assert_eq!(log.user_unsent(30), 0); // only the control message is left
/// ```
#[derive(Debug, Default)]
pub struct SentLog {
    total: u64,
    /// (end offset, length, whether it is user data), oldest first.
    frames: VecDeque<(u64, u64, bool)>,
}

impl SentLog {
    /// Records a send of `len` bytes; `unsent` (the socket's `bufferedAmount` just before it)
    /// prunes what already left.
    pub fn push(&mut self, len: usize, user: bool, unsent: u64) {
        self.user_unsent(unsent);
        self.total += len as u64;
        self.frames.push_back((self.total, len as u64, user));
    }

    /// The user's bytes among the last `unsent` bytes sent; forgets what has left.
    pub fn user_unsent(&mut self, unsent: u64) -> u64 {
        let sent_out = self.total.saturating_sub(unsent);
        while self.frames.front().is_some_and(|&(end, _, _)| end <= sent_out) {
            self.frames.pop_front();
        }
        self.frames
            .iter()
            .filter(|&&(_, _, user)| user)
            .map(|&(end, len, _)| len.min(end.saturating_sub(sent_out)))
            .sum()
    }

    /// How many sends are remembered (they are forgotten once sent).
    pub fn remembered(&self) -> usize {
        self.frames.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partly_sent_frames_count_their_unsent_part() {
        let mut log = SentLog::default();
        log.push(10, false, 0);
        log.push(100, true, 10);
        log.push(10, false, 110);
        log.push(50, true, 120);
        // 170 sent in all; 95 unsent: 35 of the 100-byte frame, the control, the 50.
        assert_eq!(log.user_unsent(95), 35 + 50);
        assert_eq!(log.remembered(), 3, "the first control message has left");
        assert_eq!(log.user_unsent(50), 50);
        assert_eq!(log.user_unsent(0), 0);
        assert_eq!(log.remembered(), 0);
    }

    #[test]
    fn pruned_on_every_send_so_read_only_connections_stay_small() {
        let mut log = SentLog::default();
        for _ in 0..10_000 {
            log.push(40, false, 0); // credit messages, each sent at once
        }
        assert_eq!(log.remembered(), 1);
    }
}
