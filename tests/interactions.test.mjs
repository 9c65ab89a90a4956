// POST /interactions on the real runtime: signatures, PING, help, unknowns, spec validity.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { startWorker, slashCommand, hqCommand, component } from "./harness.mjs";
import { TestKey } from "../dev/keys.mjs";
import { execFileSync } from "node:child_process";
import { validateInteractionResponse } from "../dev/discord-spec.mjs";

let w;
before(async () => {
  w = await startWorker();
});
after(async () => {
  await w?.close();
});

async function validReply(res) {
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type"), /^application\/json/);
  const body = await res.json();
  const check = validateInteractionResponse(body);
  assert.ok(check.ok, `reply is not valid against Discord's spec: ${check.errors.join("; ")}\n${JSON.stringify(body)}`);
  return body;
}

test("a signed PING gets a PONG", async () => {
  const body = await validReply(await w.interact({ type: 1, id: "1", application_id: "1", token: "t", version: 1 }));
  assert.deepEqual(body, { type: 1 });
});

test("/c500 help answers with an ephemeral embed in the brand's style", async () => {
  const body = await validReply(await w.interact(slashCommand(["help"])));
  assert.equal(body.type, 4);
  assert.equal(body.data.flags & 64, 64, "ephemeral");
  const [embed] = body.data.embeds;
  assert.equal(embed.color, 0xffd1dc, "sakura milk");
  assert.match(embed.title, /C500 Collective/);
  const names = embed.fields.map((f) => f.name).join(" ");
  for (const section of ["Buying", "Selling", "Fulfilling"]) assert.match(names, new RegExp(section));
  assert.match(JSON.stringify(embed), /\/c500 drop/);
  assert.deepEqual(body.data.allowed_mentions, { parse: [] }, "never pings");
});

test("help works in a DM too (user instead of member)", async () => {
  const i = slashCommand(["help"]);
  delete i.member;
  delete i.guild_id;
  i.user = { id: "1400000000000000009", username: "dmuser" };
  const body = await validReply(await w.interact(i));
  assert.equal(body.data.flags, 64);
});

test("unknown commands, subcommands, buttons and forms get a clean, valid reply", async () => {
  const cases = [
    { ...slashCommand(["help"]), data: { id: "9", name: "not-ours", type: 1 } },
    slashCommand(["nope"]),
    component("c5:v1:sell:D-AAAAAAAA"),
    component("buy_btn:123"),
    component("c5:v0:buy:D-AAAAAAAA"),
    { ...component("x"), type: 5, data: { custom_id: "mystery", components: [] } },
  ];
  const titles = [];
  for (const c of cases) {
    const body = await validReply(await w.interact(c));
    assert.equal(body.type, 4);
    assert.equal(body.data.flags, 64, "ephemeral");
    titles.push(body.data.embeds[0].title);
  }
  assert.match(titles[0], /Unknown command/);
  assert.match(titles[1], /Unknown command/);
  assert.match(titles[4], /out of date/);
});

