//! [`Signal`]: a one-shot, single-threaded future completion — an asyncio `Future` that one
//! task awaits. The reader's waiter slot and the writer's drain waiters are made of these.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use crate::sansio::PyException;

/// A completion: `Ok` (a result) or `Err` (an exception), set once.
#[derive(Default)]
pub(crate) struct Signal {
    outcome: Cell<Option<Result<(), PyException>>>,
    waker: Cell<Option<Waker>>,
}

impl Signal {
    /// A new, pending signal.
    pub(crate) fn new() -> Rc<Signal> {
        Rc::new(Signal::default())
    }

    /// Completes it and wakes its task.
    pub(crate) fn complete(&self, outcome: Result<(), PyException>) {
        self.outcome.set(Some(outcome));
        if let Some(waker) = self.waker.take() {
            waker.wake();
        }
    }

    /// Polls it: the outcome once completed (taken), else registers the task.
    pub(crate) fn poll_outcome(&self, cx: &mut Context<'_>) -> Poll<Result<(), PyException>> {
        match self.outcome.take() {
            Some(outcome) => Poll::Ready(outcome),
            None => {
                self.waker.set(Some(cx.waker().clone()));
                Poll::Pending
            }
        }
    }
}

/// Awaits a signal (the future side of an `Rc<Signal>`).
pub(crate) struct Awaited(pub(crate) Rc<Signal>);

impl Future for Awaited {
    type Output = Result<(), PyException>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.0.poll_outcome(cx)
    }
}
