//! The escrow state machine: where an order's money is, who may move it, and what C500 must
//! do next. Pure: `step(facts, event)` is the one transition function; the store applies its
//! result with a compare-and-set on the order's `money_seq`, so of two racing movements
//! exactly one is claimed (docs/escrow.md draws the same table).
//!
//! The money itself is the ledger (`Movement`s: one per Stripe money object). The escrow
//! state is derived from it: a pending movement is a claim (Stripe is being called with a
//! key derived from the movement's id), and without one the sums say where the money is.

use super::money::{split, Cents};
use super::order::OrderStatus;

/// The escrow state of an order (the `orders.escrow` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Escrow {
    /// C500 holds the payment (perhaps partly refunded); nothing is moving.
    Held,
    /// A transfer to the builder is claimed and on its way.
    Releasing,
    /// The builder has been paid what is due to them.
    Released,
    /// A refund to the buyer is claimed and on its way.
    Refunding,
    /// Taking (part of) the builder's payout back is claimed and on its way.
    Reversing,
    /// Everything went back to the buyer; the builder was never paid.
    Refunded,
    /// Everything went back to the buyer and the builder's payout was taken back.
    Reversed,
    /// The buyer got money back after the payout, and Stripe refused to take the builder's
    /// share back (their balance is short): a debt on the builder's record until settled.
    Owed,
}

impl Escrow {
    pub const ALL: [Escrow; 8] = [
        Escrow::Held,
        Escrow::Releasing,
        Escrow::Released,
        Escrow::Refunding,
        Escrow::Reversing,
        Escrow::Refunded,
        Escrow::Reversed,
        Escrow::Owed,
    ];

    /// The stored literal (schema.sql's CHECK lists exactly these).
    pub fn as_str(self) -> &'static str {
        match self {
            Escrow::Held => "held",
            Escrow::Releasing => "releasing",
            Escrow::Released => "released",
            Escrow::Refunding => "refunding",
            Escrow::Reversing => "reversing",
            Escrow::Refunded => "refunded",
            Escrow::Reversed => "reversed",
            Escrow::Owed => "owed",
        }
    }

    pub fn parse(s: &str) -> Option<Escrow> {
        Escrow::ALL.into_iter().find(|e| e.as_str() == s)
    }

    /// In words for buyers and builders. Stripe is not an escrow service: C500 holds it.
    pub fn label(self) -> &'static str {
        match self {
            Escrow::Held => "Held by C500",
            Escrow::Releasing => "Being paid out to the builder",
            Escrow::Released => "Paid out to the builder",
            Escrow::Refunding | Escrow::Reversing => "Refund on its way",
            Escrow::Refunded => "Refunded",
            Escrow::Reversed => "Refunded (the builder's payout was taken back)",
            Escrow::Owed => "Refunded; the builder owes C500 their share",
        }
    }
}

/// What kind of Stripe money object a ledger row stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MoveKind {
    /// The buyer's payment (money in).
    Charge,
    /// Money back to the buyer.
    Refund,
    /// The builder's payout (C500's platform account → their connected account).
    Transfer,
    /// A payout taken back from the builder.
    Reversal,
    /// A payment dispute: the amount the bank took (succeeded = lost, failed = won).
    Dispute,
}

/// Which way a movement takes money, seen from C500's platform account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    In,
    Out,
}

