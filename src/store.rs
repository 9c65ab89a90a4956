//! Every SQL statement lives in store, by aggregate (builders, guilds, listings, buying,
//! ledger, fulfilment, orders, outbox, trust, hq, twitch); this file is the plumbing they
//! share: the round-trip counter, the error, bindings, batch results, events applied once.
//! Changes that belong together go in one D1 batch (atomic: all or nothing).

pub mod builders;
pub mod buying;
pub mod dashboard;
pub mod fulfilment;
pub mod guilds;
pub mod hq;
pub mod ledger;
pub mod listings;
pub mod orders;
pub mod outbox;
pub mod raffle;
pub mod sessions;
pub mod timeline;
pub mod trust;
pub mod twitch;
pub mod waitlist;

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

/// What went wrong with the database, by kind: D1 refused or failed (retry later), or it
/// answered something our code did not expect (a bug: retrying will not help).
#[derive(Debug)]
pub enum StoreError {
    /// D1 (or the binding) failed: a constraint, a lost connection, an overloaded database.
    D1(worker::Error),
    /// D1 answered, but not what the code expects (a missing row, an unknown enum value).
    Unexpected(String),
}

impl StoreError {
    fn unexpected(what: impl Into<String>) -> StoreError {
        StoreError::Unexpected(what.into())
    }
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::D1(e) => write!(f, "store: d1: {e}"),
            StoreError::Unexpected(what) => write!(f, "store: unexpected: {what}"),
        }
    }
}

impl From<worker::Error> for StoreError {
    fn from(e: worker::Error) -> Self {
        StoreError::D1(e)
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

    /// A batch of these statements, none of whose rows are read.
    pub(crate) fn of(statements: Vec<D1PreparedStatement>) -> Batch {
        Batch { statements }
    }

    /// A batch of these statements, reading the last one's rows.
    pub(crate) fn ending_with_read<T>(
        mut statements: Vec<D1PreparedStatement>,
    ) -> (Batch, Option<Read<T>>) {
        let last = statements.pop();
        let mut batch = Batch::of(statements);
        let read = last.map(|statement| batch.read(statement));
        (batch, read)
    }

    pub(crate) fn add(&mut self, statement: D1PreparedStatement) {
        self.statements.push(statement);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.statements.is_empty()
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
        None => Err(StoreError::unexpected(format!(
            "batch has no result {index}"
        ))),
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

/// A row read as a JSON value, its fields taken by name: for reads whose rows are only
/// displayed (the dashboard, its exports), where a derived `Deserialize` per row type would
/// cost the module more than these five accessors (docs/performance.md). A missing or
/// mistyped field reads as empty or zero.
pub(crate) struct Row<'a>(pub(crate) &'a serde_json::Value);

impl Row<'_> {
    pub(crate) fn int(&self, key: &str) -> i64 {
        self.opt_num(key).map_or(0, |n| n as i64)
    }
    pub(crate) fn num(&self, key: &str) -> f64 {
        self.opt_num(key).unwrap_or(0.0)
    }
    pub(crate) fn opt_num(&self, key: &str) -> Option<f64> {
        self.0.get(key).and_then(serde_json::Value::as_f64)
    }
    pub(crate) fn text(&self, key: &str) -> String {
        self.opt_text(key).unwrap_or_default()
    }
    pub(crate) fn opt_text(&self, key: &str) -> Option<String> {
        self.0
            .get(key)
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
    }
}

/// Whether a webhook event was applied now (with its batch's results) or before.
pub(crate) enum Applied {
    Now(Done),
    Before,
}

/// A statement's `RETURNING id`.
#[derive(Debug, Deserialize)]
pub(crate) struct ReturnedId {
    pub id: String,
}

impl ReturnedId {
    /// Two values read as one text, `first || ' ' || second` in SQL (neither may hold a
    /// space): a row type the module already decodes, where a new one costs ~1 KiB.
    pub(crate) fn pair(self) -> Option<(String, String)> {
        let (first, second) = self.id.split_once(' ')?;
        Some((first.to_owned(), second.to_owned()))
    }
}

/// Records `(source, event_id)` and applies `effects` in ONE batch. A repeat delivery
/// trips the primary key, so the batch rolls back whole: effects happen exactly once. The
/// record goes last (a batch is one transaction, so its place changes nothing), which keeps
/// the handles of `effects` pointing at their own statements.
pub(crate) async fn apply_event_once(
    db: &D1Database,
    source: &str,
    event_id: &str,
    event_type: &str,
    now_ms: f64,
    mut effects: Batch,
) -> Result<Applied, StoreError> {
    effects.add(
        db.prepare(
            "INSERT INTO processed_events (source, event_id, event_type, received_at)
             VALUES (?1, ?2, ?3, ?4)",
        )
        .bind(&[
            source.into(),
            event_id.into(),
            event_type.into(),
            JsValue::from_f64(now_ms),
        ])?,
    );
    match effects.run(db).await {
        Ok(done) => Ok(Applied::Now(done)),
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
                None => Err(batch_error),
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
