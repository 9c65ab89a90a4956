//! What one isolate keeps in memory between requests: the landing page, drop pages' facts
//! and who recently signed-in visitors are. Each kept value has its key and the time it was
//! read; readers decide how old is too old. Other isolates keep their own copies, so a change
//! reaches them when theirs ages out.

use super::PageError;
use crate::context::Cx;
use crate::log;
use std::cell::RefCell;
use std::thread::LocalKey;
use worker::Context;

/// Up to `capacity` values by key; past it the oldest goes. A list, not a map: at this size
/// a scan costs microseconds, and a hash map's code would cost the module 3 KiB gzip
/// (docs/performance.md).
pub struct Kept<T> {
    entries: RefCell<Vec<Entry<T>>>,
    capacity: usize,
}

struct Entry<T> {
    key: String,
    value: T,
    kept_at: f64,
    /// A background refresh of it is under way.
    refreshing: bool,
}

impl<T: Clone> Kept<T> {
    pub const fn new(capacity: usize) -> Kept<T> {
        Kept {
            entries: RefCell::new(Vec::new()),
            capacity,
        }
    }

    /// The value kept for `key` and its age at `now` (ms).
    pub fn get(&self, key: &str, now: f64) -> Option<(T, f64)> {
        self.entries
            .borrow()
            .iter()
            .find(|e| e.key == key)
            .map(|e| (e.value.clone(), now - e.kept_at))
    }

    pub fn keep(&self, key: &str, value: T, now: f64) {
        let mut entries = self.entries.borrow_mut();
        entries.retain(|e| e.key != key);
        if entries.len() >= self.capacity {
            if let Some(oldest) = entries
                .iter()
                .enumerate()
                .min_by(|a, b| a.1.kept_at.total_cmp(&b.1.kept_at))
                .map(|(i, _)| i)
            {
                entries.swap_remove(oldest);
            }
        }
        entries.push(Entry {
            key: key.to_owned(),
            value,
            kept_at: now,
            refreshing: false,
        });
    }

    pub fn forget(&self, key: &str) {
        self.entries.borrow_mut().retain(|e| e.key != key);
    }

    pub fn clear(&self) {
        self.entries.borrow_mut().clear();
    }

    /// Marks `key` as being refreshed; false if a refresh is already under way.
    fn start_refresh(&self, key: &str) -> bool {
        self.entries
            .borrow_mut()
            .iter_mut()
            .find(|e| e.key == key)
            .is_some_and(|e| !std::mem::replace(&mut e.refreshing, true))
    }

    fn end_refresh(&self, key: &str) {
        if let Some(e) = self.entries.borrow_mut().iter_mut().find(|e| e.key == key) {
            e.refreshing = false;
        }
    }
}

/// How long a kept value is fresh: `PAGE_CACHE_SECONDS` (default 10; 0 keeps nothing), in ms.
pub fn ttl_ms(cx: &Cx) -> f64 {
    cx.env
        .var("PAGE_CACHE_SECONDS")
        .ok()
        .and_then(|v| v.to_string().parse::<f64>().ok())
        .unwrap_or(10.0)
        .max(0.0)
        * 1000.0
}

/// Where a value came from, for the `x-c500-cache` header.
pub type Freshness = &'static str;

/// `key`'s value from `kept` when it is younger than `ttl` ms ("hit"), or younger than six
/// times that ("stale": served while one background refresh by `load` re-reads D1), else
/// loaded now ("miss") and kept. `ttl` 0 keeps nothing.
pub async fn through<T, F, Fut>(
    kept: &'static LocalKey<Kept<T>>,
    cx: &Cx,
    ctx: &Context,
    key: &str,
    ttl: f64,
    load: F,
) -> Result<(T, Freshness), PageError>
where
    T: Clone + 'static,
    F: Fn(Cx) -> Fut + 'static,
    Fut: std::future::Future<Output = Result<T, PageError>> + 'static,
{
    let now = cx.now_ms;
    if ttl > 0.0 {
        if let Some((value, age)) = kept.with(|k| k.get(key, now)) {
            if age <= ttl {
                return Ok((value, "hit"));
            }
            if age <= ttl * 6.0 {
                if kept.with(|k| k.start_refresh(key)) {
                    let (cx, key) = (cx.clone(), key.to_owned());
                    ctx.wait_until(async move {
                        match load(cx.clone()).await {
                            Ok(value) => kept.with(|k| k.keep(&key, value, cx.now_ms)),
                            Err(e) => log::error("page_refresh_failed", &format!("{e:?}")),
                        }
                        kept.with(|k| k.end_refresh(&key));
                    });
                }
                return Ok((value, "stale"));
            }
        }
    }
    let value = load(cx.clone()).await?;
    if ttl > 0.0 {
        kept.with(|k| k.keep(key, value.clone(), now));
    }
    Ok((value, "miss"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_by_key_and_drops_the_oldest() {
        let kept = Kept::<u32>::new(2);
        kept.keep("a", 1, 0.0);
        kept.keep("b", 2, 10.0);
        assert_eq!(kept.get("a", 25.0), Some((1, 25.0)));
        kept.keep("a", 3, 20.0);
        assert_eq!(kept.get("a", 25.0), Some((3, 5.0)));
        kept.keep("c", 4, 30.0);
        assert_eq!(kept.get("b", 30.0), None, "the oldest went");
        assert_eq!(kept.get("a", 30.0), Some((3, 10.0)));
        kept.forget("a");
        assert_eq!(kept.get("a", 30.0), None);
        assert!(kept.get("c", 30.0).is_some());
        kept.clear();
        assert_eq!(kept.get("c", 30.0), None);
    }

    #[test]
    fn one_refresh_at_a_time() {
        let kept = Kept::<u32>::new(4);
        assert!(!kept.start_refresh("a"), "nothing kept, nothing to refresh");
        kept.keep("a", 1, 0.0);
        assert!(kept.start_refresh("a"));
        assert!(!kept.start_refresh("a"));
        kept.end_refresh("a");
        assert!(kept.start_refresh("a"));
    }
}
