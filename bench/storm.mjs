// The benchmarks' storm of signed interactions (bench/hot-drop.mjs, bench/raffle.mjs), and the
// percentiles they report.
import http from "node:http";

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
        post(`${w.url}/interactions`, w.key.headers(c.body), c.body)
          .then(({ status, text }) => {
            c.status = status;
            c.reply = status === 200 ? JSON.parse(text) : text;
          })
          .catch((e) => (c.error = String(e)))
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

/** One POST on its own connection, as Discord's requests arrive (a pooled keep-alive socket
 *  that the server closes while idle between two storms would fail a request on reuse: a
 *  client artefact, not an answer). */
function post(url, headers, body) {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { hostname: u.hostname, port: u.port, path: u.pathname, method: "POST", agent: false, headers: { ...headers, "content-length": Buffer.byteLength(body) } },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d) => (text += d));
        res.on("end", () => resolve({ status: res.statusCode, text }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}
