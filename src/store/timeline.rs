//! An order's timeline (`order_events`): what the buyer and builder read on the order page,
//! history only (never a key: exactly-once is the ledger's and the outbox's dedupe keys).
//! This is its one writer; every change writes its entry in the change's own batch.

/// One entry per order row the statement selects. Each field is an SQL expression over that
/// `orders` row (`status`, a bound parameter, a literal), so an entry can say "from whatever
/// the status was" and be written only where the change itself applies.
pub struct Entry<'a> {
    pub at: &'a str,
    pub from: &'a str,
    pub to: &'a str,
    pub actor: &'a str,
    pub detail: &'a str,
}

impl Entry<'_> {
    /// The INSERT for the orders matching `orders_where` (SQL over the `orders` table).
    pub fn sql(&self, orders_where: &str) -> String {
        let Entry {
            at,
            from,
            to,
            actor,
            detail,
        } = self;
        format!(
            "INSERT INTO order_events (order_id, at, from_status, to_status, actor, detail)
             SELECT id, {at}, {from}, {to}, {actor}, {detail} FROM orders WHERE {orders_where}"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_is_one_insert_over_the_orders_it_selects() {
        let sql = Entry {
            at: "?2",
            from: "status",
            to: "'shipped'",
            actor: "?3",
            detail: "'Shipped'",
        }
        .sql("id = ?1");
        assert!(sql.starts_with(
            "INSERT INTO order_events (order_id, at, from_status, to_status, actor, detail)"
        ));
        assert!(sql.ends_with(
            "SELECT id, ?2, status, 'shipped', ?3, 'Shipped' FROM orders WHERE id = ?1"
        ));
    }
}
