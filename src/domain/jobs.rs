//! The outbox's jobs: each exactly one external effect (a DM, a post, an embed edit, a role),
//! so a retry repeats nothing that already happened. Stored as JSON in the batch that causes
//! them and delivered by src/outbox.rs. Pure data. Encoded as serde's default for an enum,
//! `{"overdue":{"order":"C5-1"}}` (migration 0011: the internally tagged form's decoder cost
//! the module 5 KiB gzip).

use serde::{Deserialize, Serialize};

/// What to deliver. Rendered from D1 at delivery time, so a retry shows the latest state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Job {
    /// DM the buyer their order confirmation.
    OrderPaid { order: String },
    /// Tell the builder about the sale (orders channel, else DM).
    SellerSale { order: String },
    /// Edit the drop's public embed to its current stock.
    RefreshEmbed { listing: String },
    /// DM a buyer whose turn in a drop's line came: a unit is held for them (`hold`).
    WaitlistOffer { hold: String, buyer: String },
    /// DM the buyer that their late payment was refunded.
    LateRefund { order: String },
    /// DM the buyer that a payment C500 did not ask for (another amount or currency) was
    /// refunded and nothing was ordered.
    RefusedRefund { order: String },
    /// Tell HQ about that payment (its own job: a failed DM never posts to HQ twice).
    HqRefusedPayment { order: String },
    /// DM the buyer about a refund (the embed's stock is its own `RefreshEmbed` job).
    RefundedByPaymentIntent { payment_intent: String },
    /// DM the buyer that their commission is on the workbench, with the stream link.
    LiveProof { order: String },
    /// Give or take back a member's role (the LIVE role).
    SetRole {
        guild: String,
        user: String,
        role: String,
        give: bool,
    },
    /// DM the buyer their tracking link.
    Shipped { order: String },
    /// DM the buyer that their commission has no live proof a week past its promise, and
    /// that HQ knows.
    Overdue { order: String },
    /// Tell HQ the same (its own job, so a failed DM never posts to HQ twice).
    OverdueHq { order: String },
    /// Open HQ's ticket for a buyer's report (never shown to the builder).
    HqReport { report: String },
    /// Tell the reporter how HQ resolved their report.
    ReportResolved { report: String },
    /// Tell a user they are banned, and how to appeal.
    BanNotice { user: String },
    /// Open HQ's ticket for a builder who owes C500 (Stripe refused to reverse a payout).
    HqOwed { order: String, cents: i64 },
    /// Post a report to HQ (reconciliation): the text is the job.
    HqNotice { title: String, body: String },
    /// Alert HQ about a dispute.
    HqDispute {
        payment_intent: String,
        dispute: String,
        opened: bool,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_round_trip_as_json_named_by_their_kind() {
        let job = Job::HqDispute {
            payment_intent: "pi_1".into(),
            dispute: "dp_1".into(),
            opened: true,
        };
        let json = serde_json::to_string(&job).unwrap();
        assert_eq!(
            json,
            r#"{"hq_dispute":{"payment_intent":"pi_1","dispute":"dp_1","opened":true}}"#
        );
        assert_eq!(serde_json::from_str::<Job>(&json).unwrap(), job);
        // The SQL-built refresh (store::builders, store::hq) reads back as the job.
        assert_eq!(
            serde_json::from_str::<Job>(r#"{"refresh_embed":{"listing":"D-1"}}"#).unwrap(),
            Job::RefreshEmbed {
                listing: "D-1".into()
            }
        );
    }
}
