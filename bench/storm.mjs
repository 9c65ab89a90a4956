// The benchmarks' storm of signed interactions (bench/hot-drop.mjs, bench/raffle.mjs), the
// percentiles they report, and how each writes its own section of docs/bench.md.
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import path from "node:path";
import { ROOT } from "../dev/migrate.mjs";

/** Replaces the section of docs/bench.md that starts with `heading` (up to the next `## `
 *  heading) with `md`, or appends it: a bench run alone keeps every other section. */
export function writeSection(heading, md) {
  const file = path.join(ROOT, "docs/bench.md");
  const current = existsSync(file) ? readFileSync(file, "utf8") : "# Benchmark\n";
  const start = current.indexOf(heading);
  if (start < 0) return writeFileSync(file, current.trimEnd() + "\n\n" + md);
  const end = current.indexOf("\n## ", start + heading.length);
  writeFileSync(file, current.slice(0, start) + md.trimEnd() + "\n" + (end >= 0 ? current.slice(end) : ""));
}

/** The p-th percentile of `xs` (NaN when empty). */
export const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
};
/** Milliseconds for a table cell. */
export const ms = (x) => (Number.isFinite(x) ? x.toFixed(1) : "—");

/** Sends each payload signed to /interactions, spread evenly over `spreadMs`, at most
 *  `inFlight` at a time. Resolves when every one is answered, with each send's `sentAt`,
 *  `answeredAt`, `status` and `reply` (JSON when 200), the start, and the most in flight. */
export async function storm(w, payloads, { spreadMs, inFlight: cap }) {
  const sent = payloads.map((payload) => ({ payload, body: JSON.stringify(payload), token: payload.token }));
  const start = performance.now();
  let next = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  await new Promise((resolve) => {
    const launch = () => {
      while (next < sent.length && inFlight < cap && performance.now() - start >= (next / sent.length) * spreadMs) {
        const c = sent[next++];
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        c.sentAt = performance.now();
        fetch(`${w.url}/interactions`, { method: "POST", headers: w.key.headers(c.body), body: c.body })
          .then(async (res) => {
            c.status = res.status;
            c.reply = res.status === 200 ? await res.json() : await res.text();
          })
          .catch((e) => (c.error = `${e}${e?.cause?.code ? ` (${e.cause.code})` : ""}`))
          .finally(() => {
            c.answeredAt = performance.now();
            inFlight--;
            if (next >= sent.length && inFlight === 0) resolve();
            else launch();
          });
      }
      if (next < sent.length) setTimeout(launch, 2);
    };
    launch();
  });
  return { sent, start, maxInFlight };
}

