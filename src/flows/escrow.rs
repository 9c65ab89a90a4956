//! Moving the money C500 holds: claim, then act, then record.
//!
//! `advance` asks domain::escrow what an event does to the order's money and applies it with
//! a compare-and-set (store::ledger::apply): the claims it takes are pending ledger rows.
//! `carry_out` then calls Stripe for each claimed row, oldest first, with the key
//! `c500-{row id}`, records Stripe's answer and settles the state again. A crash or a Stripe
//! outage between claim and record leaves the row pending; cron calls `carry_out` again with
//! the same key, so Stripe answers what it did the first time.

use crate::clients::stripe::{Stripe, StripeError};
use crate::context::Cx;
use crate::domain::escrow::{self, Actor, Escrow, Event, MoveKind, Movement, Refusal, Step};
use crate::domain::order::OrderStatus;
use crate::error::{Failure, MoneyError};
use crate::log;
use crate::store::ledger::{self, Answer, Money};
use crate::store::StoreError;
use serde_json::json;
use worker::D1Database;

#[derive(Debug)]
pub enum FlowError {
    Store(StoreError),
    NoSuchOrder,
    /// The order's money kept changing under us (five lost compare-and-sets in a row).
    Busy,
}

impl std::fmt::Display for FlowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FlowError::Store(e) => write!(f, "{e}"),
            FlowError::NoSuchOrder => f.write_str("no such order"),
            FlowError::Busy => f.write_str("the order's money kept changing"),
        }
    }
}

impl From<FlowError> for Failure {
    fn from(e: FlowError) -> Self {
        match e {
            FlowError::Store(e) => Failure::Store(e),
            FlowError::NoSuchOrder => Failure::Money(MoneyError("no such order")),
            FlowError::Busy => Failure::Money(MoneyError("the order's money kept changing")),
        }
    }
}

impl From<StoreError> for FlowError {
    fn from(e: StoreError) -> Self {
        FlowError::Store(e)
    }
}

/// Who asked for a movement (a user id, `cron` or `c500`), and why, for the timeline.
#[derive(Debug, Clone, Copy)]
pub struct Who<'a> {
    pub id: &'a str,
    pub why: Option<&'a str>,
}

impl Who<'static> {
    pub const C500: Who<'static> = Who {
        id: "c500",
        why: None,
    };
    pub const CRON: Who<'static> = Who {
        id: "cron",
        why: None,
    };
}

