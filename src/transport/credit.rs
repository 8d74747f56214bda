//! [`CreditWindow`]: receive flow control over the relay — the page grants credit, the relay
//! sends no more than it was granted (`docs/protocol.md`). Pure bookkeeping, no I/O.

/// The credit state, as a snapshot shows it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Credit {
    /// The most the relay may send ahead of what arrived.
    pub window: u64,
    /// Granted and not yet used by data received.
    pub outstanding: u64,
    /// Granted in all, since the connection began.
    pub granted: u64,
}

/// Keeps the relay's credit topped up to a window: a grant goes out once less than half the
/// window is outstanding, so grants are few and the pipe stays full.
///
/// ```
/// use streamlab::transport::CreditWindow;
/// let mut credit = CreditWindow::for_limit(65536);
/// assert_eq!(credit.top_up(), Some(65536)); // the first grant: the whole window
/// credit.received(20_000);
/// assert_eq!(credit.top_up(), None); // 45,536 still outstanding: more than half
/// credit.received(20_000);
/// assert_eq!(credit.top_up(), Some(40_000));
/// assert_eq!(credit.state().granted, 105_536);
/// ```
#[derive(Clone, Debug)]
pub struct CreditWindow(Credit);

impl CreditWindow {
    /// The smallest and largest windows.
    pub const MIN: u64 = 16 * 1024;
    /// …
    pub const MAX: u64 = 1024 * 1024;

    /// The window for a reader of this `limit`: the limit, within [`MIN`](Self::MIN) and
    /// [`MAX`](Self::MAX).
    pub fn for_limit(limit: usize) -> Self {
        let window = (limit as u64).clamp(Self::MIN, Self::MAX);
        CreditWindow(Credit { window, outstanding: 0, granted: 0 })
    }

    /// `n` bytes of data arrived (using credit).
    pub fn received(&mut self, n: usize) {
        self.0.outstanding = self.0.outstanding.saturating_sub(n as u64);
    }

    /// The next grant, if one is due (and counts it as granted).
    pub fn top_up(&mut self) -> Option<u64> {
        let c = &mut self.0;
        if c.outstanding >= c.window / 2 {
            return None;
        }
        let grant = c.window - c.outstanding;
        c.outstanding = c.window;
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

    #[test]
    fn window_follows_the_limit_within_bounds() {
        assert_eq!(CreditWindow::for_limit(1).state().window, CreditWindow::MIN);
        assert_eq!(CreditWindow::for_limit(100_000).state().window, 100_000);
        assert_eq!(CreditWindow::for_limit(usize::MAX).state().window, CreditWindow::MAX);
    }

    #[test]
    fn grants_only_below_half_and_never_more_than_the_window() {
        let mut c = CreditWindow::for_limit(65536);
        assert_eq!(c.top_up(), Some(65536));
        assert_eq!(c.top_up(), None);
        c.received(32768);
        assert_eq!(c.top_up(), None, "exactly half outstanding: no grant");
        c.received(1);
        assert_eq!(c.top_up(), Some(32769));
        assert_eq!(c.state().outstanding, 65536);
        c.received(1 << 30); // more than granted (a broken relay): saturates at zero
        assert_eq!(c.state().outstanding, 0);
        assert_eq!(c.top_up(), Some(65536));
        assert_eq!(c.state().granted, 65536 + 32769 + 65536);
    }
}
