// The storefront on the real runtime: landing page from D1 (escaped), health, CSS, 404, the
// handbook, terms and privacy pages, robots.txt and sitemap.xml.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startWorker } from "./harness.mjs";

let w;
before(async () => {
  w = await startWorker();
  const now = Date.now();
  const stmts = [
    w.db.prepare("INSERT INTO users (discord_id, username, created_at, updated_at) VALUES ('111', 'keyz', ?1, ?1)").bind(now),
    w.db.prepare("INSERT INTO builders (discord_id, handle, shop_name, approved, stripe_account_id, charges_enabled, payouts_enabled, created_at, updated_at) VALUES ('111', 'keyz', 'Keyz Customs', 1, 'acct_keyz', 1, 1, ?1, ?1)").bind(now),
  ];
  const listing = (id, title, extra = {}) => {
    const l = { kind: "ready_to_ship", price: 45000, shipping: 1500, quantity: 3, stock: 2, status: "live", release_at: null, lead: null, created: now, ...extra };
    return w.db
      .prepare(
        `INSERT INTO listings (id, seller_id, kind, title, description, image_url, guild_tag, price_cents, shipping_cents,
           lead_time_weeks, quantity, stock, status, release_at, created_at, updated_at)
         VALUES (?1, '111', ?2, ?3, 'A lovely board', 'https://i.imgur.com/x.jpg', 'artisan', ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)`,
      )
      .bind(id, l.kind, title, l.price, l.shipping, l.lead, l.quantity, l.stock, l.status, l.release_at, l.created);
  };
  stmts.push(
    listing("D-AAAAAAA1", "Snow White TKL"),
    listing("D-AAAAAAA2", "<script>alert('x')</script>", { created: now + 1 }),
    listing("D-AAAAAAA3", "Sold Out Board", { stock: 0 }),
    listing("D-AAAAAAA4", "Delisted Board", { status: "delisted" }),
    listing("D-AAAAAAA5", "Future Board", { release_at: now + 3_600_000 }),
    listing("D-AAAAAAA6", "Commission Slot", { kind: "commission", lead: 6, quantity: 2, stock: 2 }),
  );
  await w.db.batch(stmts);
});
after(async () => {
  await w?.close();
});

test("GET / lists live, released drops, escaped; sold-out ones after, marked", async () => {
  const res = await w.get("/");
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type"), /text\/html/);
  assert.match(res.headers.get("content-security-policy"), /script-src 'none'/);
  const html = await res.text();
  assert.match(html, /Snow White TKL/);
  assert.match(html, /\$450\.00/);
  assert.match(html, /2 of 3 left/);
  assert.match(html, /Keyz Customs/);
  assert.match(html, /ships in ~6 weeks/);
  assert.ok(!html.includes("<script>alert('x')</script>"), "the title must be escaped");
  assert.match(html, /&#60;script&#62;|&lt;script&gt;/);
  for (const hidden of ["Delisted Board", "Future Board"]) assert.ok(!html.includes(hidden), hidden);
  // Newest first; a drop sold out lately comes after every drop in stock, marked.
  assert.ok(html.indexOf("alert") < html.indexOf("Snow White TKL"));
  const soldOut = html.slice(html.indexOf("Sold Out Board"));
  assert.ok(html.indexOf("Sold Out Board") > html.indexOf("Commission Slot"), "after the drops in stock");
  assert.match(soldOut.slice(0, 800), /🔴 Sold out/);
  assert.match(soldOut.slice(0, 800), /the waitlist is open/);
  assert.doesNotMatch(html.slice(0, html.indexOf("Sold Out Board")), /🔴 Sold out/, "only it is marked");
});

test("the landing page is served from the isolate's cache, then refreshed in the background", async () => {
  // The harness sets PAGE_CACHE_SECONDS=1.
  await (await w.get("/")).text();
  await w.db.prepare("UPDATE listings SET title = 'Renamed Board' WHERE id = 'D-AAAAAAA1'").run();
  const cached = await w.get("/");
  assert.match(cached.headers.get("x-c500-cache"), /^(hit|stale)$/);
  assert.ok(!(await cached.text()).includes("Renamed Board"), "a fresh render is reused");
  await new Promise((r) => setTimeout(r, 1100));
  const stale = await w.get("/");
  assert.equal(stale.headers.get("x-c500-cache"), "stale");
  assert.ok(!(await stale.text()).includes("Renamed Board"), "stale is served while refreshing");
  let refreshed = false;
  for (let i = 0; i < 20 && !refreshed; i++) {
    await new Promise((r) => setTimeout(r, 50));
    const res = await w.get("/");
    refreshed = res.headers.get("x-c500-cache") === "hit" && (await res.text()).includes("Renamed Board");
  }
  assert.ok(refreshed, "the background refresh replaced the render");
  await w.db.prepare("UPDATE listings SET title = 'Snow White TKL' WHERE id = 'D-AAAAAAA1'").run();
});

test("GET /healthz reports the database", async () => {
  const res = await w.get("/healthz");
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { ok: true, db: true });
});

