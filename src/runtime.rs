//! The little the library needs from an event loop: run a task beside the caller's, sleep,
//! and read a clock — the browser's (microtasks, `setTimeout`, `performance.now`) under wasm,
//! a single-threaded executor natively ([`run`], as `asyncio.run`).

use std::future::Future;
use std::time::Duration;

use crate::sansio::PyException;

pub use web_time::Instant;

/// The time since the runtime's epoch: the first call in this thread (in a page, soon after
/// streamlab loads). Events are stamped with it, so events of several connections compare.
pub fn now() -> Duration {
    thread_local!(static EPOCH: Instant = Instant::now());
    EPOCH.with(Instant::elapsed)
}

/// Yields once to the scheduler (asyncio's `await sleep(0)`).
pub async fn yield_now() {
    let mut yielded = false;
    std::future::poll_fn(|cx| {
        if yielded {
            std::task::Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        }
    })
    .await;
}

/// Runs `task` beside the current one.
///
/// # Errors
/// Natively, outside [`run`]: there is no loop to run it on.
pub fn spawn_local(task: impl Future<Output = ()> + 'static) -> Result<(), PyException> {
    #[cfg(target_arch = "wasm32")]
    {
        wasm_bindgen_futures::spawn_local(task);
        Ok(())
    }
    #[cfg(not(target_arch = "wasm32"))]
    native::spawn(Box::pin(task))
}

/// `fut`'s output if it finishes within `limit`, else `None` (and `fut` is dropped, i.e.
/// cancelled) — asyncio's `wait_for`.
pub async fn timeout<F: Future>(limit: Duration, fut: F) -> Option<F::Output> {
    use futures::future::{select, Either};
    match select(std::pin::pin!(fut), std::pin::pin!(sleep(limit))).await {
        Either::Left((out, _)) => Some(out),
        Either::Right(_) => None,
    }
}

/// Waits `duration` (asyncio's `sleep`).
pub async fn sleep(duration: Duration) {
    #[cfg(target_arch = "wasm32")]
    timeout_future(duration).await;
    #[cfg(not(target_arch = "wasm32"))]
    futures_timer::Delay::new(duration).await;
}

/// Waits for the event loop's next task: after every microtask ready now, and without
/// `setTimeout`'s 4 ms clamp on nested timers (a `MessageChannel` message, under wasm);
/// natively, a timer's turn.
pub async fn next_task() {
    #[cfg(target_arch = "wasm32")]
    task_future().await;
    #[cfg(not(target_arch = "wasm32"))]
    sleep(Duration::ZERO).await;
}

/// Waits until the page has drawn a frame: the next `requestAnimationFrame`, then a timer's
/// turn, so what runs next runs after the paint. A busy producer that calls it between slices
/// of work leaves the renderer every frame. Where no frames come (a worker, a hidden tab), at
/// most [`FRAME_WAIT`] passes; natively it is a timer's turn.
pub async fn after_frame() {
    #[cfg(target_arch = "wasm32")]
    frame_future().await;
    sleep(Duration::ZERO).await;
}

/// The longest [`after_frame`] waits for a frame that does not come.
pub const FRAME_WAIT: Duration = Duration::from_millis(50);

#[cfg(target_arch = "wasm32")]
async fn frame_future() {
    use futures::future::select;
    use wasm_bindgen::JsCast;
    let global = js_sys::global();
    let Some(raf) = js_sys::Reflect::get(&global, &"requestAnimationFrame".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
    else {
        return;
    };
    let frame = js_sys::Promise::new(&mut |resolve, _reject| {
        let _ = raf.call1(&global, &resolve);
    });
    let frame = wasm_bindgen_futures::JsFuture::from(frame);
    select(std::pin::pin!(frame), std::pin::pin!(timeout_future(FRAME_WAIT))).await;
}

/// One `MessageChannel` per thread: each message posted resolves the oldest waiter.
#[cfg(target_arch = "wasm32")]
async fn task_future() {
    use std::cell::RefCell;
    use std::collections::VecDeque;
    use std::rc::Rc;

    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;

    struct Channel {
        post: web_sys::MessagePort,
        waiting: Rc<RefCell<VecDeque<js_sys::Function>>>,
        _receive: Closure<dyn FnMut()>,
    }
    fn channel() -> Option<Channel> {
        let ports = web_sys::MessageChannel::new().ok()?;
        let waiting: Rc<RefCell<VecDeque<js_sys::Function>>> = Rc::default();
        let queue = Rc::clone(&waiting);
        let receive = Closure::<dyn FnMut()>::new(move || {
            let resolve = queue.borrow_mut().pop_front();
            if let Some(resolve) = resolve {
                let _ = resolve.call0(&wasm_bindgen::JsValue::UNDEFINED);
            }
        });
        ports.port1().set_onmessage(Some(receive.as_ref().unchecked_ref()));
        Some(Channel { post: ports.port2(), waiting, _receive: receive })
    }
    thread_local!(static CHANNEL: Option<Channel> = channel());
    let promise = CHANNEL.with(|c| {
        let c = c.as_ref()?;
        c.post.post_message(&wasm_bindgen::JsValue::NULL).ok()?;
        Some(js_sys::Promise::new(&mut |resolve, _reject| c.waiting.borrow_mut().push_back(resolve)))
    });
    match promise {
        Some(p) => drop(wasm_bindgen_futures::JsFuture::from(p).await),
        None => timeout_future(Duration::ZERO).await, // no MessageChannel here: a timer
    }
}

#[cfg(target_arch = "wasm32")]
async fn timeout_future(duration: Duration) {
    use wasm_bindgen::JsCast;
    let millis = i32::try_from(duration.as_millis()).unwrap_or(i32::MAX);
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        let global = js_sys::global();
        let set_timeout = js_sys::Reflect::get(&global, &"setTimeout".into())
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
        if let Some(set_timeout) = set_timeout {
            let _ = set_timeout.call2(&global, &resolve, &millis.into());
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// Runs `main` to completion on a single-threaded loop, with the tasks it spawns (natively;
/// asyncio's `asyncio.run`).
///
/// ```
/// let line = streamlab::run(async {
///     let (reader, writer) = streamlab::open_connection("echo.demo", 7, Default::default()).await.unwrap();
///     writer.write(b"hello\n").unwrap();
///     reader.readline().await.unwrap()
/// });
/// assert_eq!(line, &b"hello\n"[..]);
/// ```
#[cfg(not(target_arch = "wasm32"))]
pub fn run<F: Future>(main: F) -> F::Output {
    native::run(main)
}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::cell::RefCell;
    use std::future::Future;
    use std::pin::Pin;

    use futures::executor::{LocalPool, LocalSpawner};
    use futures::task::LocalSpawnExt;

    use crate::sansio::PyException;

    thread_local! {
        static SPAWNER: RefCell<Option<LocalSpawner>> = const { RefCell::new(None) };
    }

    pub(super) fn spawn(task: Pin<Box<dyn Future<Output = ()>>>) -> Result<(), PyException> {
        SPAWNER.with(|s| match s.borrow().as_ref() {
            Some(spawner) => {
                spawner.spawn_local(task).map_err(|e| PyException::new("RuntimeError", e.to_string()))
            }
            None => {
                Err(PyException::new("RuntimeError", "no running event loop (call it inside streamlab::run)"))
            }
        })
    }

    pub(super) fn run<F: Future>(main: F) -> F::Output {
        let mut pool = LocalPool::new();
        let previous = SPAWNER.with(|s| s.replace(Some(pool.spawner())));
        let out = pool.run_until(main);
        SPAWNER.with(|s| *s.borrow_mut() = previous);
        out
    }
}
