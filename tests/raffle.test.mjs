// Raffle drops (issue 11.3) on the real runtime: Enter instead of Buy while open, one entry per
// account, the account-age, role and tier gates; at the close the cron draws from the committed seed, the
// winners get held units and a DM, an unpaid winner's unit passes to the next drawn entry; the
// draw record checks out with dev/verify-draw.mjs, an implementation independent of the Rust.
import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { startWorker, clickReply, makeSeller, postDrop, control, waitFor, runCron, slashCommand, dropForm, component, validReply, signIn, csrfOf, webPost } from "./harness.mjs";
import { verify, draw } from "../dev/verify-draw.mjs";

const SELLER = "2950000000000000001";
let w;
let n = 0;
// Snowflakes of accounts made in 2016 (well past any age gate).
const buyer = () => `1759288472991${String(++n).padStart(5, "0")}`;
/** A snowflake for an account created `days` ago. */
const youngAccount = (days) => String(((BigInt(Date.now() - days * 86_400_000) - 1420070400000n) << 22n) + BigInt(++n));

before(async () => {
  w = await startWorker();
  await makeSeller(w, SELLER);
});
after(async () => {
  await w?.close();
});
beforeEach(async () => {
  await control(w, "/reset");
  await control(w, "/stripe/auto-webhooks", { on: true });
});

const click = (customId, userId, options) => clickReply(w, customId, userId, options);
const text = (reply) => JSON.stringify(reply.embeds);
const sha256 = (s) => createHash("sha256").update(s).digest("hex");
const listing = (id) => w.db.prepare("SELECT * FROM listings WHERE id = ?1").bind(id).first();
const holdOf = (id, userId) => w.db.prepare("SELECT * FROM reservations WHERE listing_id = ?1 AND buyer_id = ?2 ORDER BY created_at DESC").bind(id, userId).first();
const dmTo = (userId) => w.standin.state.calls.find((c) => c.service === "discord" && c.method === "POST" && c.path === `/discord/api/v10/channels/dm${userId}/messages` && JSON.stringify(c.body).includes("Your turn"));

