//! The SQL of Twitch: single-use OAuth states, linked accounts, live proof, LIVE roles.

use super::outbox::{enqueue_if, Check, Table, When};
use super::timeline::Entry;
use super::{num, upsert_user, Batch, Counted, ReturnedId, StoreError};
use crate::domain::jobs::Job;
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::D1Database;

pub async fn create_state(
    db: &D1Database,
    nonce: &str,
    discord_id: &str,
    expires_at_ms: f64,
) -> Result<(), StoreError> {
    db.prepare("INSERT INTO oauth_states (nonce, discord_id, expires_at) VALUES (?1, ?2, ?3)")
        .bind(&[nonce.into(), discord_id.into(), num(expires_at_ms)])?
        .run()
        .counted()
        .await?;
    Ok(())
}

/// Redeems a state once: `true` only for the first callback, before it expires.
pub async fn redeem_state(
    db: &D1Database,
    nonce: &str,
    discord_id: &str,
    now_ms: f64,
) -> Result<bool, StoreError> {
    let result = db
        .prepare(
            "DELETE FROM oauth_states WHERE nonce = ?1 AND discord_id = ?2 AND expires_at >= ?3 RETURNING nonce",
        )
        .bind(&[nonce.into(), discord_id.into(), num(now_ms)])?
        .all()
        .counted()
        .await?;
    Ok(!result.results::<serde_json::Value>()?.is_empty())
}

/// Links a Twitch account to a Discord user. `false`: it is linked to someone else.
pub async fn link_account(
    db: &D1Database,
    discord_id: &str,
    twitch_id: &str,
    login: &str,
    now_ms: f64,
) -> Result<bool, StoreError> {
    let now = num(now_ms);
    let user = upsert_user(db, discord_id, "", &now)?;
    let link = db
        .prepare(
            "UPDATE users SET twitch_user_id = ?2, twitch_login = ?3, updated_at = ?4
             WHERE discord_id = ?1 AND NOT EXISTS (SELECT 1 FROM users WHERE twitch_user_id = ?2 AND discord_id <> ?1)
             RETURNING discord_id",
        )
        .bind(&[discord_id.into(), twitch_id.into(), login.into(), now])?;
    let mut batch = Batch::new();
    batch.add(user);
    let link_rows = batch.read::<serde_json::Value>(link);
    let done = batch.run(db).await?;
    done.changed(&link_rows)
}

/// What going live needs: the builder's Twitch account and this server's channels and roles.
#[derive(Debug, Clone, Deserialize)]
pub struct LiveContext {
    pub is_builder: i64,
    pub twitch_user_id: Option<String>,
    pub twitch_login: Option<String>,
    pub announcements_channel_id: Option<String>,
    pub shop_channel_id: Option<String>,
    pub drop_role_id: Option<String>,
    pub live_role_id: Option<String>,
}

pub async fn live_context(
    db: &D1Database,
    builder: &str,
    guild: Option<&str>,
) -> Result<Option<LiveContext>, StoreError> {
    Ok(db
        .prepare(
            "SELECT EXISTS (SELECT 1 FROM builders b WHERE b.discord_id = u.discord_id AND b.approved = 1) AS is_builder,
               u.twitch_user_id, u.twitch_login, g.announcements_channel_id, g.shop_channel_id, g.drop_role_id, g.live_role_id
             FROM users u LEFT JOIN guild_settings g ON g.guild_id = ?2 WHERE u.discord_id = ?1",
        )
        .bind(&[builder.into(), guild.map_or(JsValue::NULL, JsValue::from)])?
        .first::<LiveContext>(None)
        .counted()
        .await?)
}

/// Live proof for the builder's own paid commissions: each moves to building with the stream
/// recorded and its buyer's DM queued. Returns the ids that moved.
pub async fn prove_orders(
    db: &D1Database,
    builder: &str,
    ids: &[String],
    stream_url: &str,
    now_ms: f64,
) -> Result<Vec<String>, StoreError> {
    let now = num(now_ms);
    let provable = "id = ?1 AND seller_id = ?2 AND kind = 'commission' AND status = 'paid'";
    let mut statements = Vec::new();
    for id in ids {
        statements.push(
            db.prepare(
                Entry {
                    at: "?3",
                    from: "status",
                    to: "'building'",
                    actor: "?2",
                    detail: "'Live on the workbench: ' || ?4",
                }
                .sql(provable),
            )
            .bind(&[
                id.as_str().into(),
                builder.into(),
                now.clone(),
                stream_url.into(),
            ])?,
        );
        statements.push(
            db.prepare(format!(
                "UPDATE orders SET status = 'building', stream_url = ?4, updated_at = ?3 WHERE {provable}"
            ))
            .bind(&[id.as_str().into(), builder.into(), now.clone(), stream_url.into()])?,
        );
        statements.push(enqueue_if(
            db,
            &Job::LiveProof { order: id.clone() },
            &format!("live_proof:{id}"),
            &When::row(
                Table::Orders,
                vec![Check::Is("status", "building"), Check::Now("updated_at")],
            ),
            id,
            now_ms,
        )?);
    }
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut placeholders = Vec::new();
    let mut binds: Vec<JsValue> = vec![num(now_ms)];
    for (i, id) in ids.iter().enumerate() {
        placeholders.push(format!("?{}", i + 2));
        binds.push(id.as_str().into());
    }
    let mut batch = Batch::of(statements);
    let moved = batch.read::<ReturnedId>(
        db.prepare(format!(
            "SELECT id FROM orders WHERE status = 'building' AND updated_at = ?1 AND id IN ({})",
            placeholders.join(", ")
        ))
        .bind(&binds)?,
    );
    Ok(batch
        .run(db)
        .await?
        .rows(&moved)?
        .into_iter()
        .map(|r| r.id)
        .collect())
}

