//! Cancelling a call from JavaScript: an `AbortSignal` option on every awaitable method, and
//! `waitFor(promise, seconds)`, asyncio's `wait_for`.
//!
//! A cancelled call is dropped on the Rust side — exactly what `task.cancel()` does to a
//! CPython read: the waiter slot is free again and every byte it had not consumed stays
//! buffered — and its Promise rejects with an `Error` named `CancelledError`.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Poll, Waker};
use std::time::Duration;

use js_sys::{Promise, Reflect};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::{future_to_promise, JsFuture};
use web_sys::AbortSignal;

use super::errors::{named_error, to_js_error, type_error};
use crate::sansio::StreamError;

/// The property of a call's Promise that names it, for `waitFor`.
const CALL_ID: &str = "__streamlabCall";

thread_local! {
    /// Calls that can be cancelled now, by id.
    static CALLS: RefCell<HashMap<u32, Rc<Abort>>> = RefCell::new(HashMap::new());
    static NEXT_ID: Cell<u32> = const { Cell::new(1) };
}

/// A call's future, as its Promise's task runs it.
type CallFuture = Pin<Box<dyn Future<Output = Result<JsValue, JsValue>>>>;

/// A cancellation request, the call it cancels, and the task waiting for it.
#[derive(Default)]
struct Abort {
    requested: Cell<bool>,
    waker: Cell<Option<Waker>>,
    /// The call's future, dropped the moment cancellation is requested (unless it is being
    /// polled right then: then at the task's next turn).
    call: RefCell<Option<CallFuture>>,
}

impl Abort {
    /// Cancels the call: its future is dropped now, as CPython's cancelled read has left the
    /// reader by the time `CancelledError` reaches its caller (the waiter slot is free at once).
    fn request(&self) {
        self.requested.set(true);
        let dropped = self.call.try_borrow_mut().map(|mut c| c.take());
        drop(dropped);
        if let Some(w) = self.waker.take() {
            w.wake();
        }
    }

    /// Runs the call until it ends or is cancelled.
    async fn run(&self) -> Result<JsValue, JsValue> {
        std::future::poll_fn(|cx| {
            let mut call = self.call.borrow_mut();
            if self.requested.get() {
                call.take();
                return Poll::Ready(Err(to_js_error(&StreamError::Cancelled)));
            }
            self.waker.set(Some(cx.waker().clone()));
            let Some(fut) = call.as_mut() else {
                return Poll::Ready(Err(to_js_error(&StreamError::Cancelled)));
            };
            let outcome = std::task::ready!(fut.as_mut().poll(cx));
            call.take();
            Poll::Ready(outcome)
        })
        .await
    }
}

/// The `signal` of an options object (`{signal}`), if one is given.
///
/// # Errors
/// `TypeError` when `options` is not an object, or `signal` not an `AbortSignal`.
fn signal_of(options: &JsValue) -> Result<Option<AbortSignal>, JsValue> {
    if options.is_undefined() || options.is_null() {
        return Ok(None);
    }
    if !options.is_object() {
        return Err(type_error("options must be an object like {signal}"));
    }
    let signal = Reflect::get(options, &"signal".into()).unwrap_or(JsValue::UNDEFINED);
    if signal.is_undefined() || signal.is_null() {
        return Ok(None);
    }
    signal.dyn_into::<AbortSignal>().map(Some).map_err(|_| type_error("signal must be an AbortSignal"))
}

/// Whether `options.eager` is true.
fn eager_of(options: &JsValue) -> bool {
    options.is_object() && Reflect::get(options, &"eager".into()).is_ok_and(|v| v.is_truthy())
}

/// Runs `call` as a Promise that `options.signal` and `waitFor` can cancel. With
/// `{eager: true}` the call is run once at once: when the buffer decides it then, its value is
/// returned (or its error thrown) without a Promise — CPython's reads return without suspending
/// then — and only a call that must wait becomes a [`PendingCall`], still waiting where it
/// stopped.
///
/// # Errors
/// A bad `options` object (before the call starts); an eager call's own error.
pub fn cancellable<F>(options: &JsValue, call: F) -> Result<JsValue, JsValue>
where
    F: Future<Output = Result<JsValue, JsValue>> + 'static,
{
    let signal = signal_of(options)?;
    if eager_of(options) && !signal.as_ref().is_some_and(AbortSignal::aborted) {
        return eager(signal, call);
    }
    Ok(promise_of(signal, call).into())
}

/// Runs `call` once at once: its outcome when the buffer decides it now, else a
/// [`PendingCall`] that goes on waiting where it stopped.
///
/// # Errors
/// The call's own error, when it is decided at once.
pub fn eager<F>(signal: Option<AbortSignal>, call: F) -> Result<JsValue, JsValue>
where
    F: Future<Output = Result<JsValue, JsValue>> + 'static,
{
    let mut call = Box::pin(call);
    let mut cx = std::task::Context::from_waker(Waker::noop());
    match call.as_mut().poll(&mut cx) {
        Poll::Ready(outcome) => outcome,
        Poll::Pending => {
            let promise = promise_of(signal, call);
            Ok(PendingCall { promise }.into())
        }
    }
}

