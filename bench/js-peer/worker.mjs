// The JS peer for `make bench`: a minimal interactions worker verifying with Discord's
// official discord-interactions package, as Discord's own sample app does. It answers the
// same routes with equivalent bodies so the comparison is like for like.
import { verifyKey, InteractionType, InteractionResponseType, InteractionResponseFlags } from "discord-interactions";

// The bench passes C500's own /c500 help reply (HELP_REPLY), so both answer the same bytes;
// parsed once, as a JS app would hold a static object.
let help;
const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (request.method === "POST" && url.pathname === "/interactions") {
      const signature = request.headers.get("X-Signature-Ed25519");
      const timestamp = request.headers.get("X-Signature-Timestamp");
      const body = await request.text();
      if (!signature || !timestamp || !(await verifyKey(body, signature, timestamp, env.DISCORD_PUBLIC_KEY))) {
        return new Response("invalid request signature", { status: 401 });
      }
      const interaction = JSON.parse(body);
      if (interaction.type === InteractionType.PING) return Response.json({ type: InteractionResponseType.PONG });
      help ??= JSON.parse(env.HELP_REPLY);
      return Response.json(help);
    }
    if (url.pathname === "/") {
      const { results } = await env.DB.prepare(
        `SELECT l.id, l.title, l.price_cents FROM listings l JOIN builders b ON b.discord_id = l.seller_id
         WHERE l.status = 'live' AND l.stock > 0 AND (l.release_at IS NULL OR l.release_at <= ?1)
         ORDER BY l.created_at DESC LIMIT 24`,
      ).bind(Date.now()).all();
      const items = results.map((r) => `<li><a href="/drops/${escape(r.id)}">${escape(r.title)}</a> $${(r.price_cents / 100).toFixed(2)}</li>`).join("");
      return new Response(`<!doctype html><html><body><ul>${items}</ul></body></html>`, { headers: { "content-type": "text/html; charset=utf-8" } });
    }
    return new Response("not found", { status: 404 });
  },
};
