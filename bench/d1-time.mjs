// Where the Buy path spends D1 time (issue 11.6), the input of docs/scale.md's model of one
// database. The worker runs with D1_TIMINGS (src/entry.js logs every D1 call: its statements,
// D1's own time for each, rows read and written, and the call's time as the Worker saw it).
//
// 1. One click at a time: WINNERS distinct buyers each take a unit of a WINNERS-unit drop,
//    then LOSERS more click the sold-out drop. Every D1 call from a click's arrival to the
//    next click (the answer, the Checkout, the work after the response) is the click's.
// 2. A storm: STORM buyers within one second on a STORM_UNITS-unit drop (IN_FLIGHT at a
//    time): the hold batch's time as the Worker saw it against D1's own, i.e. the queue.
//
// Writes its section of docs/bench.md (`make bench` runs it; `node bench/d1-time.mjs` alone
// replaces the section).
import { startWorker, component, makeSeller, postDrop } from "../tests/harness.mjs";
import { storm, pct, ms, writeSection } from "./storm.mjs";

const WINNERS = Number(process.env.D1_WINNERS ?? 60);
const LOSERS = Number(process.env.D1_LOSERS ?? 60);
const STORM = Number(process.env.D1_STORM ?? 1000);
const STORM_UNITS = Number(process.env.D1_STORM_UNITS ?? 150);
const IN_FLIGHT = Number(process.env.D1_IN_FLIGHT ?? 200);
const SELLER = "2710000000000000001";
const settle = () => new Promise((r) => setTimeout(r, 400));

