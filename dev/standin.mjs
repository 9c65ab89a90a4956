// A stateful local stand-in for the Discord, Stripe and Twitch APIs the worker calls.
//
// Point DISCORD_API_BASE / STRIPE_API_BASE / TWITCH_API_BASE / TWITCH_AUTH_BASE at it
// (http://127.0.0.1:8790/discord/api/v10, /stripe, /twitch, /twitch-auth). It:
//   * validates every Discord body against Discord's OpenAPI spec (400 Invalid Form Body if not),
//   * checks Stripe auth and Idempotency-Key on every POST, replaying the first answer for a key,
//   * records every call (GET /_standin/calls) so tests and people can see what happened,
//   * sends signed Stripe webhooks back to the worker (POST /_standin/stripe/events),
//   * can be told to fail the next N Discord calls (POST /_standin/discord/fail).
//
// Run alone: node dev/standin.mjs [--port 8790] [--worker http://127.0.0.1:8787]
import http from "node:http";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import Stripe from "stripe";
import { createHmac } from "node:crypto";
import { validateRestRequest } from "./discord-spec.mjs";
import { checkStripeRequest } from "./stripe-params.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const FIXTURES_PATH = process.env.STRIPE_FIXTURES ?? path.join(here, "../specs/stripe-fixtures3.json");

