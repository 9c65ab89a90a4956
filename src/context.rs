//! What one request (or one cron tick) works with: the Worker's environment and the clock,
//! read once when it began. Handlers and services take a `&Cx`; the store and the domain
//! take the `now_ms` it carries, so pure code never reads a clock and tests choose the time.

use crate::config::{self, ConfigError};
use worker::{D1Database, Env};

#[derive(Clone)]
pub struct Cx {
    pub env: Env,
    /// Milliseconds since the epoch when the request began (`SystemTime` panics on wasm32).
    pub now_ms: f64,
}

impl Cx {
    /// A context for a request beginning now.
    pub fn new(env: &Env) -> Cx {
        Cx::at(env, crate::sleep::now_ms())
    }

    /// A context at a chosen time.
    pub fn at(env: &Env, now_ms: f64) -> Cx {
        Cx {
            env: env.clone(),
            now_ms,
        }
    }

    /// The D1 database (a missing binding is named).
    pub fn db(&self) -> Result<D1Database, ConfigError> {
        config::db(&self.env)
    }
}
