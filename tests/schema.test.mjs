// migrations/ (through the real `wrangler d1 migrations apply`) and schema.sql must produce
// the same schema; and the constraints must refuse what the product must never store.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { Miniflare } from "miniflare";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { applyMigrations, executeFile, d1PersistDir, ROOT } from "../dev/migrate.mjs";

const dbId = readFileSync(path.join(ROOT, "wrangler.toml"), "utf8").match(/database_id\s*=\s*"([^"]+)"/)[1];
const dirs = [];
const instances = [];
after(async () => {
  for (const mf of instances) await mf.dispose();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function openDb(persist) {
  const mf = new Miniflare({
    modules: true,
    script: "export default { fetch() { return new Response('') } }",
    compatibilityDate: "2026-04-26",
    d1Databases: { DB: dbId },
    d1Persist: d1PersistDir(persist),
  });
  instances.push(mf);
  return mf.getD1Database("DB");
}

async function schemaOf(db) {
  const { results } = await db
    .prepare(
      `SELECT type, name, tbl_name, sql FROM sqlite_master
       WHERE name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name <> 'd1_migrations'
       ORDER BY type, name`,
    )
    .all();
  // Whitespace and comments inside statements are not schema.
  return results.map((r) => ({
    ...r,
    sql: r.sql
      ?.replace(/--[^\n]*/g, "")
      .replace(/\s+/g, " ")
      .replace(/\s*([(),])\s*/g, "$1")
      .trim(),
  }));
}

function tempDir() {
  const d = mkdtempSync(path.join(tmpdir(), "c500-schema-"));
  dirs.push(d);
  return d;
}

test("migrations and schema.sql produce the same schema", async () => {
  const migrated = tempDir();
  const fromSchema = tempDir();
  applyMigrations(migrated);
  executeFile(path.join(ROOT, "schema.sql"), fromSchema);
  const a = await schemaOf(await openDb(migrated));
  const b = await schemaOf(await openDb(fromSchema));
  assert.ok(a.length >= 20, `expected the full schema, got ${a.length} objects`);
  assert.deepEqual(a, b);
  const tables = a.filter((o) => o.type === "table").map((o) => o.name);
  for (const t of ["users", "builders", "guild_settings", "listings", "reservations", "orders", "order_events", "processed_events", "vouches", "reports", "outbox", "admin_actions"]) {
    assert.ok(tables.includes(t), t);
  }
});

test("constraints refuse what must never be stored", async () => {
  const dir = tempDir();
  applyMigrations(dir);
  const db = await openDb(dir);
  const now = Date.now();
  await db.batch([
    db.prepare("INSERT INTO users (discord_id, created_at, updated_at) VALUES ('1', ?1, ?1), ('2', ?1, ?1)").bind(now),
    db.prepare("INSERT INTO builders (discord_id, handle, created_at, updated_at) VALUES ('1', 'keyz', ?1, ?1)").bind(now),
    db
      .prepare(
        `INSERT INTO listings (id, seller_id, kind, title, description, price_cents, quantity, stock, created_at, updated_at)
         VALUES ('D-1', '1', 'ready_to_ship', 'Board', 'Nice', 45000, 1, 1, ?1, ?1)`,
      )
      .bind(now),
  ]);
  const refused = async (name, sql, ...args) => {
    await assert.rejects(db.prepare(sql).bind(...args).run(), /constraint|CHECK|FOREIGN KEY|UNIQUE/i, name);
  };
  await refused("stock below zero", "UPDATE listings SET stock = stock - 2 WHERE id = 'D-1'");
  await refused("stock above quantity", "UPDATE listings SET stock = 5 WHERE id = 'D-1'");
  await refused("price below $0.50", "UPDATE listings SET price_cents = 49 WHERE id = 'D-1'");
  await refused("price above $10,000", "UPDATE listings SET price_cents = 1000001 WHERE id = 'D-1'");
  await refused("http image", "UPDATE listings SET image_url = 'http://x/y.jpg' WHERE id = 'D-1'");
  await refused("lead time on ready-to-ship", "UPDATE listings SET lead_time_weeks = 3 WHERE id = 'D-1'");
  await refused("listing by a non-builder", `INSERT INTO listings (id, seller_id, kind, title, description, price_cents, quantity, stock, created_at, updated_at)
     VALUES ('D-2', '2', 'ready_to_ship', 'X', 'Y', 100, 1, 1, 0, 0)`);
  const order = (fee, payout) =>
    db
      .prepare(
        `INSERT INTO orders (id, status_token, listing_id, buyer_id, seller_id, kind, status, item_cents, shipping_cents,
           gross_cents, fee_cents, payout_cents, paid_at, created_at, updated_at)
         VALUES ('C5-1', 'tok', 'D-1', '2', '1', 'ready_to_ship', 'paid', 45000, 1500, 46500, ?1, ?2, 0, 0, 0)`,
      )
      .bind(fee, payout)
      .run();
  await assert.rejects(order(4650, 41000), /CHECK/i, "fee + payout must equal gross");
  await order(4650, 41850);
  await refused("unknown order status", "UPDATE orders SET status = 'lost' WHERE id = 'C5-1'");
  await refused("unknown escrow state", "UPDATE orders SET escrow = 'gone' WHERE id = 'C5-1'");
  await db.prepare("INSERT INTO processed_events VALUES ('stripe', 'evt_1', 'x', 0)").run();
  await refused("an event applied twice", "INSERT INTO processed_events VALUES ('stripe', 'evt_1', 'x', 0)");
  await db.prepare("INSERT INTO reservations (id, listing_id, buyer_id, expires_at, created_at, updated_at) VALUES ('C5-2', 'D-1', '2', 0, 0, 0)").run();
  await refused("two open holds for one buyer and listing", "INSERT INTO reservations (id, listing_id, buyer_id, expires_at, created_at, updated_at) VALUES ('C5-3', 'D-1', '2', 0, 0, 0)");
  await refused("vouching for yourself", "INSERT INTO vouches VALUES ('1', '1', 0)");
});

test("migration 0007 splits waiting two-effect outbox jobs into one job per effect", async () => {
  const dir = tempDir();
  applyMigrations(dir);
  const db = await openDb(dir);
  await db.batch([
    db.prepare("INSERT INTO users (discord_id, created_at, updated_at) VALUES ('1', 0, 0), ('2', 0, 0)"),
    db.prepare("INSERT INTO builders (discord_id, handle, created_at, updated_at) VALUES ('1', 'keyz', 0, 0)"),
    db.prepare(
      `INSERT INTO listings (id, seller_id, kind, title, description, price_cents, quantity, stock, created_at, updated_at)
       VALUES ('D-1', '1', 'ready_to_ship', 'Board', 'Nice', 45000, 1, 1, 0, 0)`,
    ),
    db.prepare(
      `INSERT INTO orders (id, status_token, listing_id, buyer_id, seller_id, kind, status, item_cents, shipping_cents,
         gross_cents, fee_cents, payout_cents, paid_at, created_at, updated_at, payment_intent_id)
       VALUES ('C5-1', 'tok', 'D-1', '2', '1', 'ready_to_ship', 'refunded', 45000, 1500, 46500, 4650, 41850, 0, 0, 0, 'pi_1')`,
    ),
    // Jobs as the old code wrote them: two waiting, one already delivered.
    db.prepare(
      `INSERT INTO outbox (dedupe_key, job, status, attempts, next_attempt_at, created_at, updated_at) VALUES
         ('overdue:C5-1', '{"kind":"overdue","order":"C5-1"}', 'pending', 2, 5, 1, 1),
         ('refunded:pi_1', '{"kind":"refunded_by_payment_intent","payment_intent":"pi_1"}', 'pending', 0, 7, 2, 2),
         ('overdue:C5-9', '{"kind":"overdue","order":"C5-9"}', 'done', 1, 0, 0, 0)`,
    ),
  ]);
  executeFile(path.join(ROOT, "migrations/0007_one_effect_jobs.sql"), dir);
  const { results } = await db.prepare("SELECT dedupe_key, job, status, attempts, next_attempt_at FROM outbox ORDER BY dedupe_key").all();
  assert.deepEqual(
    results.map((r) => [r.dedupe_key, JSON.parse(r.job), r.status, r.attempts, r.next_attempt_at]),
    [
      ["embed:D-1:refunded:C5-1", { kind: "refresh_embed", listing: "D-1" }, "pending", 0, 7],
      ["overdue-hq:C5-1", { kind: "overdue_hq", order: "C5-1" }, "pending", 0, 5],
      ["overdue:C5-1", { kind: "overdue", order: "C5-1" }, "pending", 2, 5],
      ["overdue:C5-9", { kind: "overdue", order: "C5-9" }, "done", 1, 0],
      ["refunded:pi_1", { kind: "refunded_by_payment_intent", payment_intent: "pi_1" }, "pending", 0, 7],
    ],
  );
  // Applied twice, it adds nothing.
  executeFile(path.join(ROOT, "migrations/0007_one_effect_jobs.sql"), dir);
  const { results: again } = await db.prepare("SELECT COUNT(*) AS n FROM outbox").all();
  assert.equal(again[0].n, 5);
});

test("migration 0011 rewrites outbox jobs to their new encoding, once", async () => {
  const dir = tempDir();
  applyMigrations(dir);
  const db = await openDb(dir);
  await db.prepare(
    `INSERT INTO outbox (dedupe_key, job, status, attempts, next_attempt_at, created_at, updated_at) VALUES
       ('overdue:C5-1', '{"kind":"overdue","order":"C5-1"}', 'pending', 2, 5, 1, 1),
       ('role:1', '{"kind":"set_role","guild":"1","user":"2","role":"3","give":false}', 'done', 1, 0, 0, 0),
       ('embed:D-1', '{"refresh_embed":{"listing":"D-1"}}', 'pending', 0, 7, 2, 2)`,
  ).run();
  const jobs = async () =>
    (await db.prepare("SELECT dedupe_key, job, status, attempts FROM outbox ORDER BY dedupe_key").all()).results.map((r) => [r.dedupe_key, JSON.parse(r.job), r.status, r.attempts]);
  const want = [
    ["embed:D-1", { refresh_embed: { listing: "D-1" } }, "pending", 0],
    ["overdue:C5-1", { overdue: { order: "C5-1" } }, "pending", 2],
    ["role:1", { set_role: { guild: "1", user: "2", role: "3", give: false } }, "done", 1],
  ];
  executeFile(path.join(ROOT, "migrations/0011_job_encoding.sql"), dir);
  assert.deepEqual(await jobs(), want);
  executeFile(path.join(ROOT, "migrations/0011_job_encoding.sql"), dir);
  assert.deepEqual(await jobs(), want, "applied twice, it changes nothing more");
});