const w = await startWorker({ bindings: { D1_TIMINGS: "1" } });
const calls = () => w.logs.filter((l) => l.event === "d1_call");
try {
  await makeSeller(w, SELLER);

  /** Clicks one at a time; returns the D1 calls each made. */
  async function oneByOne(dropId, n, prefix) {
    const perClick = [];
    for (let i = 0; i < n; i++) {
      const before = calls().length;
      const res = await w.interact(component(`c5:v1:buy:${dropId}`, { userId: `${prefix}${String(i).padStart(18 - prefix.length + 1, "0")}` }));
      await res.text();
      await settle(); // the Checkout and the work after the response
      perClick.push(calls().slice(before));
    }
    return perClick;
  }

  const drop = await postDrop(w, SELLER, { price: "100", quantity: WINNERS, title: "Timed Board" });
  await settle();
  const winners = await oneByOne(drop.id, WINNERS, "51");
  const losers = await oneByOne(drop.id, LOSERS, "52");

  /** Per click: D1 calls, D1's own ms, wall ms; and by statement: how often, ms, rows. */
  function summary(perClick) {
    const per = perClick.map((cs) => ({
      calls: cs.length,
      d1: cs.reduce((a, c) => a + c.statements.reduce((b, s) => b + (s.ms ?? 0), 0), 0),
      wall: cs.reduce((a, c) => a + c.wall_ms, 0),
      statements: cs.reduce((a, c) => a + c.statements.length, 0),
    }));
    const byStatement = new Map();
    for (const cs of perClick) {
      for (const c of cs) {
        for (const s of c.statements) {
          const key = `${c.kind}: ${s.sql}`;
          const e = byStatement.get(key) ?? { n: 0, ms: [], read: 0, written: 0 };
          e.n++;
          e.ms.push(s.ms ?? 0);
          e.read += s.read ?? 0;
          e.written += s.written ?? 0;
          byStatement.set(key, e);
        }
      }
    }
    return { per, byStatement, clicks: perClick.length };
  }
  const win = summary(winners);
  const lose = summary(losers);

  // The storm: the hold batch as the Worker saw it (queue included) against D1's own time.
  const stormDrop = await postDrop(w, SELLER, { price: "100", quantity: STORM_UNITS, title: "Stormed Board" });
  await settle();
  const before = calls().length;
  const buyers = Array.from({ length: STORM }, (_, i) => `53${String(i).padStart(17, "0")}`);
  await storm(w, buyers.map((b) => component(`c5:v1:buy:${stormDrop.id}`, { userId: b })), { spreadMs: 1000, inFlight: IN_FLIGHT });
  await new Promise((r) => setTimeout(r, 3000));
  const isHold = (c) => c.kind === "batch" && c.statements.some((s) => /^INSERT INTO reservations/i.test(s.sql));
  const stormHolds = calls().slice(before).filter(isHold);
  const idleHolds = winners.flat().concat(losers.flat()).filter(isHold);
  const own = (c) => c.statements.reduce((a, s) => a + (s.ms ?? 0), 0);

  const sumMs = (s) => s.per.reduce((a, p) => a + p.d1, 0) / s.clicks;
  const avg = (s, k) => s.per.reduce((a, p) => a + p[k], 0) / s.clicks;
  let md = `## D1 time of Buy\n\nWritten by \`node bench/d1-time.mjs\` on ${new Date().toISOString().slice(0, 10)}: the worker in workerd (Miniflare) with local D1 and the stand-ins, every D1 call logged (\`D1_TIMINGS\`, src/entry.js). "D1 ms" is D1's own time for a statement (\`meta.duration\`); "wall" is the call as the Worker saw it. docs/scale.md's model reads these figures.\n\n`;
  md += `| one click at a time | clicks | D1 calls per click | statements per click | D1 ms per click (mean) | wall ms per click (mean) |\n|---|---:|---:|---:|---:|---:|\n`;
  md += `| Buy that takes a unit (answer, Checkout, work after the response) | ${win.clicks} | ${avg(win, "calls").toFixed(1)} | ${avg(win, "statements").toFixed(1)} | ${sumMs(win).toFixed(3)} | ${avg(win, "wall").toFixed(1)} |\n`;
  md += `| Buy on the sold-out drop | ${lose.clicks} | ${avg(lose, "calls").toFixed(1)} | ${avg(lose, "statements").toFixed(1)} | ${sumMs(lose).toFixed(3)} | ${avg(lose, "wall").toFixed(1)} |\n`;
  for (const [name, s] of [["a Buy that takes a unit", win], ["a Buy on the sold-out drop", lose]]) {
    md += `\nStatements of ${name}, per click (D1's own ms: mean and p99 over every run of the statement):\n\n| call: statement | per click | D1 ms mean | D1 ms p99 | rows read per run | rows written per run |\n|---|---:|---:|---:|---:|---:|\n`;
    const rows = [...s.byStatement.entries()].sort((a, b) => b[1].ms.reduce((x, y) => x + y, 0) - a[1].ms.reduce((x, y) => x + y, 0));
    for (const [key, e] of rows) {
      const mean = e.ms.reduce((a, b) => a + b, 0) / e.n;
      md += `| \`${key.replace(/\|/g, "\\|")}\` | ${(e.n / s.clicks).toFixed(2)} | ${mean.toFixed(3)} | ${pct(e.ms, 99).toFixed(3)} | ${(e.read / e.n).toFixed(1)} | ${(e.written / e.n).toFixed(1)} |\n`;
    }
  }
  md += `\nThe hold batch (the statement that takes the unit and the rules around it, one D1 call), idle and in a storm of ${STORM} buyers within one second on a ${STORM_UNITS}-unit drop (at most ${IN_FLIGHT} in flight):\n\n| hold batch | runs | D1 ms p50 / p99 | wall ms p50 / p99 | wall − D1 p99 (queue, transport) |\n|---|---:|---:|---:|---:|\n`;
  for (const [name, hs] of [["one click at a time", idleHolds], ["storm", stormHolds]]) {
    const d1 = hs.map(own);
    const wall = hs.map((c) => c.wall_ms);
    const gap = hs.map((c) => c.wall_ms - own(c));
    md += `| ${name} | ${hs.length} | ${ms(pct(d1, 50))} / ${ms(pct(d1, 99))} | ${ms(pct(wall, 50))} / ${ms(pct(wall, 99))} | ${ms(pct(gap, 99))} |\n`;
  }
  console.log(md);
  writeSection("## D1 time of Buy", md);
} finally {
  await w.close();
}