let fixtures;
function fixture(resource) {
  if (!fixtures && !existsSync(FIXTURES_PATH)) {
    throw new Error(`Stripe's fixtures are not at ${FIXTURES_PATH}: the repository carries them in specs/ (or set STRIPE_FIXTURES)`);
  }
  fixtures ??= JSON.parse(readFileSync(FIXTURES_PATH, "utf8")).resources;
  const f = fixtures[resource];
  if (!f) throw new Error(`no Stripe fixture for ${resource}`);
  return structuredClone(f);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function send(res, status, body, headers = {}) {
  const text = body === undefined ? "" : JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(text);
}

let counter = 0;
function snowflake() {
  // Discord epoch-based, monotonic enough for a stand-in.
  counter += 1;
  return ((BigInt(Date.now() - 1420070400000) << 22n) + BigInt(counter)).toString();
}
function stripeId(prefix) {
  counter += 1;
  return `${prefix}_standin${Date.now().toString(36)}${counter.toString(36)}`;
}

const DEMO_ADDRESS = { name: "Cozy Buyer", address: { line1: "1 Keycap Lane", line2: null, city: "Portland", state: "OR", postal_code: "97201", country: "US" } };

export async function startStandin({
  port = 0,
  host = "127.0.0.1",
  workerUrl = "http://127.0.0.1:8787",
  stripeWebhookSecret = "whsec_local_dev",
  stripeSecretKey = "sk_test_local_dev",
  discordBotToken = "local-dev-bot-token",
  discordClientId = "1100000000000000001",
  discordClientSecret = "local-discord-client-secret",
  twitchClientId = "local-twitch-client",
  twitchClientSecret = "local-twitch-secret",
  quiet = true,
} = {}) {
  const state = {
    calls: [],
    violations: [],
    commands: new Map(), // scope ("global" | guild id) → registered commands
    messages: new Map(), // message id → message
    idempotency: new Map(), // key → { status, body, fingerprint }
    discordFailures: [], // queued injected failures
    stripeFailures: [], // queued injected Stripe failures ({ status, path?, code? }, { delayMs }, { lost })
    stripeRateLimit: null, // { global, perEndpoint } per second: emulate Stripe's rate limiter
    stripeWindow: { all: [], byEndpoint: new Map() },
    stripeRateLimited: [], // the 429s it answered
    discordBucket: null, // { limit, resetAfterMs }: emulate Discord's per-route buckets
    discordBuckets: new Map(),
    discordRateLimited: [], // the 429s those buckets (and the global limit) answered
    discordGlobal: null, // { perSecond }: emulate Discord's global limit on bot-token calls
    discordBotCalls: [], // when the bot-token calls of the last second were made
    heldEvents: [], // webhooks held back (autoWebhooks "hold") for a test to deliver
    liveLogins: new Set(),
    autoWebhooks: true,
    twitch: { users: new Map(), codes: new Map(), tokens: new Map(), subscriptions: [] },
    // Sign in with Discord: codes and user tokens it issued, and the tokens C500 revoked.
    discordOAuth: { codes: new Map(), tokens: new Map(), revoked: [] },
  };
  const stripe = new Stripe(stripeSecretKey);
  const self = { url: "" }; // filled in once listening
  let worker = workerUrl;

  function record(call) {
    state.calls.push({ at: Date.now(), ...call });
    if (!quiet) console.log(`[standin] ${call.service} ${call.method} ${call.path} → ${call.status}`);
  }

  // Discord's per-route buckets, emulated when a test sets state.discordBucket = { limit,
  // resetAfterMs } (off by default): each route with its top-level resource (a channel's
  // messages) has `limit` calls per window, every answer carries X-RateLimit-* headers, and
  // a call beyond the limit is a 429, counted in state.discordRateLimited (each one is an
  // "invalid request" to Discord: 10,000 in 10 minutes ban the IP).
  function discordBucket(method, rest) {
    const limit = state.discordBucket;
    const m = rest.match(/^\/channels\/([^/]+)\/messages(\/\d+)?$/);
    if (!limit || !m) return null;
    const key = `${method} /channels/${m[1]}/messages${m[2] ? "/:id" : ""}`;
    const now = Date.now();
    let bucket = state.discordBuckets.get(key);
    if (!bucket || now >= bucket.resetAt) {
      bucket = { key, limit: limit.limit, remaining: limit.limit, resetAt: now + limit.resetAfterMs };
      state.discordBuckets.set(key, bucket);
    }
    return bucket;
  }
  const bucketHeaders = (b) => ({
    "x-ratelimit-limit": String(b.limit),
    "x-ratelimit-remaining": String(b.remaining),
    "x-ratelimit-reset-after": ((b.resetAt - Date.now()) / 1000).toFixed(3),
    "x-ratelimit-bucket": Buffer.from(b.key).toString("hex").slice(0, 32),
  });

  // Discord's global limit, emulated when state.discordGlobal = { perSecond } (off by
  // default): calls made with the bot token (not interaction responses or follow-ups, which
  // Discord does not count) beyond perSecond in any second are a global 429.
  function overGlobal(req) {
    if (!state.discordGlobal || !/^Bot /.test(req.headers.authorization ?? "")) return null;
    const now = Date.now();
    while (state.discordBotCalls.length && state.discordBotCalls[0] <= now - 1000) state.discordBotCalls.shift();
    if (state.discordBotCalls.length >= state.discordGlobal.perSecond) return Math.max(0.001, (state.discordBotCalls[0] + 1000 - now) / 1000);
    state.discordBotCalls.push(now);
    return null;
  }

  async function handleDiscord(req, res, rest, bodyBuf) {
    const globalWait = overGlobal(req);
    if (globalWait !== null) {
      state.discordRateLimited.push({ method: req.method, path: rest, at: Date.now(), global: true });
      return [429, { message: "You are being rate limited.", retry_after: globalWait, global: true },
        { "retry-after": String(Math.ceil(globalWait)), "x-ratelimit-global": "true", "x-ratelimit-scope": "global" }];
    }
    const bucket = discordBucket(req.method, rest);
    if (bucket && bucket.remaining === 0) {
      const retryAfter = Math.max(0, (bucket.resetAt - Date.now()) / 1000);
      state.discordRateLimited.push({ method: req.method, path: rest, at: Date.now() });
      return [429, { message: "You are being rate limited.", retry_after: retryAfter, global: false },
        { ...bucketHeaders(bucket), "retry-after": String(Math.ceil(retryAfter)), "x-ratelimit-scope": "user" }];
    }
    if (bucket) bucket.remaining -= 1;
    const [status, out, headers] = await discordRoute(req, res, rest, bodyBuf);
    return [status, out, bucket ? { ...(headers ?? {}), ...bucketHeaders(bucket) } : headers];
  }

  // Sign in with Discord (OAuth2 authorization code, scope identify): the consent page
  // (discordAuthorize), the token exchange and revocation (form bodies, client id and secret
  // in the body as Discord allows) and GET /users/@me with the user's Bearer token.
  function discordAuthorize({ id, username, state: stateParam, redirect_uri: redirectUri, deny }) {
    const u = new URL(redirectUri);
    if (deny) {
      u.searchParams.set("error", "access_denied");
      u.searchParams.set("error_description", "The resource owner or authorization server denied the request");
    } else {
      const code = `dc-${stripeId("code")}`;
      state.discordOAuth.codes.set(code, { user: { id, username, global_name: username, avatar: null, discriminator: "0", public_flags: 0 }, redirectUri });
      u.searchParams.set("code", code);
    }
    u.searchParams.set("state", stateParam ?? "");
    return u.toString();
  }

  function discordOAuthRoute(req, rest, bodyBuf) {
    const auth = req.headers.authorization ?? "";
    const oauthError = (status, error) => [status, { error, error_description: error }];
    if ((rest === "/oauth2/token" || rest === "/oauth2/token/revoke") && req.method === "POST") {
      if (!String(req.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded")) return oauthError(400, "invalid_request");
      const p = new URLSearchParams(bodyBuf.toString("utf8"));
      if (p.get("client_id") !== discordClientId || p.get("client_secret") !== discordClientSecret) return oauthError(401, "invalid_client");
      if (rest === "/oauth2/token/revoke") {
        state.discordOAuth.tokens.delete(p.get("token"));
        state.discordOAuth.revoked.push(p.get("token"));
        return [200, {}];
      }
      if (p.get("grant_type") !== "authorization_code") return oauthError(400, "unsupported_grant_type");
      const grant = state.discordOAuth.codes.get(p.get("code"));
      if (!grant || grant.redirectUri !== p.get("redirect_uri")) return oauthError(400, "invalid_grant");
      state.discordOAuth.codes.delete(p.get("code")); // single use, as Discord's are
      const token = `dt-${stripeId("tok")}`;
      state.discordOAuth.tokens.set(token, grant.user);
      return [200, { access_token: token, token_type: "Bearer", expires_in: 604800, refresh_token: `r-${token}`, scope: "identify" }];
    }
    if (rest === "/users/@me" && req.method === "GET" && auth.startsWith("Bearer ")) {
      const user = state.discordOAuth.tokens.get(auth.slice("Bearer ".length));
      if (!user) return [401, { code: 0, message: "401: Unauthorized" }];
      return [200, user];
    }
    return null;
  }

  async function discordWebRoute(req, res, rest, bodyBuf, url) {
    const q = url.searchParams;
    if (rest !== "/oauth2/authorize") return [404, { message: "stand-in has no such page" }];
    if (q.get("client_id") !== discordClientId || q.get("response_type") !== "code" || !(q.get("scope") ?? "").split(" ").includes("identify") || !q.get("redirect_uri")) {
      return [400, { error: "invalid_request", error_description: "client_id, response_type=code, scope identify and redirect_uri are required" }];
    }
    if (req.method === "GET") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end(`<!doctype html><html lang="en"><meta charset="utf-8"><title>Discord (stand-in)</title><body style="font-family:sans-serif;max-width:40rem;margin:4rem auto">
        <main><h1>Sign in to C500 with Discord (stand-in)</h1><p>C500 will learn your Discord id and name (scope identify).</p>
        <form method="post" action="/discord-web/oauth2/authorize?${q}">
        <p><label>Discord id <input name="id" value="1400000000000000042"></label></p>
        <p><label>Username <input name="username" value="cozybuyer"></label></p>
        <button name="decision" value="authorize">Authorize</button> <button name="decision" value="cancel">Cancel</button></form></main>`);
      return null;
    }
    if (req.method === "POST") {
      const form = new URLSearchParams(bodyBuf.toString("utf8"));
      const location = discordAuthorize({
        id: form.get("id") || "1400000000000000042",
        username: form.get("username") || "cozybuyer",
        state: q.get("state"),
        redirect_uri: q.get("redirect_uri"),
        deny: form.get("decision") === "cancel",
      });
      res.writeHead(302, { location });
      res.end();
      return null;
    }
    return [405, { message: "method not allowed" }];
  }

  async function discordRoute(req, res, rest, bodyBuf) {
    const oauth = discordOAuthRoute(req, rest, bodyBuf);
    if (oauth) return oauth;
    const auth = req.headers.authorization ?? "";
    let body = null;
    if (bodyBuf.length) {
      try {
        body = JSON.parse(bodyBuf.toString("utf8"));
      } catch {
        return [400, { code: 50109, message: "The request body contains invalid JSON." }];
      }
    }
    // Interaction webhooks (followups, @original) are authorised by their token, not the bot.
    const isWebhook = rest.startsWith("/webhooks/");
    if (!isWebhook && auth !== `Bot ${discordBotToken}`) return [401, { code: 0, message: "401: Unauthorized" }];
    const check = validateRestRequest(req.method, rest, body);
    if (!check.ok) {
      state.violations.push({ method: req.method, path: rest, errors: check.errors, body });
      return [400, { code: 50035, message: "Invalid Form Body", errors: check.errors }];
    }
    const injected = state.discordFailures.shift();
    if (injected) {
      if (injected.status === 429) {
        const retryAfter = injected.retryAfter ?? 1;
        return [429, { message: "You are being rate limited.", retry_after: retryAfter, global: false }, { "retry-after": String(Math.ceil(retryAfter)) }];
      }
      return [injected.status, { code: 0, message: "injected failure" }];
    }
    let m;
    if ((m = rest.match(/^\/applications\/(\d+)\/(?:guilds\/(\d+)\/)?commands$/)) && req.method === "PUT") {
      const scope = m[2] ?? "global";
      const saved = body.map((c) => ({ id: snowflake(), application_id: m[1], version: snowflake(), ...c }));
      state.commands.set(scope, saved);
      return [200, saved];
    }
    if ((m = rest.match(/^\/applications\/(\d+)\/(?:guilds\/(\d+)\/)?commands$/)) && req.method === "GET") {
      return [200, state.commands.get(m[2] ?? "global") ?? []];
    }
    if (rest === "/users/@me/channels" && req.method === "POST") {
      return [200, { id: `dm${body.recipient_id}`, type: 1, recipients: [{ id: body.recipient_id }] }];
    }
    if ((m = rest.match(/^\/channels\/([^/]+)\/messages$/)) && req.method === "POST") {
      const msg = { id: snowflake(), channel_id: m[1], ...body, timestamp: new Date().toISOString() };
      state.messages.set(msg.id, msg);
      return [200, msg];
    }
    if ((m = rest.match(/^\/channels\/([^/]+)\/messages\/(\d+)$/)) && req.method === "PATCH") {
      const prev = state.messages.get(m[2]);
      if (!prev) return [404, { code: 10008, message: "Unknown Message" }];
      const msg = { ...prev, ...body, edited_timestamp: new Date().toISOString() };
      state.messages.set(m[2], msg);
      return [200, msg];
    }
    if ((m = rest.match(/^\/webhooks\/(\d+)\/([^/]+)(?:\/messages\/(@original|\d+))?$/))) {
      const msg = { id: m[3] === "@original" ? `original-${m[2]}` : snowflake(), ...body };
      state.messages.set(msg.id, msg);
      return [200, msg];
    }
    if ((m = rest.match(/^\/guilds\/(\d+)\/members\/(\d+)\/roles\/(\d+)$/)) && ["PUT", "DELETE"].includes(req.method)) {
      return [204, undefined];
    }
    return [404, { code: 0, message: "404: Not Found (stand-in has no such route yet)" }];
  }

  async function handleStripe(req, res, rest, bodyBuf) {
    const auth = req.headers.authorization ?? "";
    if (auth !== `Bearer ${stripeSecretKey}`) {
      return [401, { error: { type: "invalid_request_error", message: "Invalid API Key provided" } }];
    }
    const url = new URL(req.url, "http://standin");
    const form = req.method === "GET" ? url.searchParams : new URLSearchParams(bodyBuf.toString("utf8"));
    const check = checkStripeRequest(req.method, rest, form);
    if (!check.ok) {
      state.violations.push({ method: req.method, path: rest, errors: check.errors, body: check.params });
      return [400, { error: { type: "invalid_request_error", message: check.errors.join("; ") } }];
    }
    // Stripe's rate limits, emulated when state.stripeRateLimit = { global, perEndpoint } is set
    // (off by default; bench/hot-drop.mjs sets live mode's 100/s and 25/s): requests in the
    // last second, overall and per endpoint (ids generalised); beyond them, Stripe's 429.
    if (state.stripeRateLimit) {
      const now = Date.now();
      const endpoint = `${req.method} ${rest.replace(/\/(cs|pi|ch|re|tr|trr|acct|evt|cus)_[A-Za-z0-9_]+/g, "/:id")}`;
      const recent = (list) => {
        while (list.length && list[0] <= now - 1000) list.shift();
        return list;
      };
      const all = recent(state.stripeWindow.all);
      const one = recent(state.stripeWindow.byEndpoint.get(endpoint) ?? []);
      state.stripeWindow.byEndpoint.set(endpoint, one);
      if (all.length >= state.stripeRateLimit.global || one.length >= state.stripeRateLimit.perEndpoint) {
        state.stripeRateLimited.push({ endpoint, at: now });
        return [429, { error: { type: "invalid_request_error", code: "rate_limit", message: "Too many requests hit the API too quickly." } }];
      }
      all.push(now);
      one.push(now);
    }
    const key = req.headers["idempotency-key"];
    if (req.method === "POST") {
      if (!key) {
        state.violations.push({ method: req.method, path: rest, errors: ["missing Idempotency-Key"] });
        return [400, { error: { type: "invalid_request_error", message: "C500 requires an Idempotency-Key on every POST" } }];
      }
      const fingerprint = `${rest}\n${bodyBuf.toString("utf8")}`;
      const seen = state.idempotency.get(key);
      if (seen?.inFlight) {
        // As Stripe does while the first request with a key is still running.
        return [409, { error: { type: "idempotency_error", message: "There is currently another in-progress request using this Idempotency Key. Please try again later." } }];
      }
      if (seen) {
        if (seen.fingerprint !== fingerprint) {
          return [400, { error: { type: "idempotency_error", message: "Keys for idempotent requests can only be used with the same parameters they were first used with." } }];
        }
        return [seen.status, seen.body, { "idempotent-replayed": "true" }];
      }
      state.idempotency.set(key, { inFlight: true, fingerprint });
    }
    // An injected failure applies to the next call (or the next call whose path matches).
    const at = state.stripeFailures.findIndex((f) => !f.path || new RegExp(f.path).test(rest));
    const injected = at >= 0 ? state.stripeFailures.splice(at, 1)[0] : undefined;
    if (injected?.delayMs) await new Promise((r) => setTimeout(r, injected.delayMs));
    if (injected?.status) {
      const type = injected.status < 500 ? "invalid_request_error" : "api_error";
      const body = { error: { type, code: injected.code, message: injected.message ?? "injected failure" } };
      // As Stripe does: a request refused while executing (a 4xx such as balance_insufficient)
      // saves its result for the key; a 5xx, 429 or 409 saves none, so the key may be retried.
      if (req.method === "POST") {
        if (injected.status < 500 && ![409, 429].includes(injected.status)) {
          state.idempotency.set(key, { status: injected.status, body, fingerprint: `${rest}\n${bodyBuf.toString("utf8")}` });
        } else {
          state.idempotency.delete(key);
        }
      }
      return [injected.status, body];
    }
    if (injected?.lost) {
      // The call reaches Stripe and does its work, but the answer never reaches C500.
      const [status, body] = stripeRoute(req.method, rest, check.params);
      if (req.method === "POST") state.idempotency.set(key, { status, body, fingerprint: `${rest}\n${bodyBuf.toString("utf8")}` });
      return [502, { error: { type: "api_error", message: "injected: the answer was lost" } }];
    }
    const [status, body] = stripeRoute(req.method, rest, check.params);
    if (req.method === "POST") state.idempotency.set(key, { status, body, fingerprint: `${rest}\n${bodyBuf.toString("utf8")}` });
    return [status, body];
  }

  // Twitch: OAuth (authorization code and client credentials), Helix Get Users / Get
  // Streams, EventSub subscriptions with the real verification handshake and signed
  // notifications (HMAC-SHA256 over id + timestamp + body).
  const twitchUser = (login) => {
    if (!state.twitch.users.has(login)) state.twitch.users.set(login, { id: String(41000000 + state.twitch.users.size + 1), login, display_name: login });
    return state.twitch.users.get(login);
  };
  const twitchError = (status, message) => [status, { error: status === 401 ? "Unauthorized" : "Bad Request", status, message }];

  function twitchAuthorize(login, stateParam, redirectUri) {
    const code = `code-${stripeId("tw")}`;
    state.twitch.codes.set(code, { login, redirectUri });
    const u = new URL(redirectUri);
    u.searchParams.set("code", code);
    u.searchParams.set("scope", "");
    u.searchParams.set("state", stateParam);
    return u.toString();
  }

  async function handleTwitchAuth(req, res, rest, bodyBuf, url) {
    if (rest === "/oauth2/authorize" && req.method === "GET") {
      const q = url.searchParams;
      if (q.get("client_id") !== twitchClientId) return twitchError(400, "invalid client");
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end(`<!doctype html><meta charset="utf-8"><title>Twitch (stand-in)</title><body style="font-family:sans-serif;max-width:40rem;margin:4rem auto">
        <h1>Authorize C500 (stand-in)</h1><form method="post" action="/twitch-auth/oauth2/authorize?${q}">
        <label>Twitch login <input name="login" value="keyz"></label> <button>Authorize</button></form>`);
      return null;
    }
    if (rest === "/oauth2/authorize" && req.method === "POST") {
      const q = url.searchParams;
      const login = new URLSearchParams(bodyBuf.toString("utf8")).get("login") || "keyz";
      res.writeHead(302, { location: twitchAuthorize(login, q.get("state") ?? "", q.get("redirect_uri")) });
      res.end();
      return null;
    }
    if (rest === "/oauth2/token" && req.method === "POST") {
      const p = new URLSearchParams(bodyBuf.toString("utf8"));
      if (p.get("client_id") !== twitchClientId || p.get("client_secret") !== twitchClientSecret) return twitchError(403, "invalid client secret");
      if (p.get("grant_type") === "client_credentials") {
        const token = `app-${stripeId("tok")}`;
        state.twitch.tokens.set(token, { app: true });
        return [200, { access_token: token, expires_in: 5011271, token_type: "bearer" }];
      }
      if (p.get("grant_type") === "authorization_code") {
        const grant = state.twitch.codes.get(p.get("code"));
        if (!grant || grant.redirectUri !== p.get("redirect_uri")) return twitchError(400, "Invalid authorization code");
        state.twitch.codes.delete(p.get("code")); // single use, as Twitch's are
        const token = `user-${stripeId("tok")}`;
        state.twitch.tokens.set(token, { login: grant.login });
        return [200, { access_token: token, refresh_token: `refresh-${token}`, expires_in: 14124, scope: [], token_type: "bearer" }];
      }
      return twitchError(400, "unsupported grant_type");
    }
    return [404, { error: "Not Found", status: 404, message: "stand-in has no such route" }];
  }

  async function handleTwitchApi(req, res, rest, bodyBuf, url) {
    if (req.headers["client-id"] !== twitchClientId) return twitchError(401, "Client-Id header required");
    const token = state.twitch.tokens.get((req.headers.authorization ?? "").replace(/^Bearer /, ""));
    if (!token) return twitchError(401, "Invalid OAuth token");
    if (rest === "/helix/users" && req.method === "GET") {
      if (!token.login) return twitchError(400, "a user token is required");
      return [200, { data: [twitchUser(token.login)] }];
    }
    if (rest === "/helix/streams" && req.method === "GET") {
      const ids = url.searchParams.getAll("user_id");
      const data = [...state.twitch.users.values()]
        .filter((u) => ids.includes(u.id) && state.liveLogins.has(u.login))
        .map((u) => ({ id: `stream-${u.id}`, user_id: u.id, user_login: u.login, user_name: u.display_name, type: "live", title: "Building a cozy board", started_at: new Date().toISOString() }));
      return [200, { data, pagination: {} }];
    }
    if (rest === "/helix/eventsub/subscriptions" && req.method === "POST") {
      if (!token.app) return twitchError(401, "an app access token is required");
      const body = JSON.parse(bodyBuf.toString("utf8"));
      const { type, version, condition, transport } = body;
      if (type !== "stream.offline" || version !== "1" || !condition?.broadcaster_user_id || transport?.method !== "webhook" || !transport.callback || !(transport.secret?.length >= 10)) {
        return twitchError(400, "invalid subscription");
      }
      if (state.twitch.subscriptions.some((s) => s.type === type && s.condition.broadcaster_user_id === condition.broadcaster_user_id)) {
        return [409, { error: "Conflict", status: 409, message: "subscription already exists" }];
      }
      const sub = { id: stripeId("sub"), status: "webhook_callback_verification_pending", type, version, condition, created_at: new Date().toISOString(), transport: { method: "webhook", callback: transport.callback }, cost: 1, secret: transport.secret };
      state.twitch.subscriptions.push(sub);
      // Twitch proves the callback at once: a signed challenge it must echo.
      setTimeout(() => sendEventSub(sub, "webhook_callback_verification", { challenge: `challenge-${sub.id}` }).then((r) => {
        if (r.status === 200 && r.body === `challenge-${sub.id}`) sub.status = "enabled";
      }).catch(() => {}), 0);
      const { secret, ...shown } = sub;
      return [202, { data: [shown], total: state.twitch.subscriptions.length, total_cost: state.twitch.subscriptions.length, max_total_cost: 10000 }];
    }
    return [404, { error: "Not Found", status: 404, message: "stand-in has no such route" }];
  }

  /** Signs and delivers one EventSub message to a subscription's callback. */
  async function sendEventSub(sub, type, extra = {}, { id = stripeId("msg"), timestamp = new Date().toISOString(), secret = sub.secret } = {}) {
    const { secret: _hidden, ...subscription } = sub;
    const body = JSON.stringify({ subscription, ...extra });
    const signature = "sha256=" + createHmac("sha256", secret).update(id + timestamp + body).digest("hex");
    const target = new URL(sub.transport.callback);
    const callback = new URL(target.pathname, worker).toString(); // the worker under test, wherever it listens
    const r = await fetch(callback, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "twitch-eventsub-message-id": id,
        "twitch-eventsub-message-timestamp": timestamp,
        "twitch-eventsub-message-signature": signature,
        "twitch-eventsub-message-type": type,
        "twitch-eventsub-subscription-type": sub.type,
      },
      body,
    });
    const text = await r.text();
    record({ service: "twitch-eventsub", method: "POST", path: target.pathname, status: r.status, type });
    return { status: r.status, body: text, id, timestamp, payload: body, signature };
  }

  // Stripe objects, built on Stripe's fixtures and kept, so later calls see earlier ones.
  const stripeObjects = new Map(); // id → object
  const now = () => Math.floor(Date.now() / 1000);
  function create(resource, prefix, fields) {
    const object = { ...fixture(resource), id: stripeId(prefix), created: now(), livemode: false, ...fields };
    stripeObjects.set(object.id, object);
    return object;
  }
  const notFound = (id) => [404, { error: { type: "invalid_request_error", code: "resource_missing", message: `No such object: '${id}'` } }];

  // A refund, as POST /v1/refunds or the Dashboard makes it (Stripe refuses what is left of a
  // charge in dispute, and more than is left).
  function refundRoute(p) {
    const pi = p.payment_intent ? stripeObjects.get(p.payment_intent) : null;
    if (p.payment_intent && !pi) return notFound(p.payment_intent);
    const charge = stripeObjects.get(p.charge ?? pi?.latest_charge);
    if (!charge) return [400, { error: { type: "invalid_request_error", message: "This PaymentIntent has no charge to refund." } }];
    const dispute = [...stripeObjects.values()].find((o) => o.object === "dispute" && o.charge === charge.id);
    if (dispute && dispute.status !== "won") {
      return [400, { error: { type: "invalid_request_error", code: "charge_disputed", message: `Charge ${charge.id} has been charged back; it cannot be refunded.` } }];
    }
    const remaining = charge.amount - charge.amount_refunded;
    const amount = p.amount ? Number(p.amount) : remaining;
    if (amount > remaining || remaining === 0) {
      return [400, { error: { type: "invalid_request_error", code: "charge_already_refunded", message: `Charge ${charge.id} has already been refunded.` } }];
    }
    charge.amount_refunded += amount;
    charge.refunded = charge.amount_refunded >= charge.amount;
    const refund = create("refund", "re", { object: "refund", amount, charge: charge.id, payment_intent: charge.payment_intent,
      status: "succeeded", reason: p.reason ?? null, metadata: p.metadata ?? {} });
    later({ type: "charge.refunded", object: structuredClone(charge) });
    return [200, refund];
  }

  function stripeRoute(method, rest, p) {
    let m;
    if (method === "POST" && rest === "/v1/accounts") {
      return [200, create("account", "acct", { type: p.type ?? "express", country: p.country ?? "US", email: p.email ?? null,
        metadata: p.metadata ?? {}, charges_enabled: false, payouts_enabled: false, details_submitted: false })];
    }
    if ((m = rest.match(/^\/v1\/accounts\/([^/]+)$/)) && method === "GET") {
      return stripeObjects.has(m[1]) ? [200, stripeObjects.get(m[1])] : notFound(m[1]);
    }
    if (method === "POST" && rest === "/v1/account_links") {
      if (!stripeObjects.has(p.account)) return notFound(p.account);
      return [200, { ...fixture("account_link"), created: now(), expires_at: now() + 300,
        url: `${self.url}/_standin/stripe/onboarding/${p.account}?type=${p.type}&return=${encodeURIComponent(p.return_url ?? "")}` }];
    }
    if ((m = rest.match(/^\/v1\/accounts\/([^/]+)\/login_links$/)) && method === "POST") {
      if (!stripeObjects.has(m[1])) return notFound(m[1]);
      return [200, { ...fixture("login_link"), created: now(), url: `${self.url}/_standin/stripe/express/${m[1]}` }];
    }
    if (method === "POST" && rest === "/v1/checkout/sessions") {
      const items = Object.values(p.line_items ?? {});
      const total = items.reduce((sum, li) => sum + Number(li.price_data?.unit_amount ?? 0) * Number(li.quantity ?? 1), 0);
      const session = create("checkout.session", "cs_test", {
        object: "checkout.session", mode: p.mode, status: "open", payment_status: "unpaid", amount_total: total, amount_subtotal: total,
        currency: items[0]?.price_data?.currency ?? "usd", metadata: p.metadata ?? {}, client_reference_id: p.client_reference_id ?? null,
        expires_at: Number(p.expires_at ?? now() + 86400), success_url: p.success_url, cancel_url: p.cancel_url, payment_intent: null,
      });
      // Kept for the PaymentIntent made when the session is paid (not part of Stripe's session object).
      Object.defineProperty(session, "payment_intent_metadata", { value: p.payment_intent_data?.metadata ?? {}, enumerable: false });
      Object.defineProperty(session, "transfer_group", { value: p.payment_intent_data?.transfer_group ?? null, enumerable: false });
      session.url = `${self.url}/_standin/stripe/checkout/${session.id}`;
      return [200, session];
    }
    if ((m = rest.match(/^\/v1\/checkout\/sessions\/([^/]+)$/)) && method === "GET") {
      return stripeObjects.has(m[1]) ? [200, stripeObjects.get(m[1])] : notFound(m[1]);
    }
    if ((m = rest.match(/^\/v1\/checkout\/sessions\/([^/]+)\/expire$/)) && method === "POST") {
      const session = stripeObjects.get(m[1]);
      if (!session) return notFound(m[1]);
      if (session.status !== "open") {
        return [400, { error: { type: "invalid_request_error", message: `Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session has a status of "${session.status}".` } }];
      }
      Object.assign(session, { status: "expired", url: null });
      later({ type: "checkout.session.expired", object: structuredClone(session) });
      return [200, session];
    }
    if ((m = rest.match(/^\/v1\/payment_intents\/([^/]+)$/)) && method === "GET") {
      return stripeObjects.has(m[1]) ? [200, stripeObjects.get(m[1])] : notFound(m[1]);
    }
    if (method === "POST" && rest === "/v1/transfers") {
      if (p.source_transaction && !stripeObjects.has(p.source_transaction)) return notFound(p.source_transaction);
      return [200, create("transfer", "tr", { object: "transfer", amount: Number(p.amount), currency: p.currency, destination: p.destination,
        source_transaction: p.source_transaction ?? null, transfer_group: p.transfer_group ?? null, metadata: p.metadata ?? {}, reversed: false, amount_reversed: 0 })];
    }
    if ((m = rest.match(/^\/v1\/transfers\/([^/]+)\/reversals$/)) && method === "POST") {
      const transfer = stripeObjects.get(m[1]);
      if (!transfer) return notFound(m[1]);
      const amount = Number(p.amount ?? transfer.amount - transfer.amount_reversed);
      if (amount > transfer.amount - transfer.amount_reversed) {
        return [400, { error: { type: "invalid_request_error", message: "Reversal amount exceeds the transfer's remaining amount." } }];
      }
      transfer.amount_reversed += amount;
      transfer.reversed = transfer.amount_reversed >= transfer.amount;
      return [200, create("transfer_reversal", "trr", { object: "transfer_reversal", amount, currency: transfer.currency, transfer: transfer.id, metadata: p.metadata ?? {} })];
    }
    if (method === "POST" && rest === "/v1/refunds") return refundRoute(p);
    if (method === "GET" && rest === "/v1/refunds") {
      const data = [...stripeObjects.values()].filter((o) => o.object === "refund"
        && (!p.payment_intent || o.payment_intent === p.payment_intent) && (!p.charge || o.charge === p.charge));
      return [200, { object: "list", data: structuredClone(data), has_more: false, url: "/v1/refunds" }];
    }
    if (method === "GET" && rest === "/v1/transfers") {
      const data = [...stripeObjects.values()].filter((o) => o.object === "transfer" && (!p.transfer_group || o.transfer_group === p.transfer_group));
      return [200, { object: "list", data: structuredClone(data), has_more: false, url: "/v1/transfers" }];
    }
    return [404, { error: { type: "invalid_request_error", message: `Unrecognized request URL (${method}: ${rest}).` } }];
  }

  // Stripe sends the webhooks that follow an API call on its own schedule: here, just after
  // the response. Off with `autoWebhooks: false` when a test delivers them itself.
  function later(event) {
    if (state.autoWebhooks === "hold") {
      state.heldEvents.push({ ...event, id: stripeId("evt") });
      return;
    }
    if (!state.autoWebhooks) return;
    setTimeout(() => sendStripeEvent(event).catch((e) => record({ service: "stripe-webhook", method: "POST", path: "/webhooks/stripe", status: 0, error: String(e) })), 0);
  }

  /** The buyer pays a session: PaymentIntent and Charge created, the session completed.
   *  `delayed`: a bank debit, so the session completes unpaid. Returns the session. */
  // `charged` ({ amount, currency }) makes the payment differ from what the session asked,
  // as an edited Checkout or an account setting could: C500 must refuse it.
  function paySession(id, { delayed = false, shipping = DEMO_ADDRESS, charged } = {}) {
    const session = stripeObjects.get(id);
    if (!session) throw new Error(`no session ${id}`);
    if (session.status !== "open") throw new Error(`session ${id} is ${session.status}`);
    if (charged) Object.assign(session, { amount_total: charged.amount ?? session.amount_total, currency: charged.currency ?? session.currency });
    const pi = create("payment_intent", "pi", { object: "payment_intent", amount: session.amount_total, amount_received: delayed ? 0 : session.amount_total,
      currency: session.currency, status: delayed ? "processing" : "succeeded", metadata: session.payment_intent_metadata ?? {},
      transfer_group: session.transfer_group ?? null, transfer_data: null, latest_charge: null });
    const charge = create("charge", "ch", { object: "charge", amount: session.amount_total, amount_captured: session.amount_total, amount_refunded: 0,
      refunded: false, disputed: false, paid: !delayed, status: delayed ? "pending" : "succeeded", currency: session.currency,
      payment_intent: pi.id, transfer_group: pi.transfer_group, metadata: {}, refunds: null });
    pi.latest_charge = charge.id;
    Object.assign(session, { status: "complete", payment_status: delayed ? "unpaid" : "paid", payment_intent: pi.id, url: null,
      collected_information: { ...(session.collected_information ?? {}), shipping_details: shipping } });
    return structuredClone(session);
  }

  /** Builds a Stripe event around `object`, signs it like Stripe does, and delivers it. */
  async function sendStripeEvent({ type, object, id = stripeId("evt"), secret = stripeWebhookSecret, timestamp, created = now() }) {
    const event = fixture("event");
    Object.assign(event, {
      id,
      type,
      created,
      livemode: false,
      data: { object },
      request: { id: null, idempotency_key: null },
    });
    const payload = JSON.stringify(event);
    const header = stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp });
    const r = await fetch(`${worker}/webhooks/stripe`, {
      method: "POST",
      headers: { "content-type": "application/json", "stripe-signature": header },
      body: payload,
    });
    const text = await r.text();
    record({ service: "stripe-webhook", method: "POST", path: "/webhooks/stripe", status: r.status, type, id });
    return { status: r.status, body: text, event };
  }

  // What Stripe hosts (onboarding, the Express dashboard), small enough to click through locally.
  async function hostedStripePage(req, res, url) {
    const html = (status, body, headers = {}) => {
      res.writeHead(status, { "content-type": "text/html; charset=utf-8", ...headers });
      res.end(`<!doctype html><meta charset="utf-8"><title>Stripe (stand-in)</title><body style="font-family:sans-serif;max-width:40rem;margin:4rem auto">${body}</body>`);
    };
    const m = url.pathname.match(/^\/_standin\/stripe\/(onboarding|express)\/([^/]+)(\/complete)?$/);
    const account = m && stripeObjects.get(m[2]);
    if (!account) return html(404, "<h1>No such account</h1>");
    if (m[1] === "express") return html(200, `<h1>Express dashboard (stand-in)</h1><p>${account.id}: payouts ${account.payouts_enabled ? "on" : "off"}.</p>`);
    const returnUrl = url.searchParams.get("return") ?? "";
    if (m[3] && req.method === "POST") {
      Object.assign(account, { details_submitted: true, charges_enabled: true, payouts_enabled: true });
      try {
        await sendStripeEvent({ type: "account.updated", object: account });
      } catch (e) {
        record({ service: "stripe-webhook", method: "POST", path: "/webhooks/stripe", status: 0, type: "account.updated", error: String(e) });
      }
      return html(303, "", { location: returnUrl });
    }
    const action = `/_standin/stripe/onboarding/${account.id}/complete?return=${encodeURIComponent(returnUrl)}`;
    return html(200, `<h1>Stripe onboarding (stand-in)</h1><p>Account <code>${account.id}</code>. In real life Stripe asks for identity and bank details here.</p>
      <form method="post" action="${action}"><button>Complete onboarding</button></form>`);
  }

  // Stripe Checkout, hosted: a Pay button completes the session, sends the webhook and
  // redirects to the success URL, like the real page.
  async function hostedCheckout(req, res, url) {
    const m = url.pathname.match(/^\/_standin\/stripe\/checkout\/([^/]+)(\/pay)?$/);
    const session = m && stripeObjects.get(m[1]);
    const html = (status, body, headers = {}) => {
      res.writeHead(status, { "content-type": "text/html; charset=utf-8", ...headers });
      res.end(`<!doctype html><meta charset="utf-8"><title>Checkout (stand-in)</title><body style="font-family:sans-serif;max-width:40rem;margin:4rem auto">${body}</body>`);
    };
    if (!session) return html(404, "<h1>No such checkout</h1>");
    if (m[2] && req.method === "POST") {
      if (session.status !== "open") return html(410, `<h1>This checkout is ${session.status}</h1>`);
      const paid = paySession(session.id);
      await sendStripeEvent({ type: "checkout.session.completed", object: paid });
      return html(303, "", { location: session.success_url.replace("{CHECKOUT_SESSION_ID}", session.id) });
    }
    if (session.status !== "open") return html(410, `<h1>This checkout is ${session.status}</h1>`);
    const total = (session.amount_total / 100).toFixed(2);
    return html(200, `<h1>Checkout (stand-in)</h1><p>Pay <strong>$${total}</strong> to C500 Collective. Card: 4242 4242 4242 4242.</p>
      <p>Ships to: ${DEMO_ADDRESS.name}, ${DEMO_ADDRESS.address.line1}, ${DEMO_ADDRESS.address.city}</p>
      <form method="post" action="/_standin/stripe/checkout/${session.id}/pay"><button>Pay $${total}</button></form>
      <p><a href="${session.cancel_url}">Back to C500</a></p>`);
  }

  async function handleControl(req, res, rest, bodyBuf) {
    const body = bodyBuf.length ? JSON.parse(bodyBuf.toString("utf8")) : {};
    if (rest === "/calls" && req.method === "GET") return [200, state.calls];
    if (rest === "/violations" && req.method === "GET") return [200, state.violations];
    if (rest === "/reset" && req.method === "POST") {
      state.calls.length = 0;
      state.violations.length = 0;
      state.discordFailures.length = 0;
      state.stripeFailures.length = 0;
      state.discordBucket = null;
      state.discordBuckets.clear();
      state.discordRateLimited.length = 0;
      state.discordGlobal = null;
      state.discordBotCalls.length = 0;
      return [200, { ok: true }];
    }
    if (rest === "/discord/buckets" && req.method === "POST") {
      // { limit, resetAfterMs } emulates Discord's per-route buckets on channel messages; {} turns it off.
      state.discordBucket = body.limit ? { limit: body.limit, resetAfterMs: body.resetAfterMs ?? 5000 } : null;
      state.discordBuckets.clear();
      return [200, { bucket: state.discordBucket, rate_limited: state.discordRateLimited.length }];
    }
    if (rest === "/discord/global" && req.method === "POST") {
      // { perSecond } emulates Discord's global limit on bot-token calls; {} turns it off.
      state.discordGlobal = body.perSecond ? { perSecond: body.perSecond } : null;
      state.discordBotCalls.length = 0;
      return [200, { global: state.discordGlobal, rate_limited: state.discordRateLimited.length }];
    }
    if (rest === "/discord/fail" && req.method === "POST") {
      for (let i = 0; i < (body.count ?? 1); i++) state.discordFailures.push({ status: body.status ?? 500, retryAfter: body.retryAfter });
      return [200, { queued: state.discordFailures.length }];
    }
    if (rest === "/stripe/events" && req.method === "POST") return [200, await sendStripeEvent(body)];
    if (rest === "/stripe/fail" && req.method === "POST") {
      for (let i = 0; i < (body.count ?? 1); i++) {
        state.stripeFailures.push(body.lost ? { lost: true, path: body.path, delayMs: body.delayMs }
          : { status: body.status ?? 500, delayMs: body.delayMs, path: body.path, code: body.code, message: body.message });
      }
      return [200, { queued: state.stripeFailures.length }];
    }
    if (rest === "/stripe/delay" && req.method === "POST") {
      for (let i = 0; i < (body.count ?? 1); i++) state.stripeFailures.push({ delayMs: body.ms ?? 4000 });
      return [200, { queued: state.stripeFailures.length }];
    }
    if (rest === "/stripe/auto-webhooks" && req.method === "POST") {
      // on: delivered just after the call; off: not sent; hold: kept for the test to deliver.
      state.autoWebhooks = body.hold ? "hold" : Boolean(body.on);
      return [200, { autoWebhooks: state.autoWebhooks }];
    }
    if (rest === "/stripe/held" && req.method === "POST") {
      // The events Stripe would have sent, taken (the test delivers them, in any order).
      return [200, state.heldEvents.splice(0)];
    }
    if (rest === "/stripe/dashboard-refund" && req.method === "POST") {
      // Someone refunds in the Stripe Dashboard: no Idempotency-Key, no C500 metadata.
      const [status, refund] = refundRoute({ payment_intent: body.payment_intent, amount: body.amount });
      return [status, refund];
    }
    if (rest === "/stripe/dispute" && req.method === "POST") {
      const pi = stripeObjects.get(body.payment_intent);
      const charge = pi && stripeObjects.get(pi.latest_charge);
      if (!charge) return [404, { error: "no such payment" }];
      let dispute = [...stripeObjects.values()].find((o) => o.object === "dispute" && o.charge === charge.id);
      if (body.action === "create") {
        if (!dispute) dispute = create("dispute", "dp", { object: "dispute", amount: body.amount ?? charge.amount - charge.amount_refunded, currency: "usd",
          charge: charge.id, payment_intent: pi.id, status: "needs_response", reason: "fraudulent", metadata: {} });
        charge.disputed = true;
        later({ type: "charge.dispute.created", object: structuredClone(dispute) });
      } else {
        if (!dispute) return [404, { error: "no dispute" }];
        // A closed dispute stays closed, as at Stripe.
        if (["won", "lost"].includes(dispute.status)) return [400, { error: `dispute already ${dispute.status}` }];
        dispute.status = body.action; // "won" | "lost"
        later({ type: "charge.dispute.closed", object: structuredClone(dispute) });
      }
      return [200, dispute];
    }
    if (rest === "/stripe/transfer" && req.method === "POST") {
      // A transfer made outside C500 (the Dashboard): reconciliation must notice it.
      return [200, create("transfer", "tr", { object: "transfer", amount: Number(body.amount), currency: "usd", destination: body.destination ?? "acct_unknown",
        source_transaction: null, transfer_group: body.transfer_group ?? null, metadata: {}, reversed: false, amount_reversed: 0 })];
    }
    let m;
    if ((m = rest.match(/^\/stripe\/checkout\/([^/]+)\/pay$/)) && req.method === "POST") {
      const session = paySession(m[1], body);
      const delivered = body.deliver === false ? null : await sendStripeEvent({ type: "checkout.session.completed", object: session });
      return [200, { session, delivered }];
    }
    if ((m = rest.match(/^\/stripe\/checkout\/([^/]+)\/lapse$/)) && req.method === "POST") {
      // Time passes: the session reaches its expires_at.
      const session = stripeObjects.get(m[1]);
      if (!session) return [404, { error: "no such session" }];
      Object.assign(session, { status: "expired", url: null });
      const delivered = body.deliver === false ? null : await sendStripeEvent({ type: "checkout.session.expired", object: structuredClone(session) });
      return [200, { session: structuredClone(session), delivered }];
    }
    if (rest === "/twitch/live" && req.method === "POST") {
      body.live ? state.liveLogins.add(body.login) : state.liveLogins.delete(body.login);
      return [200, { live: [...state.liveLogins], user: twitchUser(body.login) }];
    }
    if (rest === "/discord/authorize" && req.method === "POST") {
      // What Discord's consent page does when the user clicks Authorize (or Cancel: deny).
      return [200, { location: discordAuthorize(body) }];
    }
    if (rest === "/twitch/authorize" && req.method === "POST") {
      // What the consent page does when the user clicks Authorize.
      return [200, { location: twitchAuthorize(body.login, body.state, body.redirect_uri) }];
    }
    if (rest === "/twitch/offline" && req.method === "POST") {
      // The stream ends: Twitch notifies every stream.offline subscription for that user.
      state.liveLogins.delete(body.login);
      const user = twitchUser(body.login);
      const subs = state.twitch.subscriptions.filter((s) => s.condition.broadcaster_user_id === user.id);
      const event = { broadcaster_user_id: user.id, broadcaster_user_login: user.login, broadcaster_user_name: user.display_name };
      const sent = [];
      for (const sub of subs) sent.push(await sendEventSub(sub, "notification", { event }, body.options ?? {}));
      return [200, { sent }];
    }
    return [404, { error: "unknown control route" }];
  }

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, "http://standin");
    const bodyBuf = await readBody(req);
    let service = "unknown";
    let result;
    try {
      if (url.pathname.startsWith("/discord/api/v10/")) {
        service = "discord";
        result = await handleDiscord(req, res, url.pathname.slice("/discord/api/v10".length), bodyBuf);
      } else if (url.pathname.startsWith("/discord-web/")) {
        service = "discord";
        result = await discordWebRoute(req, res, url.pathname.slice("/discord-web".length), bodyBuf, url);
        if (result === null) return;
      } else if (url.pathname.startsWith("/twitch-auth/")) {
        service = "twitch";
        result = await handleTwitchAuth(req, res, url.pathname.slice("/twitch-auth".length), bodyBuf, url);
        if (result === null) return;
      } else if (url.pathname.startsWith("/twitch/")) {
        service = "twitch";
        result = await handleTwitchApi(req, res, url.pathname.slice("/twitch".length), bodyBuf, url);
      } else if (url.pathname.startsWith("/stripe/")) {
        service = "stripe";
        result = await handleStripe(req, res, url.pathname.slice("/stripe".length), bodyBuf);
      } else if (url.pathname.startsWith("/_standin/stripe/onboarding/") || url.pathname.startsWith("/_standin/stripe/express/")) {
        return await hostedStripePage(req, res, url);
      } else if (url.pathname.startsWith("/_standin/stripe/checkout/") && (req.method === "GET" || req.headers["content-type"]?.startsWith("application/x-www-form-urlencoded"))) {
        return await hostedCheckout(req, res, url);
      } else if (url.pathname.startsWith("/_standin/cdn/")) {
        // Discord's CDN, for attachments uploaded with a form: a tiny PNG, or text.
        const png = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8/5+hHgAHggJ/PchI7wAAAABJRU5ErkJggg==", "base64");
        const isPng = url.pathname.endsWith(".png");
        res.writeHead(200, { "content-type": isPng ? "image/png" : "text/plain" });
        return res.end(isPng ? png : "not a picture");
      } else if (url.pathname.startsWith("/_standin/")) {
        result = await handleControl(req, res, url.pathname.slice("/_standin".length), bodyBuf);
        return send(res, result[0], result[1], result[2]);
      } else {
        result = [404, { message: "not a stand-in route" }];
      }
    } catch (e) {
      result = [500, { message: String(e?.stack ?? e) }];
    }
    const [status, body, headers] = result;
    let parsed = null;
    try {
      parsed = bodyBuf.length ? JSON.parse(bodyBuf.toString("utf8")) : null;
    } catch {
      parsed = bodyBuf.toString("utf8");
    }
    record({
      service,
      method: req.method,
      path: url.pathname,
      query: url.search,
      status,
      idempotencyKey: req.headers["idempotency-key"],
      body: parsed,
    });
    send(res, status, body, headers);
  });

  await new Promise((resolve) => server.listen(port, host, resolve));
  const url = `http://${host}:${server.address().port}`;
  self.url = url;
  return {
    url,
    state,
    stripeObjects,
    sendStripeEvent,
    paySession,
    sendEventSub,
    twitchUser,
    setWorkerUrl(u) {
      worker = u;
    },
    bases: {
      DISCORD_API_BASE: `${url}/discord/api/v10`,
      STRIPE_API_BASE: `${url}/stripe`,
      TWITCH_API_BASE: `${url}/twitch`,
      TWITCH_AUTH_BASE: `${url}/twitch-auth`,
      DISCORD_WEB_BASE: `${url}/discord-web`,
      DISCORD_CDN_BASE: `${url}/_standin/cdn`,
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (name, fallback) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : fallback;
  };
  const s = await startStandin({
    port: Number(arg("--port", 8790)),
    workerUrl: arg("--worker", "http://127.0.0.1:8787"),
    stripeWebhookSecret: process.env.STRIPE_WEBHOOK_SECRET ?? "whsec_local_dev",
    stripeSecretKey: process.env.STRIPE_SECRET_KEY ?? "sk_test_local_dev",
    discordBotToken: process.env.DISCORD_BOT_TOKEN ?? "local-dev-bot-token",
    discordClientId: process.env.DISCORD_APPLICATION_ID ?? "1100000000000000001",
    discordClientSecret: process.env.DISCORD_CLIENT_SECRET ?? "local-discord-client-secret",
    quiet: false,
  });
  console.log(`[standin] Discord, Stripe and Twitch stand-ins on ${s.url} (calls: ${s.url}/_standin/calls)`);
}