test("the stylesheet is served with long-lived caching and revalidates", async () => {
  const html = await (await w.get("/")).text();
  const href = html.match(/href="(\/static\/site\.[0-9a-f]{16}\.css)"/)[1];
  const css = await w.get(href);
  assert.equal(css.status, 200);
  assert.match(css.headers.get("content-type"), /text\/css/);
  assert.match(css.headers.get("cache-control"), /max-age=31536000, immutable/);
  const body = await css.text();
  assert.match(body, /#FFD1DC/);
  const etag = css.headers.get("etag");
  const again = await w.get(href, { headers: { "if-none-match": etag } });
  assert.equal(again.status, 304);
  assert.equal((await w.get("/static/site.0000000000000000.css")).status, 404);
});

test("a drop page shows the drop and unfurls (OpenGraph and Twitter tags), escaped", async () => {
  const res = await w.get("/drops/D-AAAAAAA1");
  assert.equal(res.status, 200);
  const html = await res.text();
  assert.match(html, /<meta property="og:title" content="Snow White TKL · \$450\.00">/);
  assert.match(html, /<meta property="og:image" content="https:\/\/i\.imgur\.com\/x\.jpg">/);
  assert.match(html, /<meta name="twitter:card" content="summary_large_image">/);
  assert.match(html, /<meta property="og:url" content="http:\/\/c500\.test\/drops\/D-AAAAAAA1">/);
  assert.match(html, /🟢 Available/);
  assert.match(html, /href="\/builders\/keyz"/);
  const script = await (await w.get("/drops/D-AAAAAAA2")).text();
  assert.ok(!script.includes("<script>alert('x')</script>"));
  assert.match(script, /og:title" content="&#60;script&#62;|og:title" content="&lt;script&gt;/);
  assert.match(await (await w.get("/drops/D-AAAAAAA3")).text(), /Sold out/);
  assert.match(await (await w.get("/drops/D-AAAAAAA4")).text(), /Delisted/);
  assert.match(await (await w.get("/drops/D-AAAAAAA5")).text(), /Releasing soon/);
  for (const missing of ["/drops/D-ZZZZZZZZ", "/drops/not-an-id", "/drops/d-aaaaaaa1"]) {
    assert.equal((await w.get(missing)).status, 404, missing);
  }
});

test("a drop page is kept by the isolate for visitors who are not signed in, and ages out", async () => {
  const first = await w.get("/drops/D-AAAAAAA6"); // no test read it before
  assert.equal(first.headers.get("x-c500-cache"), "miss");
  await first.text();
  const hit = await w.get("/drops/D-AAAAAAA6");
  assert.equal(hit.headers.get("x-c500-cache"), "hit", "no D1 read for the next visitor");
  assert.equal(hit.headers.get("cache-control"), "public, max-age=30");
  assert.equal(hit.headers.get("vary"), "Cookie");
  assert.match(await hit.text(), /2 of 2 slots open/);
  // A cookie that is not a session is nobody: the same public copy.
  const forged = await w.get("/drops/D-AAAAAAA6", { headers: { cookie: "c500_session=1.2.99999999999999.00" } });
  assert.equal(forged.headers.get("x-c500-cache"), "hit");
  await forged.text();
  // A change shows once the copy ages out.
  await w.db.prepare("UPDATE listings SET stock = 1 WHERE id = 'D-AAAAAAA6'").run();
  assert.match(await (await w.uncached("/drops/D-AAAAAAA6")).text(), /1 of 2 slots open/);
  await w.db.prepare("UPDATE listings SET stock = 2 WHERE id = 'D-AAAAAAA6'").run();
});

test("a builder's page lists live drops, then past ones", async () => {
  const res = await w.get("/builders/keyz");
  assert.equal(res.status, 200);
  const html = await res.text();
  assert.match(html, /<h1 class="cozy-title">Keyz Customs<\/h1>/);
  assert.match(html, /Certified C500 Builder/);
  const live = html.slice(html.indexOf("Live drops"), html.indexOf("Past drops"));
  const past = html.slice(html.indexOf("Past drops"));
  assert.match(live, /Snow White TKL/);
  assert.match(live, /Commission Slot/);
  assert.match(past, /Sold Out Board/);
  assert.match(past, /Delisted Board/);
  assert.ok(!html.includes("Future Board"), "unreleased drops stay hidden");
  assert.equal((await w.get("/builders/nobody")).status, 404);
});

test("unknown pages get the friendly 404", async () => {
  const res = await w.get("/no/such/page");
  assert.equal(res.status, 404);
  assert.match(await res.text(), /This page wandered off/);
});

// Issue 12.7: the pages of the brief, linked from every page; 12.6: robots.txt and sitemap.xml.
test("the handbook, terms and privacy pages exist, say who holds the money, and every page links them", async () => {
  const pages = { "/handbook": /C500 holds the payment/, "/terms": /Terms of use/, "/privacy": /What C500 stores/ };
  for (const [path, says] of Object.entries(pages)) {
    const res = await w.get(path);
    assert.equal(res.status, 200, path);
    assert.match(res.headers.get("content-type"), /text\/html/);
    // Static assets (src/bin/site.rs): the pages' security headers and caching come from _headers.
    assert.match(res.headers.get("content-security-policy") ?? "", /script-src 'none'/, path);
    assert.equal(res.headers.get("x-content-type-options"), "nosniff", path);
    assert.equal(res.headers.get("cache-control"), "public, max-age=3600", path);
    const html = await res.text();
    assert.match(html, says, path);
    assert.match(html, new RegExp(`<link rel="canonical" href="http://c500.test${path}">`));
    assert.doesNotMatch(html, /escrow service/i, "Stripe is not an escrow service");
  }
  for (const path of ["/", "/drops/D-AAAAAAA1", "/builders/keyz", "/no/such/page", "/handbook"]) {
    const html = await (await w.get(path)).text();
    for (const link of ['href="/handbook"', 'href="/terms"', 'href="/privacy"', 'href="/handbook#trust"']) {
      assert.ok(html.includes(link), `${path} links ${link}`);
    }
  }
  // The header's links go to real pages, with the anchors they name.
  const handbook = await (await w.get("/handbook")).text();
  assert.match(handbook, /id="trust"/);
});

test("robots.txt keeps private pages out; sitemap.xml lists the public ones and live drops only", async () => {
  const robots = await w.get("/robots.txt");
  assert.equal(robots.status, 200);
  assert.match(robots.headers.get("content-type"), /text\/plain/);
  const txt = await robots.text();
  for (const path of ["/orders/", "/success", "/onboarding/", "/oauth/", "/signin", "/me", "/dashboard"]) assert.match(txt, new RegExp(`Disallow: ${path}`));
  assert.match(txt, /Sitemap: http:\/\/c500\.test\/sitemap\.xml/);
  const sitemap = await w.get("/sitemap.xml");
  assert.equal(sitemap.status, 200);
  assert.match(sitemap.headers.get("content-type"), /application\/xml/);
  const xml = await sitemap.text();
  assert.match(xml, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<urlset xmlns="http:\/\/www\.sitemaps\.org\/schemas\/sitemap\/0\.9">/);
  const locs = [...xml.matchAll(/<loc>([^<]+)<\/loc>/g)].map((m) => m[1]);
  for (const path of ["/", "/handbook", "/terms", "/privacy", "/drops/D-AAAAAAA1", "/drops/D-AAAAAAA6", "/builders/keyz"]) {
    assert.ok(locs.includes(`http://c500.test${path}`), path);
  }
  for (const id of ["D-AAAAAAA3", "D-AAAAAAA4", "D-AAAAAAA5"]) assert.ok(!xml.includes(id), `${id} is not for sale`);
  assert.equal(locs.filter((l) => l.endsWith("/builders/keyz")).length, 1, "each shop once");
});

// Issue 12.6: the shop filters by type and guild badge, searches titles, and pages its results.
test("the landing page filters by type and guild, searches titles as text, and pages its results", async () => {
  const page = async (q) => {
    const res = await w.get(`/${q}`);
    assert.equal(res.status, 200, q);
    return res.text();
  };
  let html = await page("?type=commission");
  assert.match(html, /Commission Slot/);
  assert.ok(!html.includes("Snow White TKL"));
  assert.match(html, /<option value="commission" selected>/);
  html = await page("?type=ready_to_ship&q=white");
  assert.match(html, /Snow White TKL/);
  assert.ok(!html.includes("Commission Slot"));
  assert.match(html, /value="white"/);
  html = await page("?q=SNOW");
  assert.match(html, /Snow White TKL/, "case-insensitive");
  html = await page("?q=%25");
  assert.match(html, /No live drop matches that/, "a % is text, not a wildcard");
  html = await page("?guild=merch");
  assert.match(html, /No live drop matches that/);
  for (const hidden of ["Delisted Board", "Future Board"]) assert.ok(!(await page("?guild=artisan")).includes(hidden), hidden);
  assert.match(await page("?guild=artisan"), /Sold Out Board/);
  // What it does not understand is ignored: the plain (cached) page.
  html = await page("?type=bogus&page=zero");
  assert.match(html, /Commission Slot/);
  assert.match(html, /<h3>&#60;script&#62;/);
  assert.match(html, /<label>Type/);

  // 26 vintage drops: two pages of 24, newest first, the search kept in the links.
  const now = Date.now();
  await w.db.batch(Array.from({ length: 26 }, (_, i) => w.db
    .prepare(`INSERT INTO listings (id, seller_id, kind, title, description, guild_tag, price_cents, shipping_cents, quantity, stock, status, created_at, updated_at)
              VALUES (?1, '111', 'ready_to_ship', ?2, 'Old soul', 'vintage', 9900, 0, 1, 1, 'live', ?3, ?3)`)
    .bind(`D-VNTG${String(i).padStart(4, "0")}`, `Vintage Board ${String(i).padStart(2, "0")}`, now + 10_000 + i)));
  const first = await page("?guild=vintage");
  assert.equal((first.match(/Vintage Board \d\d/g) ?? []).length, 24);
  assert.match(first, /Vintage Board 25/, "newest first");
  assert.ok(!first.includes("Vintage Board 01<"));
  assert.match(first, /href="\/\?guild=vintage&amp;page=2" rel="next"|href="\/\?guild=vintage&#38;page=2" rel="next"/);
  const second = await page("?guild=vintage&page=2");
  assert.deepEqual(second.match(/Vintage Board \d\d/g), ["Vintage Board 01", "Vintage Board 00"]);
  assert.match(second, /rel="prev"/);
  assert.ok(!second.includes('rel="next"'));
});

// Issue 12.5: a builder's public record on their page, and in one line on their drops.
test("a builder's page shows their track record, and their drops show it in one line", async () => {
  const order = (id, status, promised, shipped) => w.db
    .prepare(`INSERT INTO orders (id, status_token, listing_id, buyer_id, seller_id, kind, status, escrow, item_cents, shipping_cents,
                gross_cents, fee_cents, payout_cents, promised_by, shipped_at, paid_at, created_at, updated_at)
              VALUES (?1, ?2, 'D-AAAAAAA6', '222', '111', 'commission', ?3, 'released', 1000, 0, 1000, 100, 900, ?4, ?5, 0, 0, 0)`)
    .bind(id, `rep-${id}`, status, promised, shipped);
  await w.db.batch([
    w.db.prepare("INSERT INTO users (discord_id, username, created_at, updated_at) VALUES ('222', 'buyer', 0, 0)"),
    w.db.prepare("UPDATE users SET twitch_login = 'keyzbuilds' WHERE discord_id = '111'"),
    order("C5-REP0001", "completed", 2_000, 1_000),
    order("C5-REP0002", "completed", 2_000, 3_000), // shipped after its promised date
    order("C5-REP0003", "shipped", null, 5_000), // ready to ship: no promise to keep
    w.db.prepare("INSERT INTO vouches (builder_id, buyer_id, created_at) VALUES ('111', '222', 0)"),
    w.db.prepare(`INSERT INTO ledger (id, order_id, kind, direction, amount_cents, status, stripe_id, actor, created_at, updated_at)
                  VALUES ('stripe-dp_rep', 'C5-REP0002', 'dispute', 'out', 1000, 'failed', 'dp_rep', 'stripe', 0, 0)`),
  ]);
  const page = await (await w.get("/builders/keyz")).text();
  assert.match(page, /Track record/);
  assert.match(page, /2 completed orders/);
  assert.match(page, /1 of 2 commissions shipped by the promised date/);
  assert.match(page, /Vouched for 1 buyer/);
  assert.match(page, /1 payment dispute/);
  assert.match(page, /Member since \d{4}-\d{2}-\d{2}/);
  assert.match(page, /href="https:\/\/www\.twitch\.tv\/keyzbuilds"/);
  // The drop page an earlier test read is kept by the isolate for a moment: read it anew.
  const drop = await (await w.uncached("/drops/D-AAAAAAA1")).text();
  assert.match(drop, /2 completed orders · 1 payment dispute · Member since/);
});
