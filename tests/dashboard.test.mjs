// /c500 dashboard on the real runtime: exact sums from D1.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startWorker, slashCommand } from "./harness.mjs";
import { validateInteractionResponse } from "../dev/discord-spec.mjs";

const SELLER = "2100000000000000001";
const OTHER = "2100000000000000002";
const BUYER = "2100000000000000003";
let w;
before(async () => {
  w = await startWorker();
  const db = w.db;
  const stmts = [
    db.prepare("INSERT INTO users (discord_id, username, created_at, updated_at) VALUES (?1, 'a', 0, 0), (?2, 'b', 0, 0), (?3, 'c', 0, 0)").bind(SELLER, OTHER, BUYER),
    db.prepare("INSERT INTO builders (discord_id, handle, approved, created_at, updated_at) VALUES (?1, 'seller-a', 1, 0, 0), (?2, 'seller-b', 1, 0, 0)").bind(SELLER, OTHER),
  ];
  const listing = (id, seller, stock, status = "live") =>
    db
      .prepare(`INSERT INTO listings (id, seller_id, kind, title, description, price_cents, quantity, stock, status, created_at, updated_at)
                VALUES (?1, ?2, 'ready_to_ship', 'Board', 'Nice', 45000, 5, ?3, ?4, 0, 0)`)
      .bind(id, seller, stock, status);
  stmts.push(listing("D-DASH0001", SELLER, 2), listing("D-DASH0002", SELLER, 0), listing("D-DASH0003", SELLER, 3, "delisted"), listing("D-DASH0004", OTHER, 5));
  let n = 0;
  const order = (seller, listingId, status, escrow, gross) => {
    n += 1;
    const fee = Math.floor((gross * 10 + 50) / 100);
    return db
      .prepare(`INSERT INTO orders (id, status_token, listing_id, buyer_id, seller_id, kind, status, escrow, item_cents, shipping_cents,
                  gross_cents, fee_cents, payout_cents, paid_at, created_at, updated_at)
                VALUES (?1, ?2, ?3, ?4, ?5, 'ready_to_ship', ?6, ?7, ?8, 0, ?8, ?9, ?10, 0, 0, 0)`)
      .bind(`C5-DASH0${n}`, `tok${n}`, listingId, BUYER, seller, status, escrow, gross, fee, gross - fee);
  };
  // A released payout is a transfer in the ledger (the dashboard sums the ledger).
  const transfer = (orderN, amount) =>
    db.prepare(`INSERT INTO ledger (id, order_id, kind, direction, amount_cents, status, stripe_id, actor, created_at, updated_at)
                VALUES ('transfer-C5-DASH0' || ?1, 'C5-DASH0' || ?1, 'transfer', 'out', ?2, 'succeeded', 'tr_dash' || ?1, 'c500', 0, 0)`).bind(String(orderN), amount);
  stmts.push(
    order(SELLER, "D-DASH0001", "paid", "held", 45000), // payout 40500
    order(SELLER, "D-DASH0001", "building", "held", 12345), // fee 1235, payout 11110
    order(SELLER, "D-DASH0002", "shipped", "released", 46500), // payout 41850
    order(SELLER, "D-DASH0002", "refunded", "refunded", 10000),
    order(OTHER, "D-DASH0004", "paid", "held", 99999),
    // A payment being refunded (too late for its unit, or refused): never the builder's.
    order(SELLER, "D-DASH0001", "cancelled", "held", 30000),
    transfer(3, 41850),
  );
  await db.batch(stmts);
});
after(async () => {
  await w?.close();
});

async function dashboard(userId) {
  const res = await w.interact(slashCommand(["dashboard"], { userId }));
  const body = await res.json();
  assert.ok(validateInteractionResponse(body).ok);
  assert.equal(body.data.flags, 64);
  return body.data.embeds[0];
}

test("the dashboard shows exact counts and sums for this builder only", async () => {
  const e = await dashboard(SELLER);
  assert.equal(e.title, "☁️ Your C500 Dashboard");
  const field = (name) => e.fields.find((f) => f.name.includes(name)).value;
  assert.equal(field("Active listings"), "1");
  assert.equal(field("Orders waiting"), "2");
  assert.equal(field("Held by C500"), "$516.10"); // 40,500 + 11,110 cents
  assert.equal(field("Released"), "$418.50");
});

test("someone without a shop is told how to start one", async () => {
  const e = await dashboard(BUYER);
  assert.match(e.title, /No shop yet/);
});