test("a raffle: enter while open, drawn from the committed seed, winners offered, an unpaid winner's unit passes on", async () => {
  const drop = await postDrop(w, SELLER, { quantity: 2, price: "140", title: "Raffle Board", raffle: 24 });
  const l0 = await listing(drop.id);
  assert.ok(l0.raffle_closes_at > Date.now() + 23.9 * 3600_000 && l0.raffle_closes_at < Date.now() + 24.1 * 3600_000);
  assert.equal(l0.per_buyer, 1, "a raffle allows one per buyer by default");
  assert.match(l0.raffle_seed, /^[0-9a-f]{64}$/);
  assert.equal(l0.raffle_commitment, sha256(l0.raffle_seed), "the commitment is SHA-256 of the seed");
  // The posted embed: Enter, the fingerprint, never the seed.
  const post = w.standin.state.calls.find((c) => c.service === "discord" && c.method === "POST" && JSON.stringify(c.body).includes("Raffle Board"));
  assert.equal(post.body.components[0].components[0].custom_id, `c5:v1:enter:${drop.id}`);
  assert.match(JSON.stringify(post.body.embeds[0].fields), new RegExp(l0.raffle_commitment));
  assert.doesNotMatch(JSON.stringify(post.body), new RegExp(l0.raffle_seed));
  // Before the draw the page shows the fingerprint, and the record has no seed.
  const before = await (await w.get(`/drops/${drop.id}`)).text();
  assert.match(before, new RegExp(l0.raffle_commitment));
  assert.doesNotMatch(before, new RegExp(l0.raffle_seed));
  const early = await (await w.get(`/drops/${drop.id}/draw.json`)).json();
  assert.equal(early.seed, null);
  assert.deepEqual(verify(early), ["the seed is not published yet: the draw has not happened"]);

  // Buy and the waitlist point to Enter; nothing is held.
  const outsider = buyer();
  assert.match(text(await click(`c5:v1:buy:${drop.id}`, outsider)), /This drop is a raffle/);
  assert.match(text(await click(`c5:v1:line:${drop.id}`, outsider)), /This drop is a raffle/);
  assert.equal((await listing(drop.id)).stock, 2);

  // Six enter; one twice (one entry); the builder can't.
  const entrants = Array.from({ length: 6 }, buyer);
  for (const [i, id] of entrants.entries()) assert.match(text(await click(`c5:v1:enter:${drop.id}`, id)), new RegExp(`${i + 1} entries so far`));
  assert.match(text(await click(`c5:v1:enter:${drop.id}`, entrants[0])), /6 entries so far/);
  assert.match(text(await click(`c5:v1:enter:${drop.id}`, SELLER)), /your own drop/);
  assert.equal((await w.db.prepare("SELECT COUNT(*) AS n FROM raffle_entries WHERE listing_id = ?1").bind(drop.id).first()).n, 6);

  // The close passes: the cron draws, and the first two drawn are offered a unit each.
  await w.db.prepare("UPDATE listings SET raffle_closes_at = ?2 WHERE id = ?1").bind(drop.id, Date.now() - 1000).run();
  assert.match(text(await click(`c5:v1:enter:${drop.id}`, buyer())), /Entries are closed/);
  await runCron(w);
  const record = await (await w.get(`/drops/${drop.id}/draw.json`)).json();
  assert.deepEqual(verify(record), [], "the draw checks out");
  assert.equal(record.seed, l0.raffle_seed);
  assert.deepEqual([...record.entries].sort(), [...entrants].sort());
  assert.deepEqual(record.drawn, draw(l0.raffle_seed, entrants), "the order an independent implementation computes");
  const [first, second, third] = record.drawn;
  for (const winner of [first, second]) {
    assert.equal((await holdOf(drop.id, winner))?.status, "held", "a unit held for each winner");
    await waitFor(() => dmTo(winner), { what: "the winner's DM" });
  }
  assert.equal(await holdOf(drop.id, third), null);
  assert.equal((await listing(drop.id)).stock, 0);
  // Everyone else keeps their place in the drawn order.
  const line = (await w.db.prepare("SELECT buyer_id FROM waitlist WHERE listing_id = ?1 AND status = 'waiting' ORDER BY joined_at").bind(drop.id).all()).results.map((r) => r.buyer_id);
  assert.deepEqual(line, record.drawn.slice(2));
  assert.match(text(await click(`c5:v1:enter:${drop.id}`, third)), /in the raffle/, "an entrant is told they are in");
  // After the draw the page publishes the seed.
  assert.match(await (await w.get(`/drops/${drop.id}`)).text(), new RegExp(l0.raffle_seed));

  // The first winner pays; the second never does: their unit passes to the third drawn.
  assert.match(text(await click(`c5:v1:buy:${drop.id}`, first, { dm: true })), /Great choice/);
  await control(w, `/stripe/checkout/${(await holdOf(drop.id, first)).checkout_session_id}/pay`);
  const order = await w.db.prepare("SELECT * FROM orders WHERE listing_id = ?1 AND buyer_id = ?2").bind(drop.id, first).first();
  assert.equal(order.status, "paid");
  const pi = w.standin.stripeObjects.get(order.payment_intent_id);
  const charge = w.standin.stripeObjects.get(pi.latest_charge);
  assert.equal(charge.amount, order.gross_cents);
  assert.equal(charge.amount_refunded, 0, "refunds + transfers − reversals ≤ charged: nothing left C500");
  await w.db.prepare("UPDATE reservations SET expires_at = ?2 WHERE listing_id = ?1 AND buyer_id = ?3").bind(drop.id, Date.now() - 1000, second).run();
  await runCron(w);
  assert.equal((await holdOf(drop.id, second)).status, "released");
  assert.equal((await holdOf(drop.id, third))?.status, "held", "the next drawn entry's turn");
  await waitFor(() => dmTo(third), { what: "the next entry's DM" });
  // A buyer who did not enter waits behind the whole draw.
  assert.match(text(await click(`c5:v1:buy:${drop.id}`, outsider)), /Too late|Waitlist first/);
  assert.deepEqual(w.standin.state.violations, [], "every Discord body valid against the spec");
});

