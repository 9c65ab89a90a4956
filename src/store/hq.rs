//! The SQL of HQ's tools: buyers' reports, resolving them, and global bans. Every admin
//! action is written to `admin_actions` in the same batch as its effect.

use super::outbox::{enqueue_if, Check, Table, When};
use super::{num, upsert_user, Batch, Counted, StoreError};
use crate::domain::jobs::Job;
use wasm_bindgen::JsValue;
use worker::D1Database;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reported {
    Opened,
    /// Only the order's buyer can report it.
    NotYourOrder,
    /// One open report per order is enough; HQ has it.
    AlreadyOpen,
}

/// Opens a report for HQ (the builder is never told) and queues HQ's ticket.
pub async fn open_report(
    db: &D1Database,
    id: &str,
    order: &str,
    reporter: &str,
    reason: &str,
    now_ms: f64,
) -> Result<Reported, StoreError> {
    let now = num(now_ms);
    let insert = db
        .prepare(
            "INSERT INTO reports (id, order_id, reporter_id, reason, status, created_at)
             SELECT ?1, o.id, ?3, ?4, 'open', ?5 FROM orders o
             WHERE o.id = ?2 AND o.buyer_id = ?3
               AND NOT EXISTS (SELECT 1 FROM reports r WHERE r.order_id = ?2 AND r.status = 'open')
             RETURNING id",
        )
        .bind(&[id.into(), order.into(), reporter.into(), reason.into(), now])?;
    let ticket = enqueue_if(
        db,
        &Job::HqReport {
            report: id.to_owned(),
        },
        &format!("report:{id}"),
        &When::row(Table::Reports, vec![]),
        id,
        now_ms,
    )?;
    let owner = db
        .prepare("SELECT 1 AS ok FROM orders WHERE id = ?1 AND buyer_id = ?2")
        .bind(&[order.into(), reporter.into()])?;
    let mut batch = Batch::new();
    let insert_rows = batch.read::<serde_json::Value>(insert);
    batch.add(ticket);
    let owner_rows = batch.read::<serde_json::Value>(owner);
    let done = batch.run(db).await?;
    Ok(if done.changed(&insert_rows)? {
        Reported::Opened
    } else if done.rows(&owner_rows)?.is_empty() {
        Reported::NotYourOrder
    } else {
        Reported::AlreadyOpen
    })
}

/// HQ resolves an open report; the reporter is told. `false`: no such open report.
pub async fn resolve_report(
    db: &D1Database,
    id: &str,
    admin: &str,
    resolution: &str,
    now_ms: f64,
) -> Result<bool, StoreError> {
    let now = num(now_ms);
    let update = db
        .prepare(
            "UPDATE reports SET status = 'resolved', resolution = ?3, resolved_by = ?2, resolved_at = ?4
             WHERE id = ?1 AND status = 'open' RETURNING id",
        )
        .bind(&[id.into(), admin.into(), resolution.into(), now.clone()])?;
    let audit = db
        .prepare(
            "INSERT INTO admin_actions (admin_id, action, subject, detail, at)
             SELECT ?2, 'resolve_report', ?1, ?3, ?4 FROM reports WHERE id = ?1 AND resolved_at = ?4",
        )
        .bind(&[id.into(), admin.into(), resolution.into(), now])?;
    let told = enqueue_if(
        db,
        &Job::ReportResolved {
            report: id.to_owned(),
        },
        &format!("report_resolved:{id}"),
        &When::row(Table::Reports, vec![Check::Now("resolved_at")]),
        id,
        now_ms,
    )?;
    let mut batch = Batch::new();
    let update_rows = batch.read::<serde_json::Value>(update);
    batch.add(audit);
    batch.add(told);
    let done = batch.run(db).await?;
    done.changed(&update_rows)
}

/// A global ban (or its lifting). A ban also takes the user's live drops off sale, with
/// their embeds edited, and tells them why.
pub async fn set_ban(
    db: &D1Database,
    admin: &str,
    user: &str,
    username: &str,
    reason: Option<&str>,
    now_ms: f64,
) -> Result<(), StoreError> {
    let now = num(now_ms);
    let banned = reason.is_some();
    let reason_value = reason.map_or(JsValue::NULL, JsValue::from);
    let mut statements = vec![
        upsert_user(db, user, username, &now)?,
        db.prepare("UPDATE users SET is_banned = ?2, ban_reason = ?3, updated_at = ?4 WHERE discord_id = ?1")
            .bind(&[user.into(), JsValue::from(u8::from(banned)), reason_value.clone(), now.clone()])?,
        db.prepare("INSERT INTO admin_actions (admin_id, action, subject, detail, at) VALUES (?1, ?2, ?3, ?4, ?5)")
            .bind(&[
                admin.into(),
                if banned { "ban" } else { "unban" }.into(),
                user.into(),
                reason_value,
                now.clone(),
            ])?,
    ];
    if banned {
        // The job is built in SQL; its JSON is what serde makes of `Job::RefreshEmbed`, its key
        // the drop's one embed job (store::outbox::refresh_embed_if).
        statements.push(
            db.prepare(format!(
                "INSERT INTO outbox (dedupe_key, job, next_attempt_at, created_at, updated_at)
                 SELECT 'embed:' || id, json_object('refresh_embed', json_object('listing', id)), ?2, ?2, ?2
                 FROM listings WHERE seller_id = ?1 AND status = 'live'
                 ON CONFLICT (dedupe_key) {}",
                super::outbox::embed_rearm_sql()
            ))
            .bind(&[user.into(), now.clone()])?,
        );
        statements.push(
            db.prepare("UPDATE listings SET status = 'delisted', updated_at = ?2 WHERE seller_id = ?1 AND status = 'live'")
                .bind(&[user.into(), now])?,
        );
        statements.push(enqueue_if(
            db,
            &Job::BanNotice {
                user: user.to_owned(),
            },
            &format!("ban:{user}:{now_ms}"),
            &When::Always,
            user,
            now_ms,
        )?);
    }
    db.batch(statements).counted().await?;
    Ok(())
}

/// A report with what HQ's ticket and the reporter's DM show.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct ReportView {
    pub id: String,
    pub order_id: String,
    pub reporter_id: String,
    pub reason: String,
    pub status: String,
    pub resolution: Option<String>,
    pub seller_id: String,
    pub title: String,
    pub order_status: crate::domain::order::OrderStatus,
    pub escrow: crate::domain::escrow::Escrow,
}

pub async fn report_view(db: &D1Database, id: &str) -> Result<Option<ReportView>, StoreError> {
    Ok(db
        .prepare(
            "SELECT r.id, r.order_id, r.reporter_id, r.reason, r.status, r.resolution, o.seller_id, l.title,
               o.status AS order_status, o.escrow
             FROM reports r JOIN orders o ON o.id = r.order_id JOIN listings l ON l.id = o.listing_id
             WHERE r.id = ?1",
        )
        .bind(&[id.into()])?
        .first::<ReportView>(None)
        .counted()
        .await?)
}

/// Why a user is banned, if they are (the ban list lives in D1; KV caches it for the
/// per-interaction check).
pub async fn ban_reason(db: &D1Database, user: &str) -> Result<Option<String>, StoreError> {
    #[derive(serde::Deserialize)]
    struct Row {
        ban_reason: Option<String>,
    }
    Ok(db
        .prepare("SELECT ban_reason FROM users WHERE discord_id = ?1 AND is_banned = 1")
        .bind(&[user.into()])?
        .first::<Row>(None)
        .counted()
        .await?
        .map(|r| r.ban_reason.unwrap_or_default()))
}