impl<'a> Who<'a> {
    pub fn user(id: &'a str) -> Who<'a> {
        Who { id, why: None }
    }
}

/// Applies `event` to the order's money. `Ok(Err(refusal))`: the rules say no (whoever lost
/// a race is told here, after re-reading what the winner did).
pub async fn advance(
    db: &D1Database,
    order_id: &str,
    event: Event,
    who: Who<'_>,
    now_ms: f64,
) -> Result<Result<(Money, Step), Refusal>, FlowError> {
    for _ in 0..5 {
        let Some(money) = ledger::money(db, order_id).await? else {
            return Err(FlowError::NoSuchOrder);
        };
        let step = match escrow::step(&money.facts, event) {
            Ok(step) => step,
            Err(refusal) => return Ok(Err(refusal)),
        };
        if !step.changes(&money.facts) && !money.dirty {
            return Ok(Ok((money, step)));
        }
        if ledger::apply(db, &money, &step, who.id, who.why, now_ms).await? {
            if !step.claims.is_empty() {
                log::event(
                    "escrow_claimed",
                    json!({ "order": order_id, "by": who.id, "event": format!("{event:?}"),
                        "claims": step.claims.iter().map(|c| json!({ "id": c.id, "kind": c.kind.as_str(), "cents": c.amount.get() })).collect::<Vec<_>>() }),
                );
            }
            return Ok(Ok((money, step)));
        }
    }
    Err(FlowError::Busy)
}

/// How one Stripe call for a claimed row ended.
enum Called {
    Moved(String),
    Refused(String),
    /// No answer we can trust (a timeout, a 5xx, a 409 while the first call runs, a 429):
    /// the row stays pending and is called again with the same key.
    Unknown(String),
}

fn called(result: Result<String, StripeError>) -> Called {
    match result {
        Ok(id) => Called::Moved(id),
        Err(StripeError::Api { status, message })
            if (400..500).contains(&status) && status != 409 && status != 429 =>
        {
            Called::Refused(format!("{status}: {message}"))
        }
        Err(e) => Called::Unknown(e.to_string()),
    }
}

/// Past this, no request that claimed a movement can still be calling Stripe for it (a
/// Worker's request, its waitUntil and a cron run all end well before).
const CLAIM_SURELY_ENDED_MS: f64 = 20.0 * 60.0 * 1000.0;

async fn call(stripe: &Stripe, m: &Money, row: &Movement, now_ms: f64) -> Called {
    let order = m.facts.order_id.as_str();
    let amount = row.amount.get();
    match row.kind {
        MoveKind::Transfer => {
            if m.facts.dispute_open() {
                // A dispute opened after the claim: what has not left yet stays frozen. The
                // first call may have reached Stripe, so ask before giving the claim up; and
                // while the request that claimed it may still be calling, wait (the claim
                // stays pending, and a won dispute lets it go ahead with the same key).
                return match stripe.transfers_of(order).await {
                    Ok(list) => match list
                        .into_iter()
                        .find(|t| t.metadata.get("c500_ledger") == Some(&row.id))
                    {
                        Some(t) => Called::Moved(t.id),
                        None if now_ms - row.at_ms > CLAIM_SURELY_ENDED_MS => Called::Refused(
                            "frozen: a dispute opened before the payout left".to_owned(),
                        ),
                        None => Called::Unknown("frozen while a dispute is open".to_owned()),
                    },
                    Err(e) => Called::Unknown(e.to_string()),
                };
            }
            let Some(account) = m.seller_account.as_deref() else {
                return Called::Refused("the builder has no Stripe account".to_owned());
            };
            let charge = match (&m.charge_id, &m.payment_intent) {
                (Some(charge), _) => charge.clone(),
                (None, Some(pi)) => match stripe.payment_charge(pi).await {
                    Ok(charge) => charge,
                    Err(e) => return Called::Unknown(e.to_string()),
                },
                (None, None) => return Called::Refused("the order has no payment".to_owned()),
            };
            called(
                stripe
                    .transfer(order, &row.id, amount, account, &charge)
                    .await,
            )
        }
        MoveKind::Refund => match &m.payment_intent {
            Some(pi) => called(stripe.refund(pi, amount, order, &row.id).await),
            None => Called::Refused("the order has no payment".to_owned()),
        },
        MoveKind::Reversal => match &row.target {
            Some(transfer) => called(
                stripe
                    .reverse_transfer(transfer, amount, order, &row.id)
                    .await,
            ),
            None => Called::Refused("no transfer to reverse".to_owned()),
        },
        // Not C500's to make.
        MoveKind::Charge | MoveKind::Dispute => {
            Called::Refused("not a movement C500 makes".to_owned())
        }
    }
}

/// Carries out the order's claimed movements, oldest first. Returns the money as it stands
/// after (pending rows left for cron when Stripe gave no answer).
pub async fn carry_out(cx: &Cx, db: &D1Database, order_id: &str) -> Result<Money, FlowError> {
    let env = &cx.env;
    let stripe = Stripe::from_env(env);
    for _ in 0..8 {
        let Some(money) = ledger::money(db, order_id).await? else {
            return Err(FlowError::NoSuchOrder);
        };
        let Some(row) = money.facts.in_flight().cloned() else {
            return Ok(money);
        };
        let stripe = match &stripe {
            Ok(stripe) => stripe,
            Err(e) => {
                log::error("escrow_stripe_unconfigured", e);
                return Ok(money);
            }
        };
        let answer = call(stripe, &money, &row, cx.now_ms).await;
        let (answer, event) = match &answer {
            Called::Moved(id) => (Answer::Moved(id), "escrow_moved"),
            Called::Refused(why) => (Answer::Refused(why), "escrow_refused"),
            Called::Unknown(why) => {
                log::event(
                    "escrow_unanswered",
                    json!({ "order": order_id, "row": row.id, "error": why }),
                );
                return Ok(money);
            }
        };
        log::event(
            event,
            json!({ "order": order_id, "row": row.id, "kind": row.kind.as_str(), "cents": row.amount.get(),
                "stripe": match &answer { Answer::Moved(id) => json!(id), Answer::Refused(why) => json!(why) } }),
        );
        ledger::record(db, order_id, &row, answer, cx.now_ms).await?;
        if let Err(refusal) = advance(db, order_id, Event::Recompute, Who::C500, cx.now_ms).await? {
            log::event(
                "escrow_settle_refused",
                json!({ "order": order_id, "refusal": format!("{refusal:?}") }),
            );
        }
    }
    ledger::money(db, order_id)
        .await?
        .ok_or(FlowError::NoSuchOrder)
}

/// `advance`, then `carry_out` whatever it claimed.
pub async fn run(
    cx: &Cx,
    db: &D1Database,
    order_id: &str,
    event: Event,
    who: Who<'_>,
) -> Result<Result<Money, Refusal>, FlowError> {
    match advance(db, order_id, event, who, cx.now_ms).await? {
        Err(refusal) => Ok(Err(refusal)),
        Ok(_) => Ok(Ok(carry_out(cx, db, order_id).await?)),
    }
}

/// After a fact was recorded (a webhook, a cron pass): settle the order's money, carry out
/// what follows, and refund a cancelled order's payment (it came too late for its unit, or
/// was refused as not what C500 asked for).
pub async fn settle(cx: &Cx, order_id: &str) -> Result<(), Failure> {
    let db = cx.db()?;
    let money = match run(cx, &db, order_id, Event::Recompute, Who::C500).await {
        Ok(Ok(m)) => m,
        Ok(Err(refusal)) => return Err(Failure::Bug(format!("settle {order_id}: {refusal:?}"))),
        Err(e) => return Err(e.into()),
    };
    let f = &money.facts;
    if f.status == OrderStatus::Cancelled && f.escrow == Escrow::Held && f.kept().get() > 0 {
        match run(cx, &db, order_id, Event::Refund(Actor::C500), Who::C500).await {
            Ok(Ok(_)) => log::event("cancelled_payment_refunded", json!({ "order": order_id })),
            Ok(Err(refusal)) => log::event(
                "cancelled_payment_refund_refused",
                json!({ "order": order_id, "refusal": format!("{refusal:?}") }),
            ),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}