impl MoveKind {
    pub const ALL: [MoveKind; 5] = [
        MoveKind::Charge,
        MoveKind::Refund,
        MoveKind::Transfer,
        MoveKind::Reversal,
        MoveKind::Dispute,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MoveKind::Charge => "charge",
            MoveKind::Refund => "refund",
            MoveKind::Transfer => "transfer",
            MoveKind::Reversal => "reversal",
            MoveKind::Dispute => "dispute",
        }
    }

    pub fn parse(s: &str) -> Option<MoveKind> {
        MoveKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn direction(self) -> Direction {
        match self {
            MoveKind::Charge | MoveKind::Reversal => Direction::In,
            MoveKind::Refund | MoveKind::Transfer | MoveKind::Dispute => Direction::Out,
        }
    }
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::In => "in",
            Direction::Out => "out",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MoveStatus {
    /// Claimed and not yet answered (ours), or still open (a dispute).
    Pending,
    /// The money moved (a dispute: lost).
    Succeeded,
    /// The money did not move and never will under this row (a dispute: won).
    Failed,
}

impl MoveStatus {
    pub const ALL: [MoveStatus; 3] = [
        MoveStatus::Pending,
        MoveStatus::Succeeded,
        MoveStatus::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MoveStatus::Pending => "pending",
            MoveStatus::Succeeded => "succeeded",
            MoveStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<MoveStatus> {
        MoveStatus::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One ledger row.
#[derive(Debug, Clone, PartialEq)]
pub struct Movement {
    /// Ours: `{kind}-{order}` (then `-2`, `-3`…), the Idempotency-Key's body. Reported by
    /// Stripe (a Dashboard refund, a dispute): `stripe-{id}`.
    pub id: String,
    pub kind: MoveKind,
    pub status: MoveStatus,
    pub amount: Cents,
    pub stripe_id: Option<String>,
    /// What a reversal takes back from (a transfer's Stripe id).
    pub target: Option<String>,
    /// When the row last changed (ms): how long a claim has waited for Stripe's answer.
    pub at_ms: f64,
}

/// An order's money, as the ledger and the order row say.
#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    pub order_id: String,
    pub status: OrderStatus,
    pub escrow: Escrow,
    pub gross: Cents,
    /// The builder's Stripe account can take a payout now (payouts enabled, not banned).
    pub payouts_allowed: bool,
    /// HQ took this order's loss on C500: no reversal is asked of the builder.
    pub absorbed: bool,
    /// Oldest first.
    pub moves: Vec<Movement>,
}

impl Facts {
    fn total(&self, kind: MoveKind, status: MoveStatus) -> i64 {
        self.moves
            .iter()
            .filter(|m| m.kind == kind && m.status == status)
            .map(|m| m.amount.get())
            .sum()
    }

    /// Refunded to the buyer (by anyone).
    pub fn refunded(&self) -> Cents {
        Cents::new(self.total(MoveKind::Refund, MoveStatus::Succeeded))
    }

    /// Taken by the buyer's bank in lost disputes.
    pub fn lost(&self) -> Cents {
        Cents::new(self.total(MoveKind::Dispute, MoveStatus::Succeeded))
    }

    /// What the sale is still worth: the gross less refunds and lost disputes.
    pub fn kept(&self) -> Cents {
        Cents::new((self.gross.get() - self.refunded().get() - self.lost().get()).max(0))
    }

    pub fn transferred(&self) -> Cents {
        Cents::new(self.total(MoveKind::Transfer, MoveStatus::Succeeded))
    }

    pub fn reversed(&self) -> Cents {
        Cents::new(self.total(MoveKind::Reversal, MoveStatus::Succeeded))
    }

    /// What the builder holds of this order now.
    pub fn net_transfer(&self) -> Cents {
        Cents::new(self.transferred().get() - self.reversed().get())
    }

    /// The builder's share of what was kept: kept − C500's fee on it.
    pub fn payout_due(&self) -> Cents {
        let kept = self.kept();
        if kept.get() == 0 {
            Cents::ZERO
        } else {
            split(kept).payout
        }
    }

    /// Paid to the builder beyond their share (after a refund or a lost dispute).
    pub fn overpaid(&self) -> Cents {
        Cents::new((self.net_transfer().get() - self.payout_due().get()).max(0))
    }

    pub fn dispute_open(&self) -> bool {
        self.moves
            .iter()
            .any(|m| m.kind == MoveKind::Dispute && m.status == MoveStatus::Pending)
    }

    /// A claimed movement not yet answered (disputes are not C500's to answer).
    pub fn in_flight(&self) -> Option<&Movement> {
        self.moves
            .iter()
            .find(|m| m.kind != MoveKind::Dispute && m.status == MoveStatus::Pending)
    }

    /// The last reversal failed and no refund or lost dispute came after it: the debt is
    /// recorded already, and asking again would only be refused again (cron's `Collect`
    /// asks once a day).
    fn reversal_refused_last(&self) -> bool {
        let last_fact = self.moves.iter().rposition(|m| {
            m.status == MoveStatus::Succeeded
                && matches!(m.kind, MoveKind::Refund | MoveKind::Dispute)
        });
        let last_refusal = self
            .moves
            .iter()
            .rposition(|m| m.kind == MoveKind::Reversal && m.status == MoveStatus::Failed);
        match (last_refusal, last_fact) {
            (Some(r), Some(f)) => r > f,
            (Some(_), None) => true,
            _ => false,
        }
    }
}

/// Who asks for a refund.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    Builder,
    Hq,
    /// C500 itself (a payment that arrived after its unit was gone).
    C500,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// The builder shipped (or cron retries a payout that could not start): pay what is due.
    Release,
    /// Refund the buyer everything C500 still holds for them (the builder's payout, if it
    /// went out, is taken back first).
    Refund(Actor),
    /// HQ takes the order's loss on C500: a debt is forgiven, a dispute that is lost later
    /// costs the builder nothing.
    Absorb,
    /// Ask an owing builder's account again (cron, daily).
    Collect,
    /// Something was recorded (a Stripe call's answer, a refund or dispute Stripe reported):
    /// settle the state and claim what follows from it.
    Recompute,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Another money movement of this order is on its way.
    InFlight,
    /// A payment dispute is open: the bank decides, nothing moves.
    Disputed,
    /// Nothing is left to refund.
    NothingHeld,
    /// The builder was paid already: only HQ can refund now.
    PaidOut,
    /// Nothing is due to the builder (not shipped, paid already, or all refunded).
    NotDue,
    /// The builder's Stripe account cannot take payouts now: the payout waits.
    PayoutsPaused,
    /// No debt and no open dispute to absorb.
    NothingToAbsorb,
}

/// A movement to claim: inserted `pending` in the batch that wins the compare-and-set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub id: String,
    pub kind: MoveKind,
    pub amount: Cents,
    pub target: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub escrow: Escrow,
    pub status: OrderStatus,
    pub absorbed: bool,
    /// Claimed by this step, in the order they must be carried out.
    pub claims: Vec<Claim>,
    /// The builder now owes this (a reversal was refused): HQ gets a ticket.
    pub newly_owed: Option<Cents>,
}

impl Step {
    pub fn changes(&self, f: &Facts) -> bool {
        self.escrow != f.escrow
            || self.status != f.status
            || self.absorbed != f.absorbed
            || !self.claims.is_empty()
    }
}

/// The id of the next movement of `kind` C500 claims for the order: the first is
/// `{kind}-{order}` (so its Idempotency-Key is `c500-{kind}-{order}`), then `-2`, `-3`…
pub fn claim_id(f: &Facts, kind: MoveKind, taken: usize) -> String {
    let base = format!("{}-{}", kind.as_str(), f.order_id);
    let n = f
        .moves
        .iter()
        .filter(|m| m.id == base || m.id.starts_with(&format!("{base}-")))
        .count()
        + taken;
    if n == 0 {
        base
    } else {
        format!("{base}-{}", n + 1)
    }
}

/// Reversals taking `amount` back, newest transfer first.
fn reversal_claims(f: &Facts, amount: Cents, claims: &mut Vec<Claim>) {
    let mut left = amount.get();
    let transfers: Vec<&Movement> = f
        .moves
        .iter()
        .filter(|m| m.kind == MoveKind::Transfer && m.status == MoveStatus::Succeeded)
        .collect();
    for transfer in transfers.iter().rev() {
        if left <= 0 {
            break;
        }
        let Some(stripe_id) = &transfer.stripe_id else {
            continue;
        };
        let taken_back: i64 = f
            .moves
            .iter()
            .filter(|m| {
                m.kind == MoveKind::Reversal
                    && m.status == MoveStatus::Succeeded
                    && m.target.as_deref() == Some(stripe_id)
            })
            .map(|m| m.amount.get())
            .sum();
        let room = transfer.amount.get() - taken_back;
        let amount = left.min(room);
        if amount > 0 {
            let id = claim_id(f, MoveKind::Reversal, count(claims, MoveKind::Reversal));
            claims.push(Claim {
                id,
                kind: MoveKind::Reversal,
                amount: Cents::new(amount),
                target: Some(stripe_id.clone()),
            });
            left -= amount;
        }
    }
}

fn count(claims: &[Claim], kind: MoveKind) -> usize {
    claims.iter().filter(|c| c.kind == kind).count()
}

fn claim(f: &Facts, claims: &mut Vec<Claim>, kind: MoveKind, amount: Cents) {
    let id = claim_id(f, kind, count(claims, kind));
    claims.push(Claim {
        id,
        kind,
        amount,
        target: None,
    });
}

/// Where the money is once `pending` are claimed (and nothing else is on its way).
fn settle(f: &Facts, pending: &[Claim], absorbed: bool) -> Escrow {
    let is_pending = |kind: MoveKind| {
        pending.iter().any(|c| c.kind == kind)
            || f.moves
                .iter()
                .any(|m| m.kind == kind && m.status == MoveStatus::Pending)
    };
    if is_pending(MoveKind::Reversal) {
        return Escrow::Reversing;
    }
    if is_pending(MoveKind::Refund) {
        return Escrow::Refunding;
    }
    if is_pending(MoveKind::Transfer) {
        return Escrow::Releasing;
    }
    let net = f.net_transfer().get();
    if f.overpaid().get() > 0 && !absorbed {
        Escrow::Owed
    } else if f.kept().get() == 0 {
        if net > 0 {
            // HQ absorbed the loss: the builder keeps their payout.
            Escrow::Released
        } else if f.transferred().get() > 0 {
            Escrow::Reversed
        } else {
            Escrow::Refunded
        }
    } else if net > 0 {
        Escrow::Released
    } else {
        Escrow::Held
    }
}

/// THE transition: what `event` does to an order whose money is `f`.
pub fn step(f: &Facts, event: Event) -> Result<Step, Refusal> {
    let mut claims = Vec::new();
    let mut absorbed = f.absorbed;
    let busy = f.in_flight().is_some();
    let disputed = f.dispute_open() || f.status == OrderStatus::Disputed;
    match event {
        Event::Release => {
            if busy {
                return Err(Refusal::InFlight);
            }
            if disputed {
                return Err(Refusal::Disputed);
            }
            let due = f.payout_due().get() - f.net_transfer().get();
            if !matches!(f.status, OrderStatus::Shipped | OrderStatus::Completed) || due <= 0 {
                return Err(Refusal::NotDue);
            }
            if !f.payouts_allowed {
                return Err(Refusal::PayoutsPaused);
            }
            claim(f, &mut claims, MoveKind::Transfer, Cents::new(due));
        }
        Event::Refund(actor) => {
            if busy {
                return Err(Refusal::InFlight);
            }
            if disputed {
                return Err(Refusal::Disputed);
            }
            let kept = f.kept();
            if kept.get() == 0 {
                return Err(Refusal::NothingHeld);
            }
            let net = f.net_transfer();
            if net.get() > 0 {
                if actor == Actor::Builder {
                    return Err(Refusal::PaidOut);
                }
                // Take the payout back before the refund leaves C500's balance.
                reversal_claims(f, net, &mut claims);
            }
            claim(f, &mut claims, MoveKind::Refund, kept);
        }
        Event::Absorb => {
            if busy {
                return Err(Refusal::InFlight);
            }
            if absorbed || !(f.overpaid().get() > 0 || f.dispute_open()) {
                return Err(Refusal::NothingToAbsorb);
            }
            absorbed = true;
        }
        Event::Collect => {
            if busy {
                return Err(Refusal::InFlight);
            }
            if absorbed || f.overpaid().get() == 0 {
                return Err(Refusal::NothingHeld);
            }
            reversal_claims(f, f.overpaid(), &mut claims);
        }
        Event::Recompute => {
            // A refund or a lost dispute after the payout: the builder's share of it comes
            // back (the builder bears refunds and lost disputes unless HQ absorbs them).
            let overpaid = f.overpaid();
            if !busy
                && !f.dispute_open()
                && !absorbed
                && overpaid.get() > 0
                && !f.reversal_refused_last()
            {
                reversal_claims(f, overpaid, &mut claims);
            }
        }
    }
    let escrow = settle(f, &claims, absorbed);
    let status = if f.kept().get() == 0
        && !matches!(f.status, OrderStatus::Refunded | OrderStatus::Cancelled)
    {
        OrderStatus::Refunded
    } else {
        f.status
    };
    let newly_owed = (escrow == Escrow::Owed && f.escrow != Escrow::Owed).then(|| f.overpaid());
    Ok(Step {
        escrow,
        status,
        absorbed,
        claims,
        newly_owed,
    })
}

/// The ledger's invariant for one order: refunds + lost disputes + transfers − reversals
/// never exceed the charge, except by what an owing builder has been asked for.
pub fn within_charge(f: &Facts) -> bool {
    let out = f.refunded().get() + f.lost().get() + f.net_transfer().get();
    let owed = if f.escrow == Escrow::Owed || f.absorbed {
        f.overpaid().get()
    } else {
        0
    };
    out - owed <= f.gross.get()
}

#[cfg(test)]
mod tests {
    use super::*;

    const GROSS: i64 = 11_000; // $110: payout $99, fee $11

    fn mv(id: &str, kind: MoveKind, status: MoveStatus, amount: i64) -> Movement {
        Movement {
            id: id.into(),
            kind,
            status,
            amount: Cents::new(amount),
            stripe_id: (status == MoveStatus::Succeeded).then(|| format!("st_{id}")),
            target: (kind == MoveKind::Reversal).then(|| "st_transfer-C5-1".to_owned()),
            at_ms: 0.0,
        }
    }

    fn facts(status: OrderStatus, escrow: Escrow, moves: Vec<Movement>) -> Facts {
        let mut all = vec![mv(
            "charge-C5-1",
            MoveKind::Charge,
            MoveStatus::Succeeded,
            GROSS,
        )];
        all.extend(moves);
        Facts {
            order_id: "C5-1".into(),
            status,
            escrow,
            gross: Cents::new(GROSS),
            payouts_allowed: true,
            absorbed: false,
            moves: all,
        }
    }

    use MoveKind::{Dispute, Refund, Reversal, Transfer};
    use MoveStatus::{Failed, Pending, Succeeded};
    use OrderStatus::{Paid, Shipped};

    /// One order in each escrow state, as the ledger makes it.
    fn in_state(e: Escrow) -> Facts {
        let t = || mv("transfer-C5-1", Transfer, Succeeded, 9_900);
        match e {
            Escrow::Held => facts(Shipped, e, vec![]),
            Escrow::Releasing => facts(
                Shipped,
                e,
                vec![mv("transfer-C5-1", Transfer, Pending, 9_900)],
            ),
            Escrow::Released => facts(Shipped, e, vec![t()]),
            Escrow::Refunding => facts(Paid, e, vec![mv("refund-C5-1", Refund, Pending, GROSS)]),
            Escrow::Reversing => facts(
                Shipped,
                e,
                vec![
                    t(),
                    mv("reversal-C5-1", Reversal, Pending, 9_900),
                    mv("refund-C5-1", Refund, Pending, GROSS),
                ],
            ),
            Escrow::Refunded => facts(
                OrderStatus::Refunded,
                e,
                vec![mv("refund-C5-1", Refund, Succeeded, GROSS)],
            ),
            Escrow::Reversed => facts(
                OrderStatus::Refunded,
                e,
                vec![
                    t(),
                    mv("reversal-C5-1", Reversal, Succeeded, 9_900),
                    mv("refund-C5-1", Refund, Succeeded, GROSS),
                ],
            ),
            Escrow::Owed => facts(
                OrderStatus::Refunded,
                e,
                vec![
                    t(),
                    mv("stripe-re_1", Refund, Succeeded, GROSS),
                    mv("reversal-C5-1", Reversal, Failed, 9_900),
                ],
            ),
        }
    }

    fn ids(s: &Step) -> Vec<(MoveKind, i64)> {
        s.claims.iter().map(|c| (c.kind, c.amount.get())).collect()
    }

    #[test]
    fn every_state_derives_back_to_itself() {
        for e in Escrow::ALL {
            let f = in_state(e);
            assert_eq!(step(&f, Event::Recompute).map(|s| s.escrow), Ok(e), "{e:?}");
            assert!(within_charge(&f), "{e:?}");
            assert_eq!(Escrow::parse(e.as_str()), Some(e));
        }
    }

    /// The whole table: every state × every event → the next state and what is claimed.
    #[test]
    fn the_whole_transition_table() {
        use Escrow as E;
        use Refusal as R;
        type Row = (
            Escrow,
            Event,
            Result<(Escrow, Vec<(MoveKind, i64)>), Refusal>,
        );
        let hq = Event::Refund(Actor::Hq);
        let builder = Event::Refund(Actor::Builder);
        let table: Vec<Row> = vec![
            (
                E::Held,
                Event::Release,
                Ok((E::Releasing, vec![(Transfer, 9_900)])),
            ),
            (E::Held, builder, Ok((E::Refunding, vec![(Refund, GROSS)]))),
            (E::Held, hq, Ok((E::Refunding, vec![(Refund, GROSS)]))),
            (E::Held, Event::Absorb, Err(R::NothingToAbsorb)),
            (E::Held, Event::Collect, Err(R::NothingHeld)),
            (E::Held, Event::Recompute, Ok((E::Held, vec![]))),
            (E::Releasing, Event::Release, Err(R::InFlight)),
            (E::Releasing, builder, Err(R::InFlight)),
            (E::Releasing, hq, Err(R::InFlight)),
            (E::Releasing, Event::Absorb, Err(R::InFlight)),
            (E::Releasing, Event::Collect, Err(R::InFlight)),
            (E::Releasing, Event::Recompute, Ok((E::Releasing, vec![]))),
            (E::Released, Event::Release, Err(R::NotDue)),
            (E::Released, builder, Err(R::PaidOut)),
            (
                E::Released,
                hq,
                Ok((E::Reversing, vec![(Reversal, 9_900), (Refund, GROSS)])),
            ),
            (E::Released, Event::Absorb, Err(R::NothingToAbsorb)),
            (E::Released, Event::Collect, Err(R::NothingHeld)),
            (E::Released, Event::Recompute, Ok((E::Released, vec![]))),
            (E::Refunding, Event::Release, Err(R::InFlight)),
            (E::Refunding, builder, Err(R::InFlight)),
            (E::Refunding, hq, Err(R::InFlight)),
            (E::Refunding, Event::Absorb, Err(R::InFlight)),
            (E::Refunding, Event::Collect, Err(R::InFlight)),
            (E::Refunding, Event::Recompute, Ok((E::Refunding, vec![]))),
            (E::Reversing, Event::Release, Err(R::InFlight)),
            (E::Reversing, builder, Err(R::InFlight)),
            (E::Reversing, hq, Err(R::InFlight)),
            (E::Reversing, Event::Absorb, Err(R::InFlight)),
            (E::Reversing, Event::Collect, Err(R::InFlight)),
            (E::Reversing, Event::Recompute, Ok((E::Reversing, vec![]))),
            (E::Refunded, Event::Release, Err(R::NotDue)),
            (E::Refunded, builder, Err(R::NothingHeld)),
            (E::Refunded, hq, Err(R::NothingHeld)),
            (E::Refunded, Event::Absorb, Err(R::NothingToAbsorb)),
            (E::Refunded, Event::Collect, Err(R::NothingHeld)),
            (E::Refunded, Event::Recompute, Ok((E::Refunded, vec![]))),
            (E::Reversed, Event::Release, Err(R::NotDue)),
            (E::Reversed, builder, Err(R::NothingHeld)),
            (E::Reversed, hq, Err(R::NothingHeld)),
            (E::Reversed, Event::Absorb, Err(R::NothingToAbsorb)),
            (E::Reversed, Event::Collect, Err(R::NothingHeld)),
            (E::Reversed, Event::Recompute, Ok((E::Reversed, vec![]))),
            (E::Owed, Event::Release, Err(R::NotDue)),
            (E::Owed, builder, Err(R::NothingHeld)),
            (E::Owed, hq, Err(R::NothingHeld)),
            (E::Owed, Event::Absorb, Ok((E::Released, vec![]))),
            (
                E::Owed,
                Event::Collect,
                Ok((E::Reversing, vec![(Reversal, 9_900)])),
            ),
            (E::Owed, Event::Recompute, Ok((E::Owed, vec![]))),
        ];
        assert_eq!(
            table.len(),
            Escrow::ALL.len() * 6,
            "every state × every event"
        );
        for (state, event, want) in table {
            let got = step(&in_state(state), event).map(|s| (s.escrow, ids(&s)));
            assert_eq!(got, want, "{state:?} × {event:?}");
        }
    }

    #[test]
    fn claims_are_keyed_by_the_order_and_numbered_after_the_first() {
        let f = in_state(Escrow::Held);
        let s = step(&f, Event::Release).unwrap();
        assert_eq!(s.claims[0].id, "transfer-C5-1");
        let mut again = f.clone();
        again
            .moves
            .push(mv("transfer-C5-1", Transfer, Failed, 9_900));
        assert_eq!(
            step(&again, Event::Release).unwrap().claims[0].id,
            "transfer-C5-1-2"
        );
        let r = step(&in_state(Escrow::Released), Event::Refund(Actor::Hq)).unwrap();
        assert_eq!(r.claims[0].id, "reversal-C5-1");
        assert_eq!(r.claims[0].target.as_deref(), Some("st_transfer-C5-1"));
        assert_eq!(r.claims[1].id, "refund-C5-1");
    }

    #[test]
    fn a_partial_refund_before_release_lowers_the_payout() {
        // $30 of $110 refunded: kept $80, fee $8, payout $72.
        let f = facts(
            Shipped,
            Escrow::Held,
            vec![mv("stripe-re_1", Refund, Succeeded, 3_000)],
        );
        assert_eq!(
            ids(&step(&f, Event::Release).unwrap()),
            vec![(Transfer, 7_200)]
        );
    }

    #[test]
    fn a_refund_after_release_takes_the_matching_share_back() {
        let t = mv("transfer-C5-1", Transfer, Succeeded, 9_900);
        // Partial, $30: the builder keeps $72 of $99, so $27 comes back.
        let f = facts(
            Shipped,
            Escrow::Released,
            vec![t.clone(), mv("stripe-re_1", Refund, Succeeded, 3_000)],
        );
        let s = step(&f, Event::Recompute).unwrap();
        assert_eq!(
            (s.escrow, ids(&s)),
            (Escrow::Reversing, vec![(Reversal, 2_700)])
        );
        assert_eq!(s.status, Shipped);
        // Full, from the Dashboard: everything comes back and the order is refunded.
        let f = facts(
            Shipped,
            Escrow::Released,
            vec![t.clone(), mv("stripe-re_1", Refund, Succeeded, GROSS)],
        );
        let s = step(&f, Event::Recompute).unwrap();
        assert_eq!(
            (s.escrow, s.status, ids(&s)),
            (
                Escrow::Reversing,
                OrderStatus::Refunded,
                vec![(Reversal, 9_900)]
            )
        );
        // A lost dispute after release: the builder bears it…
        let lost = mv("stripe-dp_1", Dispute, Succeeded, GROSS);
        let f = facts(
            OrderStatus::Disputed,
            Escrow::Released,
            vec![t.clone(), lost.clone()],
        );
        let s = step(&f, Event::Recompute).unwrap();
        assert_eq!(ids(&s), vec![(Reversal, 9_900)]);
        // …unless HQ absorbed it while the dispute was open.
        let open = facts(
            OrderStatus::Disputed,
            Escrow::Released,
            vec![t.clone(), mv("stripe-dp_1", Dispute, Pending, GROSS)],
        );
        let a = step(&open, Event::Absorb).unwrap();
        assert!(a.absorbed && a.claims.is_empty());
        let mut closed = open.clone();
        closed.absorbed = true;
        closed.moves[2] = lost;
        let s = step(&closed, Event::Recompute).unwrap();
        assert_eq!((s.escrow, ids(&s)), (Escrow::Released, vec![]));
        assert!(within_charge(&closed));
    }

    #[test]
    fn a_refused_reversal_is_a_debt_told_once_and_asked_again_only_by_collect() {
        let t = mv("transfer-C5-1", Transfer, Succeeded, 9_900);
        let f = facts(
            OrderStatus::Refunded,
            Escrow::Reversing,
            vec![
                t,
                mv("stripe-re_1", Refund, Succeeded, GROSS),
                mv("reversal-C5-1", Reversal, Failed, 9_900),
            ],
        );
        let s = step(&f, Event::Recompute).unwrap();
        assert_eq!(
            (s.escrow, s.newly_owed, ids(&s)),
            (Escrow::Owed, Some(Cents::new(9_900)), vec![])
        );
        let mut owed = f.clone();
        owed.escrow = Escrow::Owed;
        assert_eq!(step(&owed, Event::Recompute).unwrap().newly_owed, None);
        let c = step(&owed, Event::Collect).unwrap();
        assert_eq!(c.claims[0].id, "reversal-C5-1-2");
        assert!(within_charge(&owed));
    }

    #[test]
    fn nothing_moves_while_a_dispute_is_open() {
        let f = facts(
            OrderStatus::Disputed,
            Escrow::Held,
            vec![mv("stripe-dp_1", Dispute, Pending, GROSS)],
        );
        assert_eq!(step(&f, Event::Release), Err(Refusal::Disputed));
        assert_eq!(step(&f, Event::Refund(Actor::Hq)), Err(Refusal::Disputed));
        let won = facts(
            Shipped,
            Escrow::Held,
            vec![mv("stripe-dp_1", Dispute, Failed, GROSS)],
        );
        assert!(
            step(&won, Event::Release).is_ok(),
            "a won dispute releases again"
        );
    }

    #[test]
    fn payouts_wait_for_an_enabled_account() {
        let mut f = in_state(Escrow::Held);
        f.payouts_allowed = false;
        assert_eq!(step(&f, Event::Release), Err(Refusal::PayoutsPaused));
        let mut paid = in_state(Escrow::Held);
        paid.status = Paid;
        assert_eq!(
            step(&paid, Event::Release),
            Err(Refusal::NotDue),
            "not shipped yet"
        );
    }

    #[test]
    fn fee_and_payout_of_what_was_kept_never_exceed_it() {
        for refunded in (0..=GROSS).step_by(7) {
            let f = facts(
                Shipped,
                Escrow::Held,
                vec![mv("stripe-re", Refund, Succeeded, refunded)],
            );
            let kept = GROSS - refunded;
            assert!(f.payout_due().get() <= kept);
            assert!(within_charge(&f));
        }
    }

    #[test]
    fn stored_literals_round_trip() {
        for k in MoveKind::ALL {
            assert_eq!(MoveKind::parse(k.as_str()), Some(k));
        }
        for s in MoveStatus::ALL {
            assert_eq!(MoveStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(Escrow::parse("weird"), None);
    }
}
