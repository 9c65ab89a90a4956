//! Orders as the buyer sees them: the checkout result, the status page, `/c500 orders`.

use super::sessions::{self, Check, Viewer};
use super::{Batch, Counted, StoreError};
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::D1Database;

#[derive(Debug, Clone, Deserialize)]
pub struct OrderRow {
    pub id: String,
    pub status_token: String,
    pub status: crate::domain::order::OrderStatus,
    pub escrow: crate::domain::escrow::Escrow,
    pub title: String,
    pub item_cents: i64,
    pub shipping_cents: i64,
    pub gross_cents: i64,
    pub promised_by: Option<f64>,
    pub seller_id: String,
    pub guild_tag: String,
    pub carrier: Option<String>,
    pub tracking: Option<String>,
    pub stream_url: Option<String>,
    pub created_at: f64,
}

const ORDER_ROW: &str = "SELECT o.id, o.status_token, o.status, o.escrow, l.title, o.item_cents, o.shipping_cents,
    o.gross_cents, o.promised_by, o.seller_id, l.guild_tag, o.carrier, o.tracking, o.stream_url, o.created_at
  FROM orders o JOIN listings l ON l.id = o.listing_id";

#[derive(Debug, Deserialize)]
pub struct OrderEvent {
    pub at: f64,
    pub to_status: crate::domain::order::OrderStatus,
    pub detail: Option<String>,
}

pub struct OrderPage {
    pub order: OrderRow,
    pub events: Vec<OrderEvent>,
}

pub enum CheckoutState {
    Order(Box<OrderPage>),
    /// The session is ours, the payment webhook has not landed yet.
    Pending,
    Unknown,
}

/// One batch: the order for the session (with its timeline), else whether a hold knows it.
pub async fn checkout_state(
    db: &D1Database,
    session_id: &str,
) -> Result<CheckoutState, StoreError> {
    let order = db
        .prepare(format!("{ORDER_ROW} WHERE o.checkout_session_id = ?1"))
        .bind(&[session_id.into()])?;
    let events = db
        .prepare(
            "SELECT e.at, e.to_status, e.detail FROM order_events e JOIN orders o ON o.id = e.order_id
             WHERE o.checkout_session_id = ?1 ORDER BY e.at, e.id",
        )
        .bind(&[session_id.into()])?;
    let hold = db
        .prepare("SELECT id FROM reservations WHERE checkout_session_id = ?1")
        .bind(&[session_id.into()])?;
    let mut batch = Batch::new();
    let order_rows = batch.read::<OrderRow>(order);
    let event_rows = batch.read(events);
    let hold_rows = batch.read::<serde_json::Value>(hold);
    let done = batch.run(db).await?;
    if let Some(order) = done.first(&order_rows)? {
        return Ok(CheckoutState::Order(Box::new(OrderPage {
            order,
            events: done.rows(&event_rows)?,
        })));
    }
    Ok(if done.rows(&hold_rows)?.is_empty() {
        CheckoutState::Unknown
    } else {
        CheckoutState::Pending
    })
}

pub async fn order_page(db: &D1Database, token: &str) -> Result<Option<OrderPage>, StoreError> {
    let order = db
        .prepare(format!("{ORDER_ROW} WHERE o.status_token = ?1"))
        .bind(&[token.into()])?;
    let events = db
        .prepare(
            "SELECT e.at, e.to_status, e.detail FROM order_events e JOIN orders o ON o.id = e.order_id
             WHERE o.status_token = ?1 ORDER BY e.at, e.id",
        )
        .bind(&[token.into()])?;
    let mut batch = Batch::new();
    let order_rows = batch.read::<OrderRow>(order);
    let event_rows = batch.read(events);
    let done = batch.run(db).await?;
    let Some(order) = done.first(&order_rows)? else {
        return Ok(None);
    };
    Ok(Some(OrderPage {
        order,
        events: done.rows(&event_rows)?,
    }))
}