test("a raffle's account-age gate admits accounts old enough, and a tampered draw record fails the check", async () => {
  const drop = await postDrop(w, SELLER, { quantity: 1, price: "90", title: "Gated Raffle", raffle: 2, minAge: 30 });
  assert.equal((await listing(drop.id)).raffle_min_age_days, 30);
  const young = youngAccount(3);
  assert.match(text(await click(`c5:v1:enter:${drop.id}`, young)), /at least 30 days old/);
  const old = buyer();
  assert.match(text(await click(`c5:v1:enter:${drop.id}`, old)), /1 entries so far/);
  await w.db.prepare("UPDATE listings SET raffle_closes_at = ?2 WHERE id = ?1").bind(drop.id, Date.now() - 1000).run();
  await runCron(w);
  const record = await (await w.get(`/drops/${drop.id}/draw.json`)).json();
  assert.deepEqual(verify(record), []);
  assert.deepEqual(record.drawn, [old]);
  assert.ok(verify({ ...record, seed: "0".repeat(64) }).some((p) => /not the commitment/.test(p)), "another seed is caught");
  assert.ok(verify({ ...record, entries: [...record.entries, buyer()] }).some((p) => /drawn order/.test(p)), "an entry left out of the draw is caught");
});

test("a raffle's role and tier gates: chosen on /c500 drop, shown before anyone clicks, checked in the entry's own batch", async () => {
  const ROLE = "1777000000000000042";
  const GUILD = "1500000000000000001";
  const options = (extra) => [
    { type: 3, name: "type", value: "ready_to_ship" },
    { type: 4, name: "quantity", value: 2 },
    { type: 4, name: "raffle_hours", value: 2 },
    ...extra,
  ];
  // The slash command carries both gates into the form's custom_id; @everyone is no gate.
  const modal = await validReply(w, slashCommand(["drop"], { userId: SELLER, options: options([{ type: 8, name: "raffle_role", value: ROLE }, { type: 3, name: "raffle_tier", value: "member" }]) }));
  assert.equal(modal.type, 9, JSON.stringify(modal));
  assert.match(modal.data.custom_id, /\.r2\.g[0-9a-z]+\.tm$/);
  const everyone = await validReply(w, slashCommand(["drop"], { userId: SELLER, options: options([{ type: 8, name: "raffle_role", value: GUILD }]) }));
  assert.doesNotMatch(everyone.data.custom_id, /\.g/);
  // A gate on a first-come drop is a field error, and nothing is posted.
  const firstCome = await validReply(w, slashCommand(["drop"], { userId: SELLER, options: [{ type: 3, name: "type", value: "ready_to_ship" }, { type: 3, name: "raffle_tier", value: "vip" }] }));
  assert.equal(firstCome.type, 4);
  assert.equal(firstCome.data.flags, 64);
  assert.match(JSON.stringify(firstCome.data), /raffle_tier.*is for raffles/);

  const posted = await validReply(w, dropForm(modal.data.custom_id, { item_title: "Role Raffle", price: "95", description: "For the regulars.", image_url: "", specs: "" }, { userId: SELLER }));
  assert.match(posted.data.embeds[0].title, /live/);
  const drop = await listing((await w.db.prepare("SELECT id FROM listings WHERE title = 'Role Raffle'").first()).id);
  assert.equal(drop.raffle_role_id, ROLE);
  assert.equal(drop.raffle_min_tier, "member");
  const post = w.standin.state.calls.find((c) => c.service === "discord" && c.method === "POST" && JSON.stringify(c.body).includes("Role Raffle"));
  assert.match(JSON.stringify(post.body.embeds[0].fields), new RegExp(`Open to members with <@&${ROLE}> and Members and VIPs`));
  assert.match(await (await w.get(`/drops/${drop.id}`)).text(), /Open to members with the builder&#39;s chosen role|Open to members with the builder's chosen role/);

  const entries = async () => (await w.db.prepare("SELECT buyer_id FROM raffle_entries WHERE listing_id = ?1 ORDER BY buyer_id").bind(drop.id).all()).results.map((r) => r.buyer_id);
  const enter = async (id, roles) => {
    const payload = component(`c5:v1:enter:${drop.id}`, { userId: id });
    payload.member.roles = roles;
    const body = await validReply(w, payload);
    assert.equal(body.type, 4);
    return JSON.stringify(body.data.embeds);
  };
  const member = buyer();
  await w.db.prepare("INSERT INTO users (discord_id, username, completed_orders, created_at, updated_at) VALUES (?1, 'regular', 1, 0, 0)").bind(member).run();
  // Without the role (Discord sent the roles, and it is not among them): refused, with the role named.
  assert.match(await enter(member, ["1777000000000000001"]), new RegExp(`members with <@&${ROLE}>`));
  // With it, a Member is in.
  assert.match(await enter(member, ["1777000000000000001", ROLE]), /1 entries so far/);
  // A guest with the role: the tier gate, with how to grow.
  const guest = buyer();
  assert.match(await enter(guest, [ROLE]), /Members and VIPs and you're a Guest for now.*Complete one purchase/);
  // On the web the roles are unknown: the page offers no Enter, and a hand-made post is
  // refused with where to enter; nothing written.
  const { cookie } = await signIn(w, { id: guest });
  const html = await (await w.get(`/drops/${drop.id}`, { headers: { cookie } })).text();
  assert.ok(!html.includes(`action="/drops/${drop.id}/enter"`), "no Enter form for a role-gated raffle on the web");
  const csrf = csrfOf(await (await w.get("/me", { headers: { cookie } })).text());
  assert.ok(csrf);
  const web = await webPost(w, `/drops/${drop.id}/enter`, { csrf }, { cookie });
  assert.equal(web.status, 409);
  assert.match(await web.text(), /only Discord can show C500: enter from the drop&#39;s post in Discord|only Discord can show C500: enter from the drop's post in Discord/);
  assert.deepEqual(await entries(), [member], "only the Member with the role entered");
  assert.deepEqual(w.standin.state.violations, [], "every Discord body valid against the spec");
});

test("a draw's 60 winner DMs stay under Discord's global limit: every DM delivered, no 429 spent", async () => {
  const WINNERS = 60;
  const drop = await postDrop(w, SELLER, { quantity: WINNERS, price: "80", title: "Global Raffle", raffle: 2 });
  const entrants = Array.from({ length: WINNERS }, buyer);
  for (const id of entrants) assert.match(text(await click(`c5:v1:enter:${drop.id}`, id)), /in the raffle|entries so far/);
  // Discord's global limit, emulated: 50 bot-token calls in any second, a global 429 beyond.
  // Each winner's DM is two such calls (open the DM channel, post the message).
  w.standin.state.discordGlobal = { perSecond: 50 };
  await w.db.prepare("UPDATE listings SET raffle_closes_at = ?2 WHERE id = ?1").bind(drop.id, Date.now() - 1000).run();
  const started = Date.now();
  await runCron(w);
  for (const winner of entrants) await waitFor(() => dmTo(winner), { timeout: 30_000, what: `${winner}'s DM` });
  const botCalls = w.standin.state.calls.filter((c) => c.service === "discord" && c.at >= started && !c.path.includes("/webhooks/"));
  assert.ok(botCalls.length >= 2 * WINNERS, `${botCalls.length} bot calls`);
  assert.deepEqual(w.standin.state.discordRateLimited, [], "no 429 (an invalid request) was spent");
  // And the emulation bites: more than 50 calls in a second would have been refused.
  const at = botCalls.map((c) => c.at).sort((a, b) => a - b);
  const busiest = Math.max(...at.map((t, i) => at.slice(i).filter((u) => u < t + 1000).length));
  assert.ok(busiest <= 50, `${busiest} bot calls in the busiest second`);
  assert.ok(at.at(-1) - at[0] >= 1000, "the calls were spread over more than a second");
  assert.deepEqual(w.standin.state.violations, [], "every Discord body valid against the spec");
});