test("every command in both trees is answered by its own handler, validly", async () => {
  const trees = JSON.parse(execFileSync("cargo", ["run", "-q", "--bin", "commands"], { cwd: new URL("..", import.meta.url) }).toString());
  const sample = (o) => o.choices?.[0]?.value ?? ({ 3: "C5-AAAAAA", 4: 1, 5: true, 6: "1400000000000000009", 7: "1600000000000000009", 8: "1700000000000000009", 10: 1 })[o.type];
  const leaves = [];
  const walk = (node, path) => {
    const subs = (node.options ?? []).filter((o) => o.type === 1 || o.type === 2);
    if (path.length && !subs.length) leaves.push({ path, options: (node.options ?? []).filter((o) => o.required).map((o) => ({ name: o.name, type: o.type, value: sample(o) })) });
    for (const s of subs) walk(s, [...path, s.name]);
  };
  walk(trees.global[0], []);
  const global = leaves.length;
  assert.ok(global >= 19, `only ${global} leaves in /c500`);
  walk(trees.hq_guild[0], []);
  assert.equal(leaves.length - global, 8, "HQ's eight tools in /c500-hq");
  for (const [i, { path, options }] of leaves.entries()) {
    const payload = i < global ? slashCommand(path, { options }) : hqCommand(path[0], { options });
    const body = await validReply(await w.interact(payload));
    assert.ok([4, 5, 9].includes(body.type), `${path.join(" ")}: type ${body.type}`);
    const text = JSON.stringify(body.data ?? {});
    assert.doesNotMatch(text, /Unknown command|Not open yet|I don't know that command/, path.join(" "));
  }
});

test("autocomplete gets a valid (empty) choice list", async () => {
  const i = slashCommand(["ship"], { options: [{ type: 3, name: "order", value: "C5", focused: true }] });
  i.type = 4;
  const body = await validReply(await w.interact(i));
  assert.deepEqual(body, { type: 8, data: { choices: [] } });
});

test("every bad signature, and every replay of a good one, is a 401 and nothing is parsed", async () => {
  const good = JSON.stringify({ type: 1 });
  const h = w.key.headers(good);
  const other = new TestKey();
  const cases = {
    "no headers": [good, { "content-type": "application/json" }],
    "no signature": [good, { "x-signature-timestamp": h["x-signature-timestamp"] }],
    "no timestamp": [good, { "x-signature-ed25519": h["x-signature-ed25519"] }],
    "signature not hex": [good, { ...h, "x-signature-ed25519": "zz".repeat(64) }],
    "signature too short": [good, { ...h, "x-signature-ed25519": h["x-signature-ed25519"].slice(0, 100) }],
    "empty signature": [good, { ...h, "x-signature-ed25519": "" }],
    "wrong key": [good, other.headers(good, h["x-signature-timestamp"])],
    "tampered body": [JSON.stringify({ type: 2 }), h],
    "tampered timestamp": [good, { ...h, "x-signature-timestamp": String(Number(h["x-signature-timestamp"]) + 1) }],
    "garbage body signed by nobody": ["not json", h],
    "genuine signature, timestamp 6 minutes old (a replay)": [good, w.key.headers(good, String(Number(h["x-signature-timestamp"]) - 360))],
    "genuine signature, timestamp 6 minutes ahead": [good, w.key.headers(good, String(Number(h["x-signature-timestamp"]) + 360))],
    "genuine signature, timestamp not a number": [good, w.key.headers(good, "yesterday")],
  };
  for (const [name, [body, headers]] of Object.entries(cases)) {
    const res = await w.postInteraction(body, headers);
    assert.equal(res.status, 401, name);
    assert.equal(await res.text(), "invalid request signature", name);
  }
});

test("a signed body that is not an interaction is a 400", async () => {
  const body = "this is not json";
  const res = await w.postInteraction(body, w.key.headers(body));
  assert.equal(res.status, 400);
});

test("another spelling of the URL (a query string) answers exactly like /interactions", async () => {
  for (const payload of [{ type: 1 }, slashCommand(["help"]), slashCommand(["nope"])]) {
    const body = JSON.stringify(payload);
    const headers = w.key.headers(body);
    const fast = await w.get("/interactions", { method: "POST", headers, body });
    const generic = await w.get("/interactions?via=generic", { method: "POST", headers, body });
    assert.equal(generic.status, fast.status);
    assert.equal(generic.headers.get("content-type"), fast.headers.get("content-type"));
    assert.equal(await generic.text(), await fast.text());
  }
  const bad = await w.get("/interactions?via=generic", { method: "POST", headers: w.key.headers("{}"), body: '{"type":1}' });
  assert.equal(bad.status, 401);
});

test("GET /interactions is not a thing", async () => {
  const res = await w.get("/interactions", { method: "PUT" });
  assert.equal(res.status, 405);
});

/** A raw POST: `declared` as its Content-Length (or chunked when null), sending `send` bytes in
 * 10 KiB chunks, and the status of whatever answer comes first (the worker may answer
 * before the body is all sent: that is the point). */
function rawPost(path, { declared, send }) {
  const { hostname, port } = new URL(w.url);
  return new Promise((resolve, reject) => {
    const headers = { "content-type": "application/json", ...(declared === null ? { "transfer-encoding": "chunked" } : { "content-length": String(declared) }) };
    const req = http.request({ hostname, port, path, method: "POST", headers }, (res) => {
      res.resume();
      resolve(res.statusCode);
      req.destroy();
    });
    req.on("error", (e) => (e.code === "ECONNRESET" || e.code === "EPIPE" ? undefined : reject(e)));
    let sent = 0;
    const more = () => {
      while (sent < send) {
        const n = Math.min(10 * 1024, send - sent);
        sent += n;
        if (!req.write("y".repeat(n))) return req.once("drain", more);
      }
      if (declared === null) req.end();
    };
    more();
  });
}

test("an oversized body is a 413 on every endpoint, before it is read, whether its Content-Length says so or not", async () => {
  for (const [path, cap] of [["/interactions", 64 * 1024], ["/webhooks/stripe", 256 * 1024], ["/webhooks/twitch", 64 * 1024]]) {
    // Declared too big: refused before a byte is read (only 1 KiB is ever sent).
    assert.equal(await rawPost(path, { declared: cap + 1, send: 1024 }), 413, `${path} with Content-Length`);
    // No Content-Length: read only up to the cap.
    assert.equal(await rawPost(path, { declared: null, send: cap + 20 * 1024 }), 413, `${path} streamed`);
  }
  // A body within the cap still gets its ordinary answer.
  const ping = JSON.stringify({ type: 1 });
  assert.equal((await w.postInteraction(ping, w.key.headers(ping))).status, 200);
});
