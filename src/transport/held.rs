//! [`HeldQueue`]: what arrives while the reader is paused waits here, in order, as it waits in
//! the kernel's socket buffer while CPython's transport does not read.

use std::collections::VecDeque;

use crate::sansio::PyException;

/// One thing that arrived: data (`D`: bytes, or the message that holds them), the peer's EOF,
/// or the end (a reset too).
#[derive(Debug)]
pub enum Held<D = Vec<u8>> {
    /// Bytes, as one message brought them.
    Data(D),
    /// The peer's EOF.
    Eof,
    /// The connection's end: clean (`None`), or lost with an exception.
    End(Option<PyException>),
}

/// The held items and their data's size (which counts against the credit window).
///
/// ```
/// use streamlab::transport::{Held, HeldQueue};
/// let mut q = HeldQueue::default();
/// q.push_back(Held::Data(b"abc".to_vec()));
/// q.push_back(Held::Eof);
/// assert_eq!(q.bytes(), 3);
/// assert!(matches!(q.pop_front(), Some(Held::Data(d)) if d == b"abc"));
/// assert_eq!(q.bytes(), 0);
/// q.push_back(Held::Data(b"def".to_vec()));
/// q.push_back(Held::End(None));
/// assert_eq!(q.clear(), Some(None)); // the end is kept, the data dropped
/// assert!(q.is_empty());
/// ```
#[derive(Debug)]
pub struct HeldQueue<D = Vec<u8>> {
    items: VecDeque<Held<D>>,
    bytes: u64,
}

impl<D> Default for HeldQueue<D> {
    fn default() -> Self {
        HeldQueue { items: VecDeque::new(), bytes: 0 }
    }
}

/// Held data: how many bytes it is.
pub trait Payload {
    /// Its size in bytes.
    fn size(&self) -> usize;
}

impl Payload for Vec<u8> {
    fn size(&self) -> usize {
        self.len()
    }
}

impl<D: Payload> HeldQueue<D> {
    /// Holds `item` after the others.
    pub fn push_back(&mut self, item: Held<D>) {
        if let Held::Data(d) = &item {
            self.bytes += d.size() as u64;
        }
        self.items.push_back(item);
    }

    /// The oldest item.
    pub fn pop_front(&mut self) -> Option<Held<D>> {
        let item = self.items.pop_front()?;
        if let Held::Data(d) = &item {
            self.bytes -= d.size() as u64;
        }
        Some(item)
    }

    /// Drops everything held but the end, which it returns: a connection's end is not dropped
    /// with its data.
    pub fn clear(&mut self) -> Option<Option<PyException>> {
        self.bytes = 0;
        self.items.drain(..).find_map(|item| match item {
            Held::End(exc) => Some(exc),
            _ => None,
        })
    }

    /// Nothing is held.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The bytes of data held.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }
}
