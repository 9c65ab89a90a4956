// Checks a Stripe request's form-encoded parameters against the shapes that
// dev/stripe_params.py read from the official `stripe` package (stripe.params.*).
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const SHAPES_PATH = process.env.STRIPE_PARAMS ?? path.join(here, "../.tools/stripe-params.json");
let shapes;

function load() {
  if (shapes) return shapes;
  if (!existsSync(SHAPES_PATH)) throw new Error(`${SHAPES_PATH} is missing: run make setup (it generates it from the stripe package)`);
  shapes = JSON.parse(readFileSync(SHAPES_PATH, "utf8"));
  return shapes;
}

/** `a[b][0][c]=v` form pairs → nested objects/arrays, as Stripe reads them. */
export function parseForm(params) {
  const root = {};
  for (const [key, value] of params) {
    const parts = key.match(/^[^[\]]+|\[[^[\]]*\]/g)?.map((p) => p.replace(/^\[|\]$/g, "")) ?? [key];
    let node = root;
    parts.forEach((part, i) => {
      const last = i === parts.length - 1;
      const nextIsIndex = !last && /^\d*$/.test(parts[i + 1]);
      if (last) node[part] = value;
      else node = node[part] ??= nextIsIndex ? [] : {};
    });
  }
  return root;
}

function templateMatch(method, urlPath) {
  for (const key of Object.keys(load().endpoints)) {
    const [m, template] = key.split(" ");
    if (m !== method) continue;
    const re = new RegExp("^" + template.replace(/\{[^}]+\}/g, "[^/]+") + "$");
    if (re.test(urlPath)) return key;
  }
  return null;
}

function checkFields(fields, value, where, errors) {
  if (typeof value !== "object" || value === null) {
    errors.push(`${where || "body"} must be an object`);
    return;
  }
  for (const [name, v] of Object.entries(value)) {
    const field = fields[name];
    const at = where ? `${where}[${name}]` : name;
    if (!field) {
      errors.push(`Received unknown parameter: ${at}`);
      continue;
    }
    if (field.enum && typeof v === "string" && !field.enum.includes(v)) errors.push(`Invalid ${at}: must be one of ${field.enum.join(", ")}`);
    if (field.kind === "object" && v !== "") checkFields(field.fields, v, at, errors);
    if (field.kind === "list" && field.fields) {
      const items = Array.isArray(v) ? v : Object.values(v);
      items.forEach((item, i) => checkFields(field.fields, item, `${at}[${i}]`, errors));
    }
  }
  for (const [name, field] of Object.entries(fields)) {
    if (field.required && !(name in value)) errors.push(`Missing required param: ${where ? `${where}[${name}]` : name}`);
  }
}

/** Returns { ok, errors, endpoint, params } for a Stripe call. */
export function checkStripeRequest(method, urlPath, params) {
  const endpoint = templateMatch(method, urlPath);
  if (!endpoint) return { ok: false, errors: [`${method} ${urlPath} is not an endpoint C500 is known to call`], endpoint: null, params };
  const parsed = parseForm(params);
  const errors = [];
  checkFields(load().endpoints[endpoint].fields, parsed, "", errors);
  return { ok: errors.length === 0, errors, endpoint, params: parsed };
}
