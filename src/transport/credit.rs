//! [`CreditWindow`]: receive flow control over the relay — the page grants credit, the relay
//! sends no more than it was granted (`docs/protocol.md`). Pure bookkeeping, no I/O.

/// The credit state, as a snapshot shows it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Credit {
    /// The most the relay may send ahead of what the reader took.
    pub window: u64,
    /// Granted and not yet used by data received.
    pub outstanding: u64,
    /// Granted in all, since the connection began.
    pub granted: u64,
}

/// Keeps the relay's credit topped up to a window, as TCP's receive window: what is granted
/// and not yet arrived, plus what arrived and waits in the transport (held while the reader is
/// paused, as the kernel's socket buffer holds it while CPython does not read), stays within
/// [`WINDOW`](Self::WINDOW). A grant goes out once that falls below half the window, so grants
/// are few and the pipe stays full; a reader that stops reading stops the sender once the
/// window is used.
///
/// ```
/// use streamlab::transport::CreditWindow;
/// let mut credit = CreditWindow::new();
/// let w = CreditWindow::WINDOW;
/// assert_eq!(credit.top_up(0), Some(w)); // the first grant: the whole window
/// credit.received(w as usize / 4);
/// assert_eq!(credit.top_up(0), None); // three quarters still outstanding
/// credit.received(w as usize / 2);
/// assert_eq!(credit.top_up(w / 8), Some(w - w / 4 - w / 8)); // an eighth is held, unread
/// assert_eq!(credit.state().granted, 2 * w - w / 4 - w / 8);
/// ```
#[derive(Clone, Debug)]
pub struct CreditWindow(Credit);

impl Default for CreditWindow {
    fn default() -> Self {
        Self::new()
    }
}

impl CreditWindow {
    /// The window: like a Linux socket's receive buffer under load (`tcp_rmem`'s default is
    /// 128 KiB growing to MiBs), large enough that one round trip per half window keeps a
    /// loopback pipe full. A connection whose reader stops holds at most this much (as the
    /// messages themselves, in the browser's memory) besides what its reader buffers (2 ×
    /// `limit` and a message, kept twice: copied, and as messages for `stream::Origins`).
    pub const WINDOW: u64 = 4 * 1024 * 1024;

    /// Nothing granted yet.
    pub fn new() -> Self {
        CreditWindow(Credit { window: Self::WINDOW, outstanding: 0, granted: 0 })
    }

    /// `n` bytes of data arrived (using credit).
    pub fn received(&mut self, n: usize) {
        self.0.outstanding = self.0.outstanding.saturating_sub(n as u64);
    }

    /// The next grant, if one is due while `held` bytes wait unread in the transport (and
    /// counts it as granted).
    pub fn top_up(&mut self, held: u64) -> Option<u64> {
        let c = &mut self.0;
        let used = c.outstanding.saturating_add(held);
        if used >= c.window / 2 {
            return None;
        }
        let grant = c.window - used;
        c.outstanding += grant;
        c.granted += grant;
        Some(grant)
    }

    /// The state now.
    pub fn state(&self) -> Credit {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: u64 = CreditWindow::WINDOW;

    #[test]
    fn grants_only_below_half_and_never_more_than_the_window() {
        let mut c = CreditWindow::new();
        assert_eq!(c.top_up(0), Some(W));
        assert_eq!(c.top_up(0), None);
        c.received((W / 2) as usize);
        assert_eq!(c.top_up(0), None, "exactly half outstanding: no grant");
        c.received(1);
        assert_eq!(c.top_up(0), Some(W / 2 + 1));
        assert_eq!(c.state().outstanding, W);
        c.received(usize::MAX); // more than granted (a broken relay): saturates at zero
        assert_eq!(c.state().outstanding, 0);
        assert_eq!(c.top_up(0), Some(W));
        assert_eq!(c.state().granted, W + W / 2 + 1 + W);
    }

    #[test]
    fn what_is_held_unread_counts_against_the_window() {
        let mut c = CreditWindow::new();
        assert_eq!(c.top_up(0), Some(W));
        c.received(W as usize); // all arrived, and the paused reader holds it all
        assert_eq!(c.top_up(W), None, "a full window held: the sender stops");
        assert_eq!(c.top_up(W / 2), None);
        assert_eq!(c.top_up(W / 2 - 1), Some(W / 2 + 1), "less than half held: topped up");
        assert_eq!(c.top_up(u64::MAX), None, "no overflow");
    }
}