/// A call refused before it runs (a bad argument), raised when awaited as from CPython's
/// coroutine: a rejected Promise, or with `{eager: true}` (the call runs at once) thrown.
///
/// # Errors
/// `error` itself, for an eager call.
pub fn rejected(options: &JsValue, error: JsValue) -> Result<JsValue, JsValue> {
    match eager_of(options) {
        true => Err(error),
        false => Ok(Promise::reject(&error).into()),
    }
}

/// The Promise of a call, registered for `waitFor` and [`cancel`].
fn promise_of<F>(signal: Option<AbortSignal>, call: F) -> Promise
where
    F: Future<Output = Result<JsValue, JsValue>> + 'static,
{
    let id = NEXT_ID.with(|n| n.replace(n.get().wrapping_add(1).max(1)));
    let abort = Rc::new(Abort::default());
    // Aborted before it started (a signal already aborted): the call never runs.
    match signal.as_ref().is_some_and(AbortSignal::aborted) {
        true => abort.requested.set(true),
        false => *abort.call.borrow_mut() = Some(Box::pin(call)),
    }
    let listener = signal.as_ref().map(|signal| Listener::new(signal, &abort));
    CALLS.with(|c| c.borrow_mut().insert(id, Rc::clone(&abort)));
    let promise = future_to_promise(async move {
        let outcome = abort.run().await;
        drop(listener);
        CALLS.with(|c| c.borrow_mut().remove(&id));
        outcome
    });
    let _ = Reflect::set(&promise, &CALL_ID.into(), &f64::from(id).into());
    promise
}

/// An eager call that must wait (`{eager: true}`): its `promise`, and `cancel()`. (Not a
/// thenable: bindings such as Pyodide turn thenables into their own futures, and lose the call.)
#[wasm_bindgen::prelude::wasm_bindgen]
#[derive(Debug)]
pub struct PendingCall {
    promise: Promise,
}

#[wasm_bindgen::prelude::wasm_bindgen]
impl PendingCall {
    /// The call's outcome.
    #[wasm_bindgen(getter)]
    pub fn promise(&self) -> Promise {
        self.promise.clone()
    }

    /// `task.cancel()`: as [`cancel`] on its promise.
    pub fn cancel(&self) -> bool {
        cancel(&self.promise)
    }
}

/// `cancel(promise)`: `task.cancel()` for a streamlab call's Promise — the call is cancelled
/// now (its bytes stay buffered, the reader is free for the next call at once) and the Promise
/// rejects with `CancelledError`. Returns whether there was a waiting call to cancel.
pub fn cancel(promise: &Promise) -> bool {
    call_of(promise).is_some_and(|a| {
        a.request();
        true
    })
}

/// The cancellation of the waiting call behind `promise`, if it is one.
fn call_of(promise: &Promise) -> Option<Rc<Abort>> {
    let id = Reflect::get(promise, &CALL_ID.into()).ok().and_then(|v| v.as_f64()).map(|v| v as u32)?;
    CALLS.with(|c| c.borrow().get(&id).cloned())
}

/// The `abort` listener on a signal, removed when the call settles.
struct Listener {
    signal: AbortSignal,
    callback: Closure<dyn FnMut()>,
}

impl Listener {
    fn new(signal: &AbortSignal, abort: &Rc<Abort>) -> Listener {
        let abort = Rc::clone(abort);
        let callback = Closure::<dyn FnMut()>::new(move || abort.request());
        let _ = signal.add_event_listener_with_callback("abort", callback.as_ref().unchecked_ref());
        Listener { signal: signal.clone(), callback }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ =
            self.signal.remove_event_listener_with_callback("abort", self.callback.as_ref().unchecked_ref());
    }
}

/// `await waitFor(promise, seconds)`: asyncio's `wait_for`. The result of `promise` if it
/// settles within `seconds`; otherwise the call behind it (a streamlab method's Promise) is
/// cancelled and awaited, and `waitFor` rejects with `TimeoutError` — the cancelled read's
/// bytes stay buffered, as in CPython.
///
/// # Errors
/// `TimeoutError()`; the call's own error; `ValueError` for a negative or NaN `seconds`.
pub fn wait_for(promise: Promise, seconds: f64) -> Promise {
    if seconds.is_nan() {
        return Promise::reject(&named_error("ValueError", "cannot convert float NaN to integer"));
    }
    let abort = call_of(&promise);
    let now = seconds <= 0.0;
    if now {
        // asyncio: a time-out of 0 cancels the call before it ever runs (this runs before the
        // call's task does).
        if let Some(abort) = &abort {
            abort.request();
        }
    }
    let limit = Duration::try_from_secs_f64(seconds.max(0.0)).unwrap_or(Duration::MAX);
    future_to_promise(async move {
        let outcome = match now {
            true => None,
            false => crate::runtime::timeout(limit, JsFuture::from(promise.clone())).await,
        };
        match outcome {
            Some(outcome) => outcome,
            None => {
                if let Some(abort) = abort {
                    abort.request();
                    // As wait_for: wait for the cancelled call to end; its result, if it still
                    // finished first, wins.
                    if let Ok(value) = JsFuture::from(promise).await {
                        return Ok(value);
                    }
                }
                Err(named_error("TimeoutError", ""))
            }
        }
    })
}
