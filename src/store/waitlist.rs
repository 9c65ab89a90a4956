//! The SQL of a sold-out drop's line (issue 11.2): joining it, and offering each unit that
//! comes back to the first buyer waiting, as a hold of their own with a DM. While anyone
//! waits, Buy takes no free unit for a buyer further back (`ahead_sql!` in the hold's batch),
//! so a returned unit goes down the line, not to whoever re-clicks fastest.

use super::buying::{
    ahead_sql, bought_sql, facts_from, facts_sql, seller_can_sell, FactsRow, HoldCheckout,
};
use super::outbox::{enqueue_if, refresh_embed_if, Check, Table, When};
use super::{num, upsert_user, Batch, Counted, ReturnedId, StoreError};
use crate::domain::buying::BuyFacts;
use crate::domain::jobs::Job;
use wasm_bindgen::JsValue;
use worker::D1Database;

/// ONE round trip: takes a place at the end of the line (unless the buyer has one, holds a
/// unit already, is over the drop's per-buyer limit, or may not buy: banned, the seller, the
/// drop gone), re-arms the embed (it shows the line's length), and reads back the facts a
/// Buy click would (`ahead` + 1 is the place). A buyer whose offer passed joins again at the
/// end; one place per buyer (the primary key).
pub async fn join(
    db: &D1Database,
    listing: &str,
    buyer: &str,
    username: &str,
    now_ms: f64,
) -> Result<BuyFacts, StoreError> {
    let now = num(now_ms);
    let user = upsert_user(db, buyer, username, &now)?;
    let insert = db
        .prepare(format!(
            "INSERT INTO waitlist (listing_id, buyer_id, status, joined_at, updated_at)
             SELECT l.id, u.discord_id, 'waiting', ?3, ?3 FROM listings l, users u
             WHERE l.id = ?1 AND u.discord_id = ?2 AND l.status = 'live' AND u.is_banned = 0
               AND l.seller_id <> ?2 AND (l.per_buyer IS NULL OR {bought} < l.per_buyer)
               AND (l.raffle_closes_at IS NULL OR l.raffle_drawn_at IS NOT NULL)
               AND NOT EXISTS (SELECT 1 FROM reservations r WHERE r.listing_id = ?1 AND r.buyer_id = ?2
                 AND r.status = 'held' AND r.expires_at > ?3)
             ON CONFLICT (listing_id, buyer_id) DO UPDATE SET status = 'waiting', hold_id = NULL,
               joined_at = excluded.joined_at, updated_at = excluded.updated_at
             WHERE waitlist.status = 'offered' AND NOT EXISTS (SELECT 1 FROM reservations r
               WHERE r.id = waitlist.hold_id AND r.status = 'held')",
            bought = bought_sql!(),
        ))
        .bind(&[listing.into(), buyer.into(), now.clone()])?;
    let mut batch = Batch::new();
    batch.add(user);
    batch.add(insert);
    batch.add(refresh_embed_if(
        db,
        listing,
        &When::Always,
        listing,
        now_ms,
    )?);
    let facts = batch.read::<FactsRow>(db.prepare(facts_sql()).bind(&[
        listing.into(),
        buyer.into(),
        now,
    ])?);
    let done = batch.run(db).await?;
    let row = done
        .first(&facts)?
        .ok_or_else(|| StoreError::Unexpected("buyer row missing after upsert".to_owned()))?;
    Ok(facts_from(row, buyer, None, now_ms).0)
}

/// Whom the line serves next: for each live drop with free units, its first waiting buyers,
/// as many as there are units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Turn {
    pub listing_id: String,
    pub buyer_id: String,
}

/// Places nobody can serve leave the line, so they never block it: a banned buyer, or one
/// who has reached the drop's per-buyer limit since joining. Then reads whose turn it is:
/// in `listing`'s line, or in every line (None).
pub async fn turns(
    db: &D1Database,
    limit: u32,
    listing: Option<&str>,
) -> Result<Vec<Turn>, StoreError> {
    let listing = listing.map_or(JsValue::NULL, JsValue::from);
    let mut batch = Batch::new();
    batch.add(
        db.prepare(
            "DELETE FROM waitlist AS w WHERE w.status = 'waiting' AND (?1 IS NULL OR w.listing_id = ?1) AND (
               EXISTS (SELECT 1 FROM users u WHERE u.discord_id = w.buyer_id AND u.is_banned = 1)
               OR EXISTS (SELECT 1 FROM listings l WHERE l.id = w.listing_id AND l.per_buyer IS NOT NULL
                 AND (SELECT COUNT(*) FROM orders o WHERE o.listing_id = l.id AND o.buyer_id = w.buyer_id
                   AND o.status NOT IN ('cancelled', 'refunded')) >= l.per_buyer))",
        )
        .bind(std::slice::from_ref(&listing))?,
    );
    // Read as one text per turn ("listing buyer": neither id has a space) into a row type the
    // module already has: each row type's decoder costs the module ~1 KiB.
    let turns = batch.read::<ReturnedId>(
        db.prepare(format!(
            "SELECT listing_id || ' ' || buyer_id AS id FROM (
               SELECT w.listing_id, w.buyer_id, l.stock,
                 ROW_NUMBER() OVER (PARTITION BY w.listing_id ORDER BY w.joined_at, w.buyer_id) AS place
               FROM waitlist w JOIN listings l ON l.id = w.listing_id
               WHERE w.status = 'waiting' AND l.status = 'live' AND l.stock > 0 AND {}
                 AND (?2 IS NULL OR w.listing_id = ?2))
             WHERE place <= stock ORDER BY listing_id, place LIMIT ?1",
            seller_can_sell!(),
        ))
        .bind(&[JsValue::from(limit), listing])?,
    );
    Ok(batch
        .run(db)
        .await?
        .rows(&turns)?
        .into_iter()
        .filter_map(ReturnedId::pair)
        .map(|(listing_id, buyer_id)| Turn {
            listing_id,
            buyer_id,
        })
        .collect())
}