/// A page of the buyer's orders, newest first, and whether there are more.
pub async fn buyer_orders(
    db: &D1Database,
    buyer: &str,
    page: u32,
    per_page: u32,
) -> Result<(Vec<OrderRow>, bool), StoreError> {
    let result = db
        .prepare(format!(
            "{ORDER_ROW} WHERE o.buyer_id = ?1 ORDER BY o.created_at DESC, o.id LIMIT ?2 OFFSET ?3"
        ))
        .bind(&[
            buyer.into(),
            JsValue::from(per_page + 1),
            JsValue::from(page * per_page),
        ])?
        .all()
        .counted()
        .await?;
    let mut orders: Vec<OrderRow> = result.results()?;
    let more = orders.len() > per_page as usize;
    orders.truncate(per_page as usize);
    Ok((orders, more))
}

/// A page of My orders: the orders with their timelines, which of them HQ has an open
/// report about, and whether there are more.
pub struct MyOrders {
    pub orders: Vec<OrderPage>,
    pub reported: Vec<String>,
    pub more: bool,
}

/// ONE batch: whether the session `check` names is alive (its user), and a page of that
/// buyer's orders (newest first), their events and open reports, which the caller shows only
/// to a live session.
pub async fn my_orders(
    db: &D1Database,
    check: Check<'_>,
    page: u32,
    per_page: u32,
) -> Result<(Option<Viewer>, MyOrders), StoreError> {
    let buyer = check.discord_id;
    #[derive(Deserialize)]
    struct Event {
        order_id: String,
        at: f64,
        to_status: crate::domain::order::OrderStatus,
        detail: Option<String>,
    }
    #[derive(Deserialize)]
    struct Open {
        order_id: String,
    }
    // The page's order ids, the same in all three statements.
    const PAGE: &str = "SELECT id FROM orders WHERE buyer_id = ?1
        ORDER BY created_at DESC, id LIMIT ?2 OFFSET ?3";
    let binds = [
        buyer.into(),
        JsValue::from(per_page + 1),
        JsValue::from(page * per_page),
    ];
    let orders = db
        .prepare(format!(
            "{ORDER_ROW} WHERE o.buyer_id = ?1 ORDER BY o.created_at DESC, o.id LIMIT ?2 OFFSET ?3"
        ))
        .bind(&binds)?;
    let events = db
        .prepare(format!(
            "SELECT e.order_id, e.at, e.to_status, e.detail FROM order_events e
             WHERE e.order_id IN ({PAGE}) ORDER BY e.at, e.id"
        ))
        .bind(&binds)?;
    let open = db
        .prepare(format!(
            "SELECT order_id FROM reports WHERE status = 'open' AND order_id IN ({PAGE})"
        ))
        .bind(&binds)?;
    let mut batch = Batch::new();
    let viewer_rows = batch.read::<Viewer>(sessions::alive(db, &check)?);
    let order_rows = batch.read::<OrderRow>(orders);
    let event_rows = batch.read::<Event>(events);
    let open_rows = batch.read::<Open>(open);
    let done = batch.run(db).await?;
    let mut rows = done.rows(&order_rows)?;
    let more = rows.len() > per_page as usize;
    rows.truncate(per_page as usize);
    let events = done.rows(&event_rows)?;
    let orders = rows
        .into_iter()
        .map(|order| OrderPage {
            events: events
                .iter()
                .filter(|e| e.order_id == order.id)
                .map(|e| OrderEvent {
                    at: e.at,
                    to_status: e.to_status,
                    detail: e.detail.clone(),
                })
                .collect(),
            order,
        })
        .collect();
    let mine = MyOrders {
        orders,
        reported: done
            .rows(&open_rows)?
            .into_iter()
            .map(|o| o.order_id)
            .collect(),
        more,
    };
    Ok((done.first(&viewer_rows)?, mine))
}
