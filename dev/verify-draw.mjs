#!/usr/bin/env node
// Checks a raffle drop's draw from what C500 publishes, with nothing of C500's code:
//   node dev/verify-draw.mjs https://c500.example/drops/D-XXXXXXXX/draw.json   (or a saved file)
// The record holds the commitment (published when the drop was posted), the seed (published
// at the draw), every entry, and the order C500 drew. The check: SHA-256(seed) is the
// commitment, and sorting the entries by SHA-256(seed ":" discord_id) (ties by id) gives the
// same order; the first `units` entries won, the rest are the line in that order.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";

const sha256 = (text) => createHash("sha256").update(text, "utf8").digest("hex");

/** The drawn order of `entries` under `seed` (the rule above). */
export function draw(seed, entries) {
  return entries
    .map((id) => ({ id, key: sha256(`${seed}:${id}`) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((e) => e.id);
}

/** Problems with a draw record, or an empty list when it checks out. */
export function verify(record) {
  const problems = [];
  if (!record.seed) return ["the seed is not published yet: the draw has not happened"];
  if (sha256(record.seed) !== record.commitment) problems.push(`SHA-256(seed) is ${sha256(record.seed)}, not the commitment ${record.commitment}`);
  const want = draw(record.seed, [...record.entries]);
  if (JSON.stringify(want) !== JSON.stringify(record.drawn)) problems.push("the drawn order is not the one the seed gives");
  return problems;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const source = process.argv[2];
  if (!source) {
    console.error("usage: node dev/verify-draw.mjs <draw.json URL or file>");
    process.exit(2);
  }
  const record = /^https?:/.test(source) ? await (await fetch(source)).json() : JSON.parse(readFileSync(source, "utf8"));
  const problems = verify(record);
  if (problems.length) {
    for (const p of problems) console.error(`✗ ${p}`);
    process.exit(1);
  }
  console.log(`✓ ${record.listing}: the seed matches its commitment, and ${record.entries.length} entries drew in the published order`);
  console.log(`  winners (${record.units}): ${record.drawn.slice(0, record.units).join(", ")}`);
}