/// Gives the builder this server's LIVE role (through the outbox) and remembers it.
pub async fn give_live_role(
    db: &D1Database,
    builder: &str,
    guild: &str,
    role: &str,
    now_ms: f64,
) -> Result<(), StoreError> {
    let now = num(now_ms);
    let remember = db
        .prepare(
            "INSERT INTO live_roles (builder_id, guild_id, role_id, given_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (builder_id, guild_id, role_id) DO UPDATE SET given_at = excluded.given_at",
        )
        .bind(&[builder.into(), guild.into(), role.into(), now.clone()])?;
    let live = db
        .prepare("UPDATE builders SET live_since = COALESCE(live_since, ?2), updated_at = ?2 WHERE discord_id = ?1")
        .bind(&[builder.into(), now])?;
    let job = enqueue_if(
        db,
        &Job::SetRole {
            guild: guild.to_owned(),
            user: builder.to_owned(),
            role: role.to_owned(),
            give: true,
        },
        &format!("role:{guild}:{builder}:{role}:give:{now_ms}"),
        &When::Always,
        builder,
        now_ms,
    )?;
    db.batch(vec![remember, live, job]).counted().await?;
    Ok(())
}

/// Statements that take back the LIVE roles of the builders `which` selects (SQL over
/// `live_roles r`, with ?1 = now and ?2 = its argument): queue the role removals, mark the
/// builders offline, forget the rows (the last statement returns one row per role).
fn take_roles(
    db: &D1Database,
    which: &str,
    arg: JsValue,
    now_ms: f64,
) -> Result<Vec<worker::D1PreparedStatement>, StoreError> {
    let now = num(now_ms);
    // The job is built in SQL here; its JSON is what serde makes of `Job::SetRole`
    // (outbox.rs tests that it reads back).
    let jobs = db
        .prepare(format!(
            "INSERT INTO outbox (dedupe_key, job, next_attempt_at, created_at, updated_at)
             SELECT 'role:' || r.guild_id || ':' || r.builder_id || ':' || r.role_id || ':take:' || r.given_at,
               json_object('set_role', json_object('guild', r.guild_id, 'user', r.builder_id, 'role', r.role_id, 'give', json('false'))),
               ?1, ?1, ?1
             FROM live_roles r WHERE {which}
             ON CONFLICT (dedupe_key) DO NOTHING"
        ))
        .bind(&[now.clone(), arg.clone()])?;
    let offline = db
        .prepare(format!(
            "UPDATE builders SET live_since = NULL, updated_at = ?1
             WHERE discord_id IN (SELECT r.builder_id FROM live_roles r WHERE {which})"
        ))
        .bind(&[now.clone(), arg.clone()])?;
    let forget = db
        .prepare(format!(
            "DELETE FROM live_roles WHERE rowid IN (SELECT r.rowid FROM live_roles r WHERE {which}) RETURNING role_id"
        ))
        .bind(&[now, arg])?;
    Ok(vec![jobs, offline, forget])
}

/// The stream of Twitch user `twitch_id` ended (EventSub stream.offline): the statements
/// to apply with the message's record.
pub fn stream_ended_statements(
    db: &D1Database,
    twitch_id: &str,
    now_ms: f64,
) -> Result<Vec<worker::D1PreparedStatement>, StoreError> {
    take_roles(
        db,
        "?1 IS NOT NULL AND r.builder_id IN (SELECT discord_id FROM users WHERE twitch_user_id = ?2)",
        twitch_id.into(),
        now_ms,
    )
}

/// LIVE roles given more than 12 hours ago (no offline event came): taken back.
pub async fn expire_live_roles(
    db: &D1Database,
    given_before_ms: f64,
    now_ms: f64,
) -> Result<usize, StoreError> {
    let statements = take_roles(
        db,
        "?1 IS NOT NULL AND r.given_at <= ?2",
        num(given_before_ms),
        now_ms,
    )?;
    // take_roles' last statement lists the roles taken.
    let (batch, taken) = Batch::ending_with_read::<serde_json::Value>(statements);
    let done = batch.run(db).await?;
    Ok(match &taken {
        Some(taken) => done.rows(taken)?.len(),
        None => 0,
    })
}
