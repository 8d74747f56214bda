//! [`Origins`]: what each received chunk came in (a WebSocket message's own `ArrayBuffer`),
//! so that a read returning exactly one chunk can hand out that instead of a copy.
//!
//! The reader copies every chunk into its buffer, as CPython's does: its bytes, limits and
//! events are the buffer's. But a read that returns exactly the bytes of one chunk — the usual
//! `read(65536)` of a 64 KiB relay frame — returns bytes equal to the chunk's own, which the
//! transport no longer needs: the JS API gives out that buffer and saves allocating and copying
//! a fresh one. Chunks are located by stream offset ([`StreamBuffer::consumed`]), so bytes fed
//! by hand in between only shift them. A remembered chunk keeps its message alive until the
//! first read step after reads passed it: for a connection's reader, what it buffers (2 ×
//! `limit` and a message) and the last read's chunks once more, in the browser's heap.
//!
//! [`StreamBuffer::consumed`]: crate::sansio::StreamBuffer::consumed

use std::any::Any;
use std::collections::VecDeque;

/// The origins of the chunks still (partly) buffered, oldest first.
///
/// ```
/// use streamlab::stream::Origins;
/// let mut origins = Origins::default();
/// origins.push(0, 3, Box::new("first"));
/// origins.push(3, 3, Box::new("second"));
/// // A read took bytes 0..2: no chunk is exactly that.
/// assert!(origins.take(0, 2).is_none());
/// // The next took 2..6: neither (the first chunk is gone, the second only part of it).
/// assert!(origins.take(2, 4).is_none());
/// origins.push(6, 2, Box::new("third"));
/// let third = origins.take(6, 2).unwrap();
/// assert_eq!(third.downcast_ref::<&str>(), Some(&"third"));
/// assert!(origins.is_empty());
/// ```
#[derive(Default)]
pub struct Origins(VecDeque<(u64, usize, Box<dyn Any>)>);

impl Origins {
    /// A chunk of `len` bytes fed at stream offset `start` came in `origin`.
    pub fn push(&mut self, start: u64, len: usize, origin: Box<dyn Any>) {
        self.0.push_back((start, len, origin));
    }

    /// A read returned the `len` bytes at stream offset `start`: the origin of the chunk that
    /// was exactly those bytes, if one was. Forgets every chunk that ends by `start + len`.
    pub fn take(&mut self, start: u64, len: usize) -> Option<Box<dyn Any>> {
        self.prune(start);
        let exact = self.0.front().is_some_and(|&(s, l, _)| s == start && l == len && len > 0);
        let origin = exact.then(|| self.0.pop_front().map(|(_, _, o)| o)).flatten();
        self.prune(start + len as u64);
        origin
    }

    /// Forgets the chunks that end at or before stream offset `consumed` (read already).
    pub fn prune(&mut self, consumed: u64) {
        while self.0.front().is_some_and(|&(s, l, _)| s + l as u64 <= consumed) {
            self.0.pop_front();
        }
    }

    /// No chunk is remembered.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Origins {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.0.iter().map(|&(s, l, _)| s..s + l as u64)).finish()
    }
}
