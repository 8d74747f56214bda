//! [`WriteFlow`]: write-side flow control, CPython's `_maybe_pause_protocol` and
//! `_maybe_resume_protocol`. Pure bookkeeping: the transport calls the protocol.

/// Pause above this many buffered bytes (CPython's default high-water mark, 64 KiB).
pub const HIGH_WATER: usize = 64 * 1024;
/// … and resume at or below this many (`high // 4`).
pub const LOW_WATER: usize = HIGH_WATER / 4;

/// Whether the protocol is paused, and when it must be told.
///
/// ```
/// use streamlab::transport::WriteFlow;
/// let mut flow = WriteFlow::default();
/// assert!(!flow.after_write(65536)); // at the mark: no pause
/// assert!(flow.after_write(65537)); // above it: pause_writing()
/// assert!(!flow.after_write(100_000)); // told once
/// assert!(!flow.after_drain(16385));
/// assert!(flow.after_drain(16384)); // resume_writing()
/// ```
#[derive(Clone, Copy, Debug)]
pub struct WriteFlow {
    low: usize,
    high: usize,
    paused: bool,
}

impl Default for WriteFlow {
    fn default() -> Self {
        WriteFlow { low: LOW_WATER, high: HIGH_WATER, paused: false }
    }
}

impl WriteFlow {
    /// After a write left `size` bytes buffered: whether to call `pause_writing()` now.
    pub fn after_write(&mut self, size: usize) -> bool {
        let pause = size > self.high && !self.paused;
        self.paused |= pause;
        pause
    }

    /// After the buffer drained to `size`: whether to call `resume_writing()` now.
    pub fn after_drain(&mut self, size: usize) -> bool {
        let resume = self.paused && size <= self.low;
        self.paused &= !resume;
        resume
    }

    /// Whether the protocol is paused.
    pub fn is_paused(&self) -> bool {
        self.paused
    }

    /// `(low, high)`.
    pub fn limits(&self) -> (usize, usize) {
        (self.low, self.high)
    }
}
