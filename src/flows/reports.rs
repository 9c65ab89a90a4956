//! A buyer's report about an order, for HQ (the builder is never told): from `/c500 report`
//! in a DM or the report form of My orders on the site. The caller delivers HQ's ticket
//! (the outbox) after answering.

use crate::context::Cx;
use crate::domain::ids::{OrderId, ReportId};
use crate::error::Failure;
use crate::log;
use crate::store::hq::{self, Reported};
use serde_json::json;

/// The longest reason kept (Discord's option allows the same).
pub const MAX_REASON: usize = 1000;

/// Opens the report, unless the order is not the reporter's or already reported.
pub async fn report(
    cx: &Cx,
    order: &OrderId,
    reporter: &str,
    reason: &str,
) -> Result<(Reported, ReportId), Failure> {
    let db = cx.db()?;
    let mut random = [0u8; 8];
    getrandom::fill(&mut random)?;
    let id = ReportId::from_random(&random);
    let reason: String = reason.trim().chars().take(MAX_REASON).collect();
    let result = hq::open_report(
        &db,
        id.as_str(),
        order.as_str(),
        reporter,
        &reason,
        cx.now_ms,
    )
    .await?;
    log::event(
        "report",
        json!({ "report": id.as_str(), "order": order.as_str(), "result": format!("{result:?}") }),
    );
    Ok((result, id))
}
