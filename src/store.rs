//! Every SQL statement lives in store, by aggregate (builders, guilds, listings, buying,
//! ledger, fulfilment, orders, outbox, trust, hq, twitch); this file is the plumbing they
//! share: the round-trip counter, the error, bindings, batch results, events applied once.
//! Changes that belong together go in one D1 batch (atomic: all or nothing).

pub mod builders;
pub mod buying;
pub mod fulfilment;
pub mod guilds;
pub mod hq;
pub mod ledger;
pub mod listings;
pub mod orders;
pub mod outbox;
pub mod trust;
pub mod twitch;

use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement, D1Result};

thread_local! {
    static ROUND_TRIPS: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// D1 round trips (each `batch`, `run`, `first` or `all`) since the last call. Logged with
/// the requests whose budget matters; exact when requests don't overlap (make bench).
pub fn take_round_trips() -> u32 {
    ROUND_TRIPS.with(|c| c.replace(0))
}

/// Marks a D1 call as one round trip (every call in this module goes through it).
trait Counted: std::future::Future + Sized {
    fn counted(self) -> Self {
        ROUND_TRIPS.with(|c| c.set(c.get().saturating_add(1)));
        self
    }
}

impl<F: std::future::Future> Counted for F {}

#[derive(Debug)]
pub struct StoreError(String);

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "store: {}", self.0)
    }
}

impl From<worker::Error> for StoreError {
    fn from(e: worker::Error) -> Self {
        StoreError(e.to_string())
    }
}

/// A number for a D1 binding (the Rust binding's integers are i32; ms and cents are f64).
fn num(n: f64) -> JsValue {
    JsValue::from_f64(n)
}

fn cents(c: crate::domain::money::Cents) -> JsValue {
    num(c.get() as f64)
}

/// One D1 batch (atomic), built statement by statement. `read` gives a typed handle to a
/// statement's rows, so nobody counts positions in the results.
pub(crate) struct Batch {
    statements: Vec<D1PreparedStatement>,
}

/// The rows one statement of a batch returns (a SELECT, or a change `RETURNING`).
pub(crate) struct Read<T> {
    index: usize,
    row: std::marker::PhantomData<fn() -> T>,
}

/// A batch's results, read through its handles.
pub(crate) struct Done {
    results: Vec<D1Result>,
}

impl Batch {
    pub(crate) fn new() -> Batch {
        Batch {
            statements: Vec::new(),
        }
    }

    pub(crate) fn add(&mut self, statement: D1PreparedStatement) {
        self.statements.push(statement);
    }

    pub(crate) fn read<T>(&mut self, statement: D1PreparedStatement) -> Read<T> {
        self.statements.push(statement);
        Read {
            index: self.statements.len() - 1,
            row: std::marker::PhantomData,
        }
    }

    pub(crate) async fn run(self, db: &D1Database) -> Result<Done, StoreError> {
        Ok(Done {
            results: db.batch(self.statements).counted().await?,
        })
    }
}

impl Done {
    pub(crate) fn rows<T: for<'de> Deserialize<'de>>(
        &self,
        read: &Read<T>,
    ) -> Result<Vec<T>, StoreError> {
        rows(&self.results, read.index)
    }

    pub(crate) fn first<T: for<'de> Deserialize<'de>>(
        &self,
        read: &Read<T>,
    ) -> Result<Option<T>, StoreError> {
        Ok(self.rows(read)?.into_iter().next())
    }

    /// Whether a change `RETURNING` something changed a row.
    pub(crate) fn changed(&self, read: &Read<serde_json::Value>) -> Result<bool, StoreError> {
        Ok(!self.rows(read)?.is_empty())
    }
}

/// The rows of statement `index` of a batch's results.
fn rows<T: for<'de> Deserialize<'de>>(
    results: &[D1Result],
    index: usize,
) -> Result<Vec<T>, StoreError> {
    match results.get(index) {
        Some(result) => Ok(result.results::<T>()?),
        None => Err(StoreError(format!("batch has no result {index}"))),
    }
}

/// Creates the user, or refreshes their username (an empty one never overwrites).
fn upsert_user(
    db: &D1Database,
    discord_id: &str,
    username: &str,
    now: &JsValue,
) -> Result<D1PreparedStatement, StoreError> {
    Ok(db
        .prepare(
            "INSERT INTO users (discord_id, username, created_at, updated_at) VALUES (?1, ?2, ?3, ?3)
             ON CONFLICT (discord_id) DO UPDATE SET
               username = CASE WHEN excluded.username <> '' THEN excluded.username ELSE username END,
               updated_at = excluded.updated_at",
        )
        .bind(&[discord_id.into(), username.into(), now.clone()])?)
}

/// Whether a webhook event was applied now (with its batch's results) or before.
#[derive(Debug)]
pub enum Applied {
    Now(Vec<D1Result>),
    Before,
}

/// Records `(source, event_id)` and applies `effects` in ONE batch. A repeat delivery
/// trips the primary key, so the batch rolls back whole: effects happen exactly once.
/// The results of `effects[i]` are at index `i + 1`.
pub async fn apply_event_once(
    db: &D1Database,
    source: &str,
    event_id: &str,
    event_type: &str,
    now_ms: f64,
    effects: Vec<D1PreparedStatement>,
) -> Result<Applied, StoreError> {
    let record = db
        .prepare(
            "INSERT INTO processed_events (source, event_id, event_type, received_at)
             VALUES (?1, ?2, ?3, ?4)",
        )
        .bind(&[
            source.into(),
            event_id.into(),
            event_type.into(),
            JsValue::from_f64(now_ms),
        ])?;
    let mut statements = Vec::with_capacity(effects.len() + 1);
    statements.push(record);
    statements.extend(effects);
    match db.batch(statements).counted().await {
        Ok(results) => Ok(Applied::Now(results)),
        Err(batch_error) => {
            // Tell a duplicate (fine) from a real failure (Stripe must retry).
            let seen = db
                .prepare(
                    "SELECT 1 AS seen FROM processed_events WHERE source = ?1 AND event_id = ?2",
                )
                .bind(&[source.into(), event_id.into()])?
                .first::<i64>(Some("seen"))
                .counted()
                .await?;
            match seen {
                Some(_) => Ok(Applied::Before),
                None => Err(StoreError(batch_error.to_string())),
            }
        }
    }
}

/// A cheap liveness probe of the database for /healthz.
pub async fn ping(db: &D1Database) -> Result<(), StoreError> {
    db.prepare("SELECT 1 AS ok")
        .first::<i64>(Some("ok"))
        .counted()
        .await?;
    Ok(())
}

/// The id a batch statement RETURNed (`RETURNING id`), if it changed a row.
pub fn returned_id(results: &[D1Result], index: usize) -> Result<Option<String>, StoreError> {
    #[derive(Deserialize)]
    struct Id {
        id: String,
    }
    Ok(rows::<Id>(results, index)?.into_iter().next().map(|r| r.id))
}
