//! A timer future that can change hands. `worker::Delay` keeps the waker of the first task
//! that polled it, so a wait begun while answering an interaction and finished after the
//! answer (the work carried on by waitUntil, `interactions::deferred`) is never woken:
//! measured in bench/hot-drop.mjs, where deferred clicks waiting for their Checkout turn hung.
//! `Sleep` wakes whichever task polled it last.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use worker::{js_sys, web_sys};

#[derive(Default)]
struct Shared {
    done: Cell<bool>,
    waker: RefCell<Option<Waker>>,
}

/// The wall clock, in epoch milliseconds, for code that measures real waiting (rate limits,
/// pacing, a drain waiting for a job): everything else takes `Cx::now_ms`, read once.
pub fn now_ms() -> f64 {
    worker::Date::now().as_millis() as f64
}

/// Resolves after `ms` milliseconds (setTimeout), waking the task that polled it last.
pub struct Sleep {
    ms: i32,
    shared: Rc<Shared>,
    timer: Option<(i32, Closure<dyn FnMut()>)>,
}

/// Waits `ms` milliseconds (a negative or NaN wait is none).
pub fn sleep_ms(ms: f64) -> Sleep {
    let ms = if ms.is_finite() && ms > 0.0 {
        ms.min(f64::from(i32::MAX)) as i32
    } else {
        0
    };
    Sleep {
        ms,
        shared: Rc::new(Shared::default()),
        timer: None,
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.shared.done.get() {
            return Poll::Ready(());
        }
        *self.shared.waker.borrow_mut() = Some(cx.waker().clone());
        if self.timer.is_none() {
            let shared = self.shared.clone();
            let callback = Closure::<dyn FnMut()>::new(move || {
                shared.done.set(true);
                if let Some(waker) = shared.waker.borrow_mut().take() {
                    waker.wake();
                }
            });
            let global: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
            match global.set_timeout_with_callback_and_timeout_and_arguments_0(
                callback.as_ref().unchecked_ref(),
                self.ms,
            ) {
                Ok(id) => self.timer = Some((id, callback)),
                // No timer could be set: do not wait forever.
                Err(_) => return Poll::Ready(()),
            }
        }
        Poll::Pending
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        // A timer outliving its closure would call into freed memory: clear it first.
        if let Some((id, _)) = &self.timer {
            if !self.shared.done.get() {
                let global: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
                global.clear_timeout_with_handle(*id);
            }
        }
    }
}