/// A unit offered to the buyer whose turn it is.
pub struct Offer<'a> {
    pub listing: &'a str,
    pub buyer: &'a str,
    /// The hold's (and its order's) id.
    pub hold_id: &'a str,
    pub now_ms: f64,
    /// Until when the buyer may click Buy; their link's 30 minutes start at the click.
    pub expires_at_ms: f64,
}

/// ONE batch for every offer: each takes a unit only if the buyer still waits first in line
/// (`ahead_sql!`), the drop is live with a unit free and its seller may sell, and the buyer
/// may buy (not banned, within the limit, no open hold: the unique index); then the stock,
/// the place ('offered'), the buyer's DM and the embed, each only for a hold this batch took.
pub async fn offer(db: &D1Database, offers: &[Offer<'_>]) -> Result<(), StoreError> {
    let mut batch = Batch::new();
    for o in offers {
        let now = num(o.now_ms);
        let (listing, buyer, hold) = (
            JsValue::from(o.listing),
            JsValue::from(o.buyer),
            JsValue::from(o.hold_id),
        );
        batch.add(
            db.prepare(format!(
                "INSERT INTO reservations (id, listing_id, buyer_id, status, expires_at, created_at, updated_at, item_cents, shipping_cents)
                 SELECT ?3, l.id, u.discord_id, 'held', ?5, ?4, ?4, l.price_cents, l.shipping_cents
                 FROM listings l, users u
                 WHERE l.id = ?1 AND u.discord_id = ?2 AND l.status = 'live' AND l.stock > 0 AND u.is_banned = 0
                   AND {can_sell} AND (l.per_buyer IS NULL OR {bought} < l.per_buyer)
                   AND EXISTS (SELECT 1 FROM waitlist me WHERE me.listing_id = l.id AND me.buyer_id = ?2 AND me.status = 'waiting')
                   AND {ahead} = 0
                 ON CONFLICT DO NOTHING",
                can_sell = seller_can_sell!(),
                bought = bought_sql!(),
                ahead = ahead_sql!(),
            ))
            .bind(&[
                listing.clone(),
                buyer.clone(),
                hold.clone(),
                now.clone(),
                num(o.expires_at_ms),
            ])?,
        );
        let taken = "EXISTS (SELECT 1 FROM reservations WHERE id = ?2 AND listing_id = ?1 AND created_at = ?3 AND status = 'held')";
        batch.add(
            db.prepare(format!(
                "UPDATE listings SET stock = stock - 1, updated_at = ?3 WHERE id = ?1 AND {taken}"
            ))
            .bind(&[listing.clone(), hold.clone(), now.clone()])?,
        );
        batch.add(
            db.prepare(format!(
                "UPDATE waitlist SET status = 'offered', hold_id = ?2, updated_at = ?3
                 WHERE listing_id = ?1 AND buyer_id = ?4 AND status = 'waiting' AND {taken}"
            ))
            .bind(&[listing.clone(), hold.clone(), now.clone(), buyer.clone()])?,
        );
        let offered = When::row(
            Table::Reservations,
            vec![Check::Is("status", "held"), Check::Now("created_at")],
        );
        batch.add(enqueue_if(
            db,
            &Job::WaitlistOffer {
                hold: o.hold_id.to_owned(),
                buyer: o.buyer.to_owned(),
            },
            &format!("waitlist_offer:{}", o.hold_id),
            &offered,
            o.hold_id,
            o.now_ms,
        )?);
        batch.add(refresh_embed_if(
            db, o.listing, &offered, o.hold_id, o.now_ms,
        )?);
    }
    if batch.is_empty() {
        return Ok(());
    }
    batch.run(db).await?;
    Ok(())
}

/// What the offer's DM shows, read when it is delivered: None once the hold has ended
/// (paid, or lapsed) or has its Checkout, so a late delivery offers nothing. (The hold as
/// Checkout reads it: a row type the module already decodes.)
pub async fn offer_view(
    db: &D1Database,
    hold: &str,
    buyer: &str,
) -> Result<Option<HoldCheckout>, StoreError> {
    Ok(db
        .prepare(
            "SELECT r.id AS hold_id, r.listing_id, l.seller_id, l.title, NULL AS image_url,
               r.item_cents AS hold_item_cents, r.shipping_cents AS hold_shipping_cents,
               r.expires_at AS hold_expires_at
             FROM reservations r JOIN listings l ON l.id = r.listing_id
             WHERE r.id = ?1 AND r.buyer_id = ?2 AND r.status = 'held' AND r.checkout_session_id IS NULL",
        )
        .bind(&[hold.into(), buyer.into()])?
        .first::<HoldCheckout>(None)
        .counted()
        .await?)
}
