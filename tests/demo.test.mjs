// `make dev`'s demo shop is complete offline: every demo drop's photo ships with the repository
// (dev/demo/*.png), scripts/dev.sh puts each where the worker keeps uploads (KV photo:{id}),
// and the worker serves them on the landing page and /photos/{id}.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { startWorker } from "./harness.mjs";
import { ROOT } from "../dev/migrate.mjs";

let w;
before(async () => {
  w = await startWorker();
});
after(async () => {
  await w?.close();
});

/** The photos scripts/dev.sh loads (listing id → file), and the KV metadata it gives them. */
function devPhotos() {
  const script = readFileSync(path.join(ROOT, "scripts/dev.sh"), "utf8");
  const loop = script.match(/for photo in ([^;]+);/)?.[1] ?? "";
  const files = Object.fromEntries(loop.trim().split(/\s+/).map((pair) => {
    const [id, name] = pair.split(":");
    return [id, path.join(ROOT, "dev/demo", `${name}.png`)];
  }));
  return { files, metadata: JSON.parse(script.match(/--metadata '([^']+)'/)?.[1] ?? "null") };
}

test("every demo drop has a small PNG in the repo, loaded by make dev and served by the worker", async () => {
  const seed = readFileSync(path.join(ROOT, "dev/seed.sql"), "utf8");
  const statements = seed.replace(/--[^\n]*/g, "").split(/;\s*(?:\n|$)/).map((s) => s.trim()).filter(Boolean);
  await w.db.batch(statements.map((sql) => w.db.prepare(sql)));
  const { results } = await w.db.prepare("SELECT id, photo_type, image_url FROM listings WHERE status = 'live'").all();
  assert.ok(results.length >= 4);
  const { files: photos, metadata } = devPhotos();
  const kv = await w.mf.getKVNamespace("KV");
  for (const drop of results) {
    assert.equal(drop.image_url, null, `${drop.id}: no remote picture, offline`);
    assert.equal(drop.photo_type, "image/png", drop.id);
    const file = photos[drop.id];
    assert.ok(file, `${drop.id} is loaded by scripts/dev.sh`);
    const bytes = readFileSync(file);
    assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], `${file} is a PNG`);
    assert.ok(statSync(file).size < 20 * 1024, `${file} is small`);
    // As dev.sh's `wrangler kv key put --path … --metadata …` stores it.
    await kv.put(`photo:${drop.id}`, new Uint8Array(bytes).buffer, { metadata });
  }
  const landing = await (await w.get("/")).text();
  for (const drop of results) {
    assert.ok(landing.includes(`/photos/${drop.id}`), `${drop.id} shows its photo`);
    const res = await w.get(`/photos/${drop.id}`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "image/png");
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), readFileSync(photos[drop.id]));
  }
});
