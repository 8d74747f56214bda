//! The reader's single waiter slot: CPython's `_waiter` future, with its exact clearing rules.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use super::signal::Signal;
use crate::sansio::{PyException, StreamError};

/// At most one read waits at a time; a second one that must wait is refused.
#[derive(Default)]
pub(crate) struct WaiterSlot(RefCell<Option<Rc<Signal>>>);

impl WaiterSlot {
    /// Takes the slot for a read named `op`.
    ///
    /// # Errors
    /// CPython's `RuntimeError` when another read already waits.
    pub(crate) fn register(&self, op: &'static str) -> Result<WaitFuture<'_>, StreamError> {
        let mut slot = self.0.borrow_mut();
        if slot.is_some() {
            return Err(StreamError::ConcurrentWait { op });
        }
        let wait = Signal::new();
        *slot = Some(Rc::clone(&wait));
        Ok(WaitFuture { slot: self, wait, done: false })
    }

    /// Empties the slot and completes its wait. CPython clears `_waiter` at wake time, before
    /// the woken task runs.
    pub(crate) fn wake(&self, outcome: Result<(), PyException>) {
        let taken = self.0.borrow_mut().take();
        if let Some(wait) = taken {
            wait.complete(outcome);
        }
    }

    /// Whether a read is waiting.
    pub(crate) fn is_taken(&self) -> bool {
        self.0.borrow().is_some()
    }
}

/// Awaits a registered wait: `Ok` after data or EOF, `Err` after `set_exception`.
///
/// When it ends — completed, or dropped because the read was cancelled — it empties the slot
/// **unconditionally**, as CPython's `finally: self._waiter = None` does, even when a racing
/// read has registered there meanwhile (that read then waits for a wake-up that never comes,
/// in CPython too).
pub(crate) struct WaitFuture<'a> {
    slot: &'a WaiterSlot,
    wait: Rc<Signal>,
    done: bool,
}

impl Future for WaitFuture<'_> {
    type Output = Result<(), PyException>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let outcome = std::task::ready!(self.wait.poll_outcome(cx));
        self.done = true;
        *self.slot.0.borrow_mut() = None;
        Poll::Ready(outcome)
    }
}

impl Drop for WaitFuture<'_> {
    fn drop(&mut self) {
        if !self.done {
            *self.slot.0.borrow_mut() = None;
        }
    }
}
